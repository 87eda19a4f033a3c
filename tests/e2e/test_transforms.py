"""Transforms on the way in (normalize, derive, filter, drop) on SQLite: the rows
that reach the table, rows_filtered in the ledger, status, log and metrics, bad
rows of a failing expression, and a bad expression stopping sluice at start-up."""

import json
import os
import unittest

from sluice_e2e import SluiceTestCase, free_port, http_get

# The issue's example, without aggregates.
RULE = """tables:
  - match: "sensors*"
    table: sensors
    normalize:
      trim: true
      null_values: ["", "NA", "N/A", "null", "-"]
      case: {status: lower}
      map: {status: {OK: ok, Ok: ok, FAIL: fail}}
    derive:
      - name: temperature_k
        expr: "temperature + 273.15"
      - name: day
        expr: "date(ts)"
      - name: event_date
        expr: "date(from_epoch_ms(event_ms))"
    filter: "status <> 'maintenance' and temperature is not null"
    drop: [raw_payload]
"""

# 1764000000000 ms is 2025-11-24T16:00:00Z; 1764028800000 is 2025-11-25T00:00:00Z.
SENSORS = """sensor_id,ts,temperature,status,event_ms,raw_payload
 s1 ,2026-11-01T10:00:00Z, 20.5 ,OK,1764000000000,aaa
s2,2026-11-01T23:59:59Z,NA,ok,1764000000000,bbb
s3,2026-11-02T00:00:00Z,-3,maintenance,1764000000000,ccc
s4,2026-11-02T01:00:00+02:00,10,FAIL,1764028800000,ddd
s5,2026-11-02T02:00:00Z,0, Ok ,1764028799999,eee
"""


