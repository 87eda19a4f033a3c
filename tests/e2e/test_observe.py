"""End-to-end tests of the observability surface: `sluice run --http` serves
/metrics, /healthz, /readyz, /api/status, /api/aggregates, /api/report and the
status page; the exposition passes `promtool check metrics`, a real Prometheus
scrapes it, and headless Chromium renders the page, with its data view of
per-file aggregates.

Tools (promtool, prometheus, chromium) come from scripts/packages/observe.txt;
a missing tool skips its test, or fails it under CI=true.
"""

import json
import os
import pty
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

from sluice_e2e import SLUICE_BIN, SluiceTestCase, csv_text, free_port, http_get

BUILD_DIR = os.path.dirname(os.path.abspath(os.environ.get("SLUICE_BIN", "."))) \
    if os.environ.get("SLUICE_BIN") else tempfile.gettempdir()


def parse_metrics(text):
    """{'name{labels}': value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, value = line.rsplit(" ", 1)
        out[key] = float(value)
    return out


AGGREGATES_RULE = """tables:
  - match: "sensors*"
    table: sensors
    aggregates:
      columns: [temperature, humidity]
      by: [site]
"""


def sensors_csv(temperature_a, temperature_b, humidity=50.0):
    """Four rows per site: site a around `temperature_a`, b around `temperature_b`."""
    lines = ["site,temperature,humidity"]
    for i, d in enumerate((-1.0, -0.5, 0.5, 1.0)):
        lines.append(f"a,{temperature_a + d},{humidity + i}")
        lines.append(f"b,{temperature_b + d},{humidity - i}")
    return "\n".join(lines) + "\n"


class ObserveTestCase(SluiceTestCase):
    def tool(self, name):
        path = shutil.which(name)
        if path is None:
            if os.environ.get("CI") == "true":
                self.fail(f"{name} is not installed (scripts/packages/observe.txt)")
            self.skipTest(f"{name} is not installed")
        return path

    def chromium(self, *args):
        chromium = self.tool("chromium")
        profile = tempfile.mkdtemp(prefix="sluice-chromium-")
        self.addCleanup(shutil.rmtree, profile, True)
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--no-first-run",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
               f"--user-data-dir={profile}", "--virtual-time-budget=5000", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    def start_observed(self, *extra):
        """Loads two good files and a bad one through `sluice run --http`; returns
        the base URL once all three are done."""
        self.put("sales_1.csv", csv_text(["id", "amount"], [[1, 10], [2, 20], [3, 30]]))
        self.put("sales_2.csv", csv_text(["id", "amount"], [[4, 40]]))
        self.put("broken.csv", "id,amount\n1,10\n2\n")
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.proc = self.start_run("--http", f"127.0.0.1:{port}", *extra)

        def all_done():
            status, body = http_get(self.base + "/api/status") if self.listening() else (0, "")
            if status != 200:
                return None
            doc = json.loads(body)
            by_state = doc["files_by_state"]
            if by_state.get("loaded") != 2 or by_state.get("quarantined") != 1:
                return None
            # The ledger hears of a file a moment before the metrics do.
            m = parse_metrics(http_get(self.base + "/metrics")[1])
            files = sum(v for k, v in m.items() if k.startswith("sluice_files_total"))
            return doc if files == 3 else None

        return self.wait_for(all_done, 60, "three files done", interval=0.2, proc=self.proc)

    def listening(self):
        try:
            http_get(self.base + "/healthz", timeout=1)
            return True
        except OSError:
            return False


class HttpEndpointsTest(ObserveTestCase):
    def test_metrics_health_status_and_report(self):
        doc = self.start_observed()
        status, text = http_get(self.base + "/metrics")
        self.assertEqual(status, 200)
        m = parse_metrics(text)
        self.assertEqual(m['sluice_files_total{table="sales",outcome="loaded"}'], 2)
        self.assertEqual(m['sluice_files_total{table="broken",outcome="quarantined"}'], 1)
        self.assertEqual(m['sluice_rows_loaded_total{table="sales"}'], 4)
        self.assertEqual(m['sluice_rows_rejected_total{table="broken",reason="ragged"}'], 1)
        self.assertEqual(m['sluice_load_duration_seconds_count'], 3)
        self.assertEqual(m['sluice_load_duration_seconds_bucket{le="+Inf"}'], 3)
        total_bytes = sum(os.path.getsize(os.path.join(self.processed, f))
                          for f in self.processed_files())
        total_bytes += os.path.getsize(os.path.join(self.quarantine, "broken.csv"))
        self.assertEqual(m["sluice_bytes_read_total"], total_bytes)
        self.assertEqual(m["sluice_backlog_files"], 0)
        self.assertEqual(m["sluice_sink_up"], 1)
        self.assertEqual(m["sluice_sink_retries_total"], 0)
        self.assertGreater(m["sluice_last_success_timestamp_seconds"], time.time() - 300)

        self.assertEqual(http_get(self.base + "/healthz")[0], 200)
        self.assertEqual(http_get(self.base + "/readyz")[0], 200)

        self.assertEqual(doc["tables"], {"sales": {"loaded": 2}, "broken": {"quarantined": 1}})
        self.assertEqual(doc["rows_loaded"], 4)
        names = {f["name"]: f for f in doc["recent"]}
        self.assertEqual(set(names), {"sales_1.csv", "sales_2.csv", "broken.csv"})
        self.assertEqual(names["sales_1.csv"]["rows"], 3)
        self.assertEqual(names["broken.csv"]["state"], "quarantined")
        self.assertIn("bad rows", names["broken.csv"]["error"])
        self.assertEqual([f["name"] for f in doc["recent_errors"]], ["broken.csv"])

        status, report = http_get(self.base + "/api/report?file=" +
                                  urllib.parse.quote(names["broken.csv"]["final_path"]))
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(report), self.error_report("broken.csv"))
        outside = urllib.parse.quote(os.path.join(self.processed, "sales_1.csv"))
        self.assertEqual(http_get(self.base + "/api/report?file=" + outside)[0], 404)
        self.assertEqual(http_get(self.base + "/api/report?file=../processed/sales_1.csv")[0], 404)

    def test_promtool_accepts_the_exposition(self):
        promtool = self.tool("promtool")
        self.start_observed()
        _, text = http_get(self.base + "/metrics")
        res = subprocess.run([promtool, "check", "metrics"], input=text, text=True,
                             capture_output=True, timeout=60)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)

    def test_http_off_serves_nothing_and_a_taken_port_fails(self):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
            taken.bind(("127.0.0.1", port))
            taken.listen(1)
            res = self.once("--http", f"127.0.0.1:{port}")
            self.assertExit(res, 1)
            self.assertIn("cannot listen", res.stderr)
        self.put("a.csv", csv_text(["x"], [[1]]))
        self.assertExit(self.once("--http", "off"), 0)
        res = self.once("--http", "nonsense")
        self.assertExit(res, 1)
        self.assertIn("--http", res.stderr)


class StatusCommandTest(ObserveTestCase):
    def test_status_json_and_file(self):
        self.put("sales_1.csv", csv_text(["id", "amount"], [[1, 10], [2, 20], [3, 30]]))
        self.put("broken.csv", "id,amount\n1,10\n2\n")
        self.assertExit(self.once(), 2)

        res = self.sluice("status", "--ledger", self.ledger, "--json")
        self.assertExit(res, 0)
        doc = json.loads(res.stdout)
        self.assertEqual(doc["files_by_state"]["loaded"], 1)
        self.assertEqual(doc["tables"], {"sales": {"loaded": 1}, "broken": {"quarantined": 1}})
        self.assertEqual(doc["rows_loaded"], 3)
        self.assertEqual([f["name"] for f in doc["recent_errors"]], ["broken.csv"])

        res = self.sluice("status", "--ledger", self.ledger, "--file", "sales_1.csv")
        self.assertExit(res, 0)
        self.assertIn("state        loaded", res.stdout)
        self.assertIn("rows         loaded=3 rejected=0", res.stdout)
        self.assertIn(os.path.join(self.processed, "sales_1.csv"), res.stdout)

        res = self.sluice("status", "--ledger", self.ledger, "--file", "broken.csv", "--json")
        self.assertExit(res, 0)
        (record,) = json.loads(res.stdout)
        self.assertEqual(record["state"], "quarantined")
        self.assertEqual(record["rejected"], 1)
        self.assertEqual(record["final_path"], os.path.join(self.quarantine, "broken.csv"))
        self.assertIn("bad rows", record["error"])
        self.assertRegex(record["hash"], r"^[0-9a-f]{32}$")

        res = self.sluice("status", "--ledger", self.ledger, "--file", "nope.csv")
        self.assertExit(res, 1)


class ProgressTest(ObserveTestCase):
    def put_files(self):
        for i in range(20):
            self.put(f"t_{i}.csv", csv_text(["a", "b"], [[i, i * 2]] * 10))
        self.put("broken.csv", "a,b\n1\n")

    def test_once_on_a_terminal_shows_a_progress_bar(self):
        self.put_files()
        master, slave = pty.openpty()
        cmd = [SLUICE_BIN, "once", *self.paths_args(),
               "--settle-ms", "0"]
        proc = subprocess.Popen(cmd, cwd=self.ws, env=self.base_env(), stdout=slave,
                                stderr=slave)
        os.close(slave)
        out = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        self.assertEqual(proc.wait(timeout=30), 2)
        text = out.decode("utf-8", "replace")
        self.assertIn("21/21 files", text)
        self.assertRegex(text, r"\[#+\]  21/21 files")
        self.assertIn("warning quarantined", text)  # warnings still print
        self.assertNotIn("info loaded", text)       # per-file lines give way to the bar

    def test_once_without_a_terminal_logs_plain_lines(self):
        self.put_files()
        res = self.once()
        self.assertExit(res, 2)
        self.assertEqual(res.stderr.count("info loaded"), 20)
        self.assertNotIn("files  ", res.stderr)
        self.assertNotIn("\r", res.stderr)


class StatusPageTest(ObserveTestCase):
    def test_page_shows_recent_files_and_the_quarantine_reason(self):
        self.start_observed()
        res = self.chromium("--dump-dom", self.base + "/")
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])
        dom = res.stdout
        for name in ("sales_1.csv", "sales_2.csv", "broken.csv"):
            self.assertIn(name, dom)
        self.assertIn("quarantined", dom)
        self.assertIn("1 bad rows, more than the table allows", dom)  # the ledger's reason
        self.assertIn("&quot;rows_rejected&quot;: 1", dom.replace('"', "&quot;"))  # the report

        shot = os.path.join(BUILD_DIR, "test-artefacts", "status-page.png")
        os.makedirs(os.path.dirname(shot), exist_ok=True)
        if os.path.exists(shot):
            os.remove(shot)
        res = self.chromium(f"--screenshot={shot}", "--window-size=1280,900", self.base + "/")
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])
        with open(shot, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


class DataViewTest(ObserveTestCase):
    """The data view of per-file aggregates through real loads on SQLite: a file
    whose mean stands out flagged (log, metric, ledger), /api/aggregates, the
    page's charts in headless Chromium, and `sluice status --file`."""

    def config(self):
        p = self.path("sluice.yaml")
        with open(p, "w") as f:
            f.write(f"source: {self.data}\nsink: sqlite:{self.db}\nledger: {self.ledger}\n"
                    f"processed: {self.processed}\nquarantine: {self.quarantine}\n"
                    f"settle_ms: 100\n" + AGGREGATES_RULE)
        return p

    def load_history_then_run(self):
        """Loads six steady files with `once`, then starts `run --http` and drops
        a seventh whose site a is 60 degrees warmer; returns the base URL once it
        is loaded and counted."""
        cfg = self.config()
        for i in range(6):
            wobble = (-0.2, 0.1, 0.2, -0.1, 0.0, 0.15)[i]
            self.put(f"sensors_{i + 1:02}.csv", sensors_csv(20 + wobble, 30 - wobble))
        self.assertExit(self.sluice("once", "-c", cfg), 0)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = self.start_run("-c", cfg, "--http", f"127.0.0.1:{port}", paths=False)
        self.put("sensors_07.csv", sensors_csv(80, 30))

        def flagged_counted():
            try:
                status, body = http_get(base + "/metrics", timeout=1)
            except OSError:
                return None
            if status != 200:
                return None
            m = parse_metrics(body)
            return m.get('sluice_files_flagged_total{table="sensors",column="temperature"}')

        self.wait_for(flagged_counted, 60, "the warm file flagged", interval=0.2, proc=proc)
        return base, proc

    def test_a_file_whose_mean_stands_out_is_flagged_listed_and_drawn(self):
        base, proc = self.load_history_then_run()
        m = parse_metrics(http_get(base + "/metrics")[1])
        self.assertEqual(m['sluice_files_flagged_total{table="sensors",column="temperature"}'], 1)
        self.assertNotIn('sluice_files_flagged_total{table="sensors",column="humidity"}', m)
        log = self.log_tail(proc, 20000)
        flagged = [line for line in log.splitlines() if "file_flagged" in line]
        self.assertEqual(len(flagged), 1, log)
        for part in ("table=sensors", "column=temperature", "sensors_07.csv", "mean=80",
                     "expected_low=", "expected_high="):
            self.assertIn(part, flagged[0])

        # /api/aggregates: the table, then its series and the flagged file.
        tables = json.loads(http_get(base + "/api/aggregates")[1])
        self.assertEqual([t["table"] for t in tables["tables"]], ["sensors"])
        self.assertEqual(tables["tables"][0]["files"], 7)
        self.assertEqual(tables["tables"][0]["by"], ["site"])
        doc = json.loads(http_get(base + "/api/aggregates?table=sensors")[1])
        series = {(s["column"], s["group"]["site"]): s for s in doc["series"]}
        self.assertEqual(sorted(series), [("humidity", "a"), ("humidity", "b"),
                                          ("temperature", "a"), ("temperature", "b")])
        warm = series[("temperature", "a")]["points"]
        self.assertEqual(len(warm), 7)
        self.assertEqual(warm[-1]["name"], "sensors_07.csv")
        self.assertEqual(warm[-1]["mean"], 80)
        self.assertEqual(warm[-1]["min"], 79)
        self.assertEqual(warm[-1]["max"], 81)
        self.assertTrue(warm[-1]["flagged"])
        self.assertEqual([p["flagged"] for p in warm[:-1]], [False] * 6)
        times = [p["loaded_at_ms"] for p in warm]
        self.assertEqual(times, sorted(times))
        self.assertEqual(len(doc["flagged"]), 1)
        self.assertEqual(doc["flagged"][0]["name"], "sensors_07.csv")
        self.assertEqual(doc["flagged"][0]["group"], {"site": "a"})
        self.assertLess(doc["flagged"][0]["expected_high"], 80)

        # The page: a chart per column and group, the flagged file as a dot on
        # its chart and listed below.
        res = self.chromium("--dump-dom", base + "/")
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])
        dom = res.stdout
        self.assertEqual(len(re.findall(r'<svg[^>]*class="agg-chart"', dom)), 4, dom[-3000:])
        self.assertRegex(dom, r'<svg[^>]*data-column="temperature"[^>]*data-group="site=a"')
        self.assertEqual(len(re.findall(r'<polyline[^>]*class="mean"', dom)), 4)
        self.assertEqual(len(re.findall(r'<polygon[^>]*class="band"', dom)), 4)
        dots = re.findall(r'<circle[^>]*class="flagged-point"[^>]*data-file="([^"]*)"', dom)
        self.assertEqual(dots, ["sensors_07.csv"])
        listed = re.search(r'<table id="flagged"[^>]*>.*?</table>', dom, re.S)
        self.assertIsNotNone(listed, dom[-3000:])
        self.assertIn('<td class="flag">sensors_07.csv</td>', listed.group(0))
        self.assertIn("<td>temperature</td>", listed.group(0))
        self.assertIn("<td>site=a</td>", listed.group(0))

        shot = os.path.join(BUILD_DIR, "test-artefacts", "status-page-data-view.png")
        os.makedirs(os.path.dirname(shot), exist_ok=True)
        if os.path.exists(shot):
            os.remove(shot)
        res = self.chromium(f"--screenshot={shot}", "--window-size=1280,1600", base + "/")
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])
        with open(shot, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertEqual(self.stop(proc), 0)

        # `sluice status --file`: the file's aggregates as a table, and in JSON.
        res = self.sluice("status", "--ledger", self.ledger, "--file", "sensors_07.csv")
        self.assertExit(res, 0)
        self.assertRegex(res.stdout, r"\n +site +column +count +nulls +min +max +mean +stddev\n")
        self.assertRegex(res.stdout, r"\n +a +temperature +4 +0 +79 +81 +80 +0\.9128709292\n")
        self.assertRegex(res.stdout, r"\n +b +humidity +4 +0 +47 +50 +48\.5 +1\.290994449\n")
        self.assertRegex(res.stdout, r"flagged +temperature \(site=a\): mean 80 outside the "
                                     r"expected [0-9.]+ \.\. [0-9.]+\n")
        res = self.sluice("status", "--ledger", self.ledger, "--file", "sensors_07.csv", "--json")
        self.assertExit(res, 0)
        record = json.loads(res.stdout)[0]
        agg = record["aggregates"]
        self.assertEqual(agg["table"], "sensors")
        self.assertEqual(agg["by"], ["site"])
        self.assertEqual(len(agg["rows"]), 4)
        rows = {(r["group"]["site"], r["column"]): r for r in agg["rows"]}
        self.assertTrue(rows[("a", "temperature")]["flagged"])
        self.assertFalse(rows[("b", "temperature")]["flagged"])
        self.assertEqual(rows[("a", "temperature")]["count"], 4)
        steady = self.sluice("status", "--ledger", self.ledger, "--file", "sensors_01.csv")
        self.assertExit(steady, 0)
        self.assertNotIn("flagged", steady.stdout)
        self.assertIn("stddev", steady.stdout)



class PrometheusScrapeTest(ObserveTestCase):
    def test_prometheus_scrapes_sluice(self):
        prometheus = self.tool("prometheus")
        self.start_observed()
        target = self.base.split("//", 1)[1]
        prom_dir = tempfile.mkdtemp(prefix="sluice-prometheus-")
        self.addCleanup(shutil.rmtree, prom_dir, True)
        with open(os.path.join(prom_dir, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: sluice\n"
                    f"    static_configs:\n      - targets: ['{target}']\n")
        port = free_port()
        log = open(os.path.join(prom_dir, "prometheus.log"), "wb")
        self.addCleanup(log.close)
        prom = subprocess.Popen(
            [prometheus, f"--config.file={prom_dir}/prometheus.yml",
             f"--storage.tsdb.path={prom_dir}/data", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT, cwd=prom_dir)
        self.procs.append((prom, os.path.join(prom_dir, "prometheus.log")))
        api = f"http://127.0.0.1:{port}/api/v1/query?query="

        def query(expr):
            try:
                status, body = http_get(api + urllib.parse.quote(expr))
            except OSError:
                return None
            if status != 200:
                return None
            result = json.loads(body)["data"]["result"]
            return {json.dumps(r["metric"], sort_keys=True): float(r["value"][1])
                    for r in result} or None

        loaded = self.wait_for(
            lambda: query('sluice_files_total{outcome="loaded"}'), 60,
            "Prometheus to scrape sluice", interval=0.5)
        self.assertEqual(list(loaded.values()), [2])
        (labels,) = loaded
        self.assertEqual(json.loads(labels)["table"], "sales")
        self.assertEqual(json.loads(labels)["job"], "sluice")
        rows = query("sum(sluice_rows_loaded_total)")
        self.assertEqual(list(rows.values()), [4])
        self.assertEqual(list(query("up{job='sluice'}").values()), [1])
        self.assertEqual(list(query("sluice_sink_up").values()), [1])
        self.assertEqual(list(query("sluice_load_duration_seconds_count").values()), [3])


DEPLOY = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "deploy")
METRIC_NAMES = ("sluice_files_total", "sluice_rows_loaded_total", "sluice_rows_rejected_total",
                "sluice_bytes_read_total", "sluice_load_duration_seconds_bucket",
                "sluice_backlog_files", "sluice_oldest_pending_file_age_seconds",
                "sluice_sink_retries_total", "sluice_sink_up",
                "sluice_last_success_timestamp_seconds")


class DeployTest(ObserveTestCase):
    def test_alert_rules_pass_their_promtool_unit_tests(self):
        promtool = self.tool("promtool")
        rules = os.path.join(DEPLOY, "prometheus")
        for args in (["check", "rules", "sluice-alerts.yml"],
                     ["test", "rules", "sluice-alerts.test.yml"]):
            res = subprocess.run([promtool, *args], cwd=rules, capture_output=True, text=True,
                                 timeout=120)
            self.assertEqual(res.returncode, 0, res.stdout + res.stderr)

    def test_dashboard_queries_only_metrics_sluice_serves(self):
        with open(os.path.join(DEPLOY, "grafana", "sluice-dashboard.json")) as f:
            dash = json.load(f)
        exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
        self.assertTrue(exprs)
        used = {name for e in exprs for name in METRIC_NAMES if name in e}
        self.assertEqual(used, set(METRIC_NAMES))
        # Every name in the dashboard is served by a running sluice.
        self.start_observed()
        _, text = http_get(self.base + "/metrics")
        served = {line.split("{")[0].split(" ")[0] for line in text.splitlines()
                  if line and not line.startswith("#")}
        self.assertLessEqual(used, served)


if __name__ == "__main__":
    unittest.main()
