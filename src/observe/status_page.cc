// The status page served at /: one self-contained document (no external
// resources), polling /api/status every 2 s.
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
function poll() {
  fetch("/api/status", {cache: "no-store"}).then(r => r.json()).then(render)
    .catch(e => { document.getElementById("updated").textContent = "unreachable: " + e; });
}
poll();
setInterval(poll, 2000);
</script>
</body>
</html>
)html";

}  // namespace

std::string_view StatusPageHtml() { return {kPage, sizeof kPage - 1}; }

}  // namespace sluice