class TransformsTest(SluiceTestCase):

    def config(self, body, name="sluice.yaml"):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(f"source: {self.data}\nsink: sqlite:{self.db}\nledger: {self.ledger}\n"
                    f"processed: {self.processed}\nquarantine: {self.quarantine}\n"
                    f"settle_ms: 100\n" + body)
        return p

    def test_the_issues_example_loads_the_transformed_rows(self):
        cfg = self.config(RULE)
        self.put("sensors_1.csv", SENSORS)
        res = self.sluice("once", "-c", cfg)
        self.assertExit(res, 0)
        self.assertEqual(self.processed_files(), ["sensors_1.csv"])
        self.assertEqual(self.columns("sensors"),
                         ["sensor_id", "ts", "temperature", "status", "event_ms",
                          "temperature_k", "day", "event_date"])
        rows = self.query("SELECT sensor_id, temperature, status, temperature_k, day, event_date "
                          "FROM sensors ORDER BY sensor_id")
        # s2: temperature NA is NULL, filtered; s3: maintenance, filtered. s4's
        # timestamp is 2026-11-01T23:00Z: its UTC day is the 1st.
        self.assertEqual([r[0] for r in rows], ["s1", "s4", "s5"])
        self.assertEqual([r[2] for r in rows], ["ok", "fail", "ok"])
        self.assertEqual([r[1] for r in rows], [20.5, 10, 0])
        for got, want in zip([r[3] for r in rows], [293.65, 283.15, 273.15]):
            self.assertAlmostEqual(got, want, places=9)
        self.assertEqual([str(r[4]) for r in rows], ["2026-11-01", "2026-11-01", "2026-11-02"])
        self.assertEqual([str(r[5]) for r in rows], ["2025-11-24", "2025-11-25", "2025-11-24"])

        # rows_filtered: in the file's log line, the ledger (status) and its JSON.
        loaded = [json.loads(line) for line in res.stderr.splitlines()
                  if line.startswith("{") and '"loaded"' in line]
        text_line = [line for line in (res.stdout + res.stderr).splitlines()
                     if "loaded" in line and "sensors_1.csv" in line]
        self.assertTrue(loaded or text_line, self.describe(res))
        if loaded:
            self.assertEqual(loaded[0]["filtered"], 2)
        else:
            self.assertRegex(text_line[0], r"filtered=2\b")
        status = self.sluice("status", "--ledger", self.ledger, "--json")
        self.assertExit(status, 0)
        doc = json.loads(status.stdout)
        self.assertEqual(doc["rows_loaded"], 3)
        self.assertEqual(doc["rows_filtered"], 2)
        self.assertEqual(doc["recent"][0]["filtered"], 2)
        text = self.sluice("status", "--ledger", self.ledger)
        self.assertRegex(text.stdout, r"filtered\s+2\b")
        one = self.sluice("status", "--ledger", self.ledger, "--file", "sensors_1.csv")
        self.assertIn("filtered=2", one.stdout)

    def test_rows_where_a_derive_fails_are_bad_rows_with_their_lines(self):
        cfg = self.config("""defaults:
  max_rejects: 10
  derive:
    - name: ratio
      expr: "cast(humidity as float) / pressure"
  filter: "humidity > 0"
""")
        # Line 3 divides by zero; line 5 too, though the filter would skip it.
        self.put("air.csv", "humidity,pressure\n50,1000\n40,0\n60,1200\n-1,0\n-2,5\n")
        res = self.sluice("once", "-c", cfg)
        self.assertExit(res, 0)
        self.assertEqual(self.query("SELECT humidity, pressure, ratio FROM air ORDER BY 1"),
                         [(50, 1000, 0.05), (60, 1200, 0.05)])
        rejects = self.rejects("air.csv")
        self.assertEqual([r["line"] for r in rejects], [3, 5])
        self.assertEqual({r["kind"] for r in rejects}, {"transform"})
        self.assertEqual(rejects[0]["column"], "ratio")
        self.assertEqual(rejects[0]["raw"], "40,0")
        self.assertIn('derive \'ratio\' "cast(humidity as float) / pressure": division by zero',
                      rejects[0]["reason"])
        doc = json.loads(self.sluice("status", "--ledger", self.ledger, "--json").stdout)
        self.assertEqual(doc["rows_rejected"], 2)
        self.assertEqual(doc["rows_filtered"], 1)

    def test_a_failing_derive_past_the_threshold_quarantines_the_file(self):
        cfg = self.config('defaults:\n  derive: [{name: r, expr: "a / b"}]\n')
        self.put("t.csv", "a,b\n1,1\n1,0\n")
        self.assertExit(self.sluice("once", "-c", cfg), 2)  # 2: a file was quarantined
        self.assertEqual(self.quarantined_files(), ["t.csv"])
        self.assertEqual(self.rejects("t.csv")[0]["kind"], "transform")

    def test_a_bad_expression_stops_sluice_at_start_up(self):
        cfg = self.config("""tables:
  - match: "s*"
    derive:
      - name: k
        expr: "temperature + * 2"
""")
        self.put("s.csv", "temperature\n1\n")
        for command in ("once", "run"):
            with self.subTest(command=command):
                res = self.sluice(command, "-c", cfg, timeout=30)
                self.assertExit(res, 1)
                msg = res.stdout + res.stderr
                self.assertIn(cfg, msg)
                self.assertIn('tables[0] (match "s*")', msg)
                self.assertIn('derive \'k\' "temperature + * 2": at 15', msg)
                self.assertFalse(os.path.exists(self.db))
                self.assertEqual(self.data_files(), ["s.csv"])

    def test_infer_and_check_see_normalised_values(self):
        cfg = self.config('defaults:\n  normalize: {trim: true, null_values: ["NA"]}\n')
        f = self.put("m.csv", "id,temp\n1, NA \n2,3.5\n")
        infer = self.sluice("infer", "-c", cfg, f)
        self.assertExit(infer, 0)
        self.assertRegex(infer.stdout, r"name: temp\s+type: float")
        check = self.sluice("check", "-c", cfg, f)
        self.assertExit(check, 0)

    def test_aggregates_of_a_string_column_stop_sluice_at_start_up(self):
        cfg = self.config('tables:\n  - match: "s*"\n    derive: [{name: d, expr: "\'x\'"}]\n'
                          '    aggregates: {columns: [d]}\n')
        res = self.sluice("once", "-c", cfg, timeout=30)
        self.assertExit(res, 1)
        self.assertIn('tables[0] (match "s*"): aggregates: column "d" is string, not integer or float',
                      res.stderr + res.stdout)

    def test_rows_filtered_in_metrics_and_api_status(self):
        cfg = self.config(RULE)
        self.put("sensors_1.csv", SENSORS)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = self.start_run("-c", cfg, "--http", f"127.0.0.1:{port}", paths=False)

        def filtered():
            try:
                status, body = http_get(base + "/api/status", timeout=1)
            except OSError:
                return None
            if status != 200:
                return None
            doc = json.loads(body)
            if doc["files_by_state"].get("loaded") != 1:
                return None
            metrics = http_get(base + "/metrics")[1]
            line = [m for m in metrics.splitlines()
                    if m.startswith('sluice_rows_filtered_total{table="sensors"}')]
            return (doc, line[0]) if line else None

        doc, line = self.wait_for(filtered, 60, "the file loaded", interval=0.2, proc=proc)
        self.assertEqual(doc["rows_filtered"], 2)
        self.assertEqual(float(line.rsplit(" ", 1)[1]), 2)
        self.stop(proc)


if __name__ == "__main__":
    unittest.main()
