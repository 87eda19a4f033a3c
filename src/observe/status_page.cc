// The status page served at /: one self-contained document (no external
// resources), polling /api/status every 2 s, and /api/aggregates every 5 s for
// its data view: per table with aggregates, each column's (and group's) mean
// with its min-max band over the latest files, drawn as inline SVG, flagged
// files marked on the chart and listed.
#include "observe/http_server.h"

namespace sluice {
namespace {

constexpr char kPage[] = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sluice status</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: baseline; }
header h1 { font-size: 18px; margin: 0; }
main { padding: 16px 20px; display: grid; gap: 16px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { background: #fff; border-radius: 6px; padding: 10px 14px; min-width: 120px; box-shadow: 0 1px 2px #0002; }
.card b { display: block; font-size: 22px; }
section { background: #fff; border-radius: 6px; padding: 10px 14px; box-shadow: 0 1px 2px #0002; }
h2 { font-size: 15px; margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e5ea; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.loaded { color: #1a7f37; } .duplicate { color: #6e7781; }
.quarantined { color: #cf222e; font-weight: 600; } .pending, .processing { color: #9a6700; }
.up { color: #1a7f37; } .down { color: #cf222e; }
pre { background: #f6f8fa; padding: 8px; overflow: auto; max-height: 320px; margin: 0; }
a { color: #0969da; cursor: pointer; }
#data-view h3 { font-size: 14px; margin: 12px 0 4px; }
.agg-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 8px 16px; }
.agg-chart-box { font-size: 12px; color: #57606a; }
.agg-chart-box b { color: #1d2330; }
svg.agg-chart { width: 100%; height: 150px; display: block; }
svg.agg-chart .band { fill: #0969da22; stroke: none; }
svg.agg-chart .mean { fill: none; stroke: #0969da; stroke-width: 1.5; }
svg.agg-chart .grid { stroke: #e3e5ea; }
svg.agg-chart text { fill: #6e7781; font: 10px sans-serif; }
svg.agg-chart .flagged-point { fill: #cf222e; stroke: #fff; stroke-width: 1; }
table.flagged-list td.flag { color: #cf222e; font-weight: 600; }
</style>
</head>
<body>
<header><h1>sluice</h1><span id="updated">connecting…</span></header>
<main>
<div class="cards">
  <div class="card">loaded<b id="c-loaded">–</b></div>
  <div class="card">quarantined<b id="c-quarantined">–</b></div>
  <div class="card">duplicates<b id="c-duplicate">–</b></div>
  <div class="card">backlog<b id="c-backlog">–</b></div>
  <div class="card">oldest waiting<b id="c-oldest">–</b></div>
  <div class="card">rows loaded<b id="c-rows">–</b></div>
  <div class="card">sink<b id="c-sink">–</b></div>
</div>
<section><h2>Throughput (rows/s, last 5 minutes)</h2>
<canvas id="chart" width="1200" height="180" style="width:100%;height:180px"></canvas></section>
<section><h2>Tables</h2><table id="tables"><thead><tr><th>table</th><th>loaded</th><th>duplicate</th><th>quarantined</th><th>pending</th><th>processing</th></tr></thead><tbody></tbody></table></section>
<section id="data-view" hidden><h2>Data: per-file aggregates (mean and min–max band, latest files)</h2>
<div id="data-tables"></div>
<h3>Flagged files</h3>
<p id="flagged-none">none: no file's mean lay more than 3 standard deviations from the earlier files' means.</p>
<table id="flagged" class="flagged-list"><thead><tr><th>file</th><th>table</th><th>column</th><th>group</th><th>mean</th><th>expected</th><th>loaded</th></tr></thead><tbody></tbody></table>
</section>
<section><h2>Recent files</h2>
<table id="recent"><thead><tr><th>file</th><th>table</th><th>outcome</th><th>rows</th><th>rejects</th><th>duration</th><th>finished</th><th>error</th></tr></thead><tbody></tbody></table></section>
<section id="report-box" hidden><h2>Error report: <span id="report-name"></span></h2><pre id="report"></pre></section>
</main>
<script>
"use strict";
const points = [];  // [time ms, rows/s]
let lastRows = null, lastTime = null, shownReport = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
function age(s) {
  if (s < 60) return Math.round(s) + " s";
  if (s < 3600) return Math.round(s / 60) + " min";
  return (s / 3600).toFixed(1) + " h";
}
function drawChart() {
  const c = document.getElementById("chart"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const max = Math.max(1, ...points.map(p => p[1]));
  const now = Date.now(), span = 300000;
  g.strokeStyle = "#e3e5ea"; g.fillStyle = "#6e7781"; g.font = "12px sans-serif";
  for (let i = 0; i <= 4; i++) {
    const y = 10 + (c.height - 20) * i / 4;
    g.beginPath(); g.moveTo(0, y); g.lineTo(c.width, y); g.stroke();
    g.fillText(Number((max * (4 - i) / 4).toPrecision(3)).toString(), 4, y - 2);
  }
  g.strokeStyle = "#0969da"; g.lineWidth = 2; g.beginPath();
  points.forEach((p, i) => {
    const x = c.width * (1 - (now - p[0]) / span), y = 10 + (c.height - 20) * (1 - p[1] / max);
    if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
  });
  g.stroke();
}
function showReport(file) {
  shownReport = file;
  fetch("/api/report?file=" + encodeURIComponent(file)).then(r => r.text()).then(t => {
    document.getElementById("report-box").hidden = false;
    document.getElementById("report-name").textContent = file.split("/").pop();
    let text = t;
    try { text = JSON.stringify(JSON.parse(t), null, 2); } catch (e) {}
    document.getElementById("report").textContent = text;
  });
}
function render(s) {
  const st = s.files_by_state;
  for (const k of ["loaded", "quarantined", "duplicate"]) document.getElementById("c-" + k).textContent = st[k] || 0;
  document.getElementById("c-backlog").textContent = s.backlog_files;
  document.getElementById("c-oldest").textContent = s.backlog_files ? age(s.oldest_pending_age_seconds) : "–";
  document.getElementById("c-rows").textContent = s.rows_loaded.toLocaleString("en");
  const sink = document.getElementById("c-sink");
  sink.textContent = s.sink_up ? "up" : "down"; sink.className = s.sink_up ? "up" : "down";
  sink.title = s.sink_error ? "down since " + s.sink_down_since + ": " + s.sink_error : "";
  const now = Date.now();
  if (lastRows !== null && now > lastTime) points.push([now, Math.max(0, (s.rows_loaded - lastRows) * 1000 / (now - lastTime))]);
  lastRows = s.rows_loaded; lastTime = now;
  while (points.length && now - points[0][0] > 300000) points.shift();
  drawChart();

  const tb = document.querySelector("#tables tbody"); tb.replaceChildren();
  for (const [name, states] of Object.entries(s.tables)) {
    const tr = el("tr"); tr.append(el("td", name));
    for (const k of ["loaded", "duplicate", "quarantined", "pending", "processing"]) tr.append(el("td", states[k] || 0, "num"));
    tb.append(tr);
  }
  const rb = document.querySelector("#recent tbody"); rb.replaceChildren();
  let latestQuarantined = null;
  for (const f of s.recent) {
    const tr = el("tr");
    const name = el("td");
    if (f.state === "quarantined" && f.final_path) {
      const a = el("a", f.name); a.onclick = () => showReport(f.final_path); name.append(a);
      if (!latestQuarantined) latestQuarantined = f.final_path;
    } else name.textContent = f.name;
    tr.append(name, el("td", f.table), el("td", f.state, f.state),
              el("td", f.rows, "num"), el("td", f.rejected, "num"),
              el("td", f.duration_seconds.toFixed(3) + " s", "num"),
              el("td", f.finished_at), el("td", f.error));
    rb.append(tr);
  }
  if (shownReport === null && latestQuarantined) showReport(latestQuarantined);
  document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString("en-GB");
}
const SVG = "http://www.w3.org/2000/svg";
let aggShown = null;
function svg(tag, attrs, parent) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.append(e);
  return e;
}
function num(v) { return v === null ? "–" : Number(v.toPrecision(6)).toString(); }
function groupText(g) {
  return Object.entries(g).map(([k, v]) => k + "=" + (v === null ? "NULL" : v)).join(", ");
}
// One series: the min-max band, the mean line and the flagged files as red dots,
// x by load time.
function drawSeries(table, s) {
  const W = 600, H = 150, L = 48, R = 8, T = 8, B = 18;
  const pts = s.points.filter(p => p.mean !== null);
  const box = el("div", undefined, "agg-chart-box");
  const title = el("div"); title.append(el("b", s.column));
  const g = groupText(s.group);
  if (g) title.append(" (" + g + ")");
  title.append(" · " + pts.length + " files");
  box.append(title);
  const c = svg("svg", {viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", class: "agg-chart",
                        "data-table": table, "data-column": s.column, "data-group": g});
  box.append(c);
  if (!pts.length) return box;
  const lo = Math.min(...pts.map(p => p.min !== null ? p.min : p.mean));
  const hi = Math.max(...pts.map(p => p.max !== null ? p.max : p.mean));
  const t0 = pts[0].loaded_at_ms, t1 = pts[pts.length - 1].loaded_at_ms;
  const pad = hi > lo ? (hi - lo) * 0.05 : Math.abs(hi) * 0.05 + 1;
  const y0 = lo - pad, y1 = hi + pad;
  const x = t => t1 > t0 ? L + (W - L - R) * (t - t0) / (t1 - t0) : (L + W - R) / 2;
  const y = v => T + (H - T - B) * (1 - (v - y0) / (y1 - y0));
  for (let i = 0; i <= 3; i++) {
    const v = y0 + (y1 - y0) * i / 3, yy = y(v).toFixed(1);
    svg("line", {x1: L, x2: W - R, y1: yy, y2: yy, class: "grid"}, c);
    svg("text", {x: 2, y: Number(yy) + 3}, c).textContent = num(v);
  }
  svg("text", {x: L, y: H - 4}, c).textContent = new Date(t0).toLocaleTimeString("en-GB");
  svg("text", {x: W - R, y: H - 4, "text-anchor": "end"}, c).textContent =
      new Date(t1).toLocaleTimeString("en-GB");
  const top = pts.map(p => [x(p.loaded_at_ms), y(p.max !== null ? p.max : p.mean)]);
  const bottom = pts.map(p => [x(p.loaded_at_ms), y(p.min !== null ? p.min : p.mean)]).reverse();
  const band = top.concat(bottom).map(q => q[0].toFixed(1) + "," + q[1].toFixed(1)).join(" ");
  svg("polygon", {points: band, class: "band"}, c);
  svg("polyline", {points: pts.map(p => x(p.loaded_at_ms).toFixed(1) + "," + y(p.mean).toFixed(1)).join(" "),
                   class: "mean"}, c);
  for (const p of pts) {
    if (!p.flagged) continue;
    const dot = svg("circle", {cx: x(p.loaded_at_ms).toFixed(1), cy: y(p.mean).toFixed(1), r: 4,
                               class: "flagged-point", "data-file": p.name}, c);
    svg("title", {}, dot).textContent = p.name + ": mean " + num(p.mean);
  }
  return box;
}
function renderAggregates(docs) {
  const text = JSON.stringify(docs);
  if (text === aggShown) return;
  aggShown = text;
  document.getElementById("data-view").hidden = docs.length === 0;
  const root = document.getElementById("data-tables"); root.replaceChildren();
  const fb = document.querySelector("#flagged tbody"); fb.replaceChildren();
  let flagged = [];
  for (const d of docs) {
    const sec = el("div", undefined, "agg-table");
    sec.append(el("h3", d.table + (d.by.length ? " by " + d.by.join(", ") : "")));
    const charts = el("div", undefined, "agg-charts");
    for (const s of d.series || []) charts.append(drawSeries(d.table, s));
    sec.append(charts);
    root.append(sec);
    for (const f of d.flagged || []) flagged.push(Object.assign({table: d.table}, f));
  }
  flagged.sort((a, b) => b.loaded_at_ms - a.loaded_at_ms);
  for (const f of flagged) {
    const tr = el("tr");
    tr.append(el("td", f.name, "flag"), el("td", f.table), el("td", f.column), el("td", groupText(f.group)),
              el("td", num(f.mean), "num"), el("td", num(f.expected_low) + " .. " + num(f.expected_high), "num"),
              el("td", f.loaded_at));
    tr.title = f.file;
    fb.append(tr);
  }
  document.getElementById("flagged-none").hidden = flagged.length > 0;
  document.getElementById("flagged").hidden = flagged.length === 0;
}
// A table's series are fetched again only when it has a newer file: a series
// document can be large (200 files of every column and group).
const aggDocs = new Map();  // table -> [its latest file's time and files kept, its document]
function pollAggregates() {
  fetch("/api/aggregates", {cache: "no-store"}).then(r => r.json())
    .then(list => Promise.all((list.tables || []).map(t => {
      const version = t.latest_loaded_at_us + "/" + t.files, known = aggDocs.get(t.table);
      if (known && known[0] === version) return known[1];
      return fetch("/api/aggregates?table=" + encodeURIComponent(t.table), {cache: "no-store"})
        .then(r => r.json()).then(d => { aggDocs.set(t.table, [version, d]); return d; });
    })))
    .then(renderAggregates)
    .catch(() => {});
}
function poll() {
  fetch("/api/status", {cache: "no-store"}).then(r => r.json()).then(render)
    .catch(e => { document.getElementById("updated").textContent = "unreachable: " + e; });
}
poll();
setInterval(poll, 2000);
pollAggregates();
setInterval(pollAggregates, 5000);
</script>
</body>
</html>
)html";

}  // namespace

std::string_view StatusPageHtml() { return {kPage, sizeof kPage - 1}; }

}  // namespace sluice
