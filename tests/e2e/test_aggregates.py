"""Per-file aggregates (`aggregates:` of a table rule) on SQLite: one row per file,
`by` group and column, equal to Python's statistics.fmean/stdev within 1e-9
relative, over the rows loaded only (after the filter, without bad rows), none for
a quarantined file, and exactly once through kill -9 of sluice during loads.
The tests are written against a small server interface so that
test_aggregates_sinks.py runs them on PostgreSQL, ClickHouse and MySQL too."""

import os
import random
import statistics
import time
import unittest

from sluice_e2e import SluiceTestCase, log, open_sqlite

# The aggregates table's fixed columns around the `by` ones.
HEAD = ["_file", "_load_id", "_loaded_at"]
TAIL = ["column", "count", "nulls", "min", "max", "mean", "stddev"]


class SQLiteServer:
    """The workspace's SQLite database, seen like the servers of
    test_aggregates_sinks.py: query() gives text cells (None for NULL)."""
    variable = None

    def __init__(self, test, url=None):
        self.test = test
        self.sink = "sqlite:" + test.db

    def table(self, name):
        return name

    def query(self, sql):
        rows = self.test.query(sql) or []
        return [[None if c is None else str(c) for c in row] for row in rows]


class AggregatesOnSinks:
    """The tests; a subclass sets SERVER (SQLiteServer or a server of
    test_transforms_sinks.py)."""
    SERVER = SQLiteServer
    # The kill -9 loop: rounds, small files a round, rows of the round's large file.
    KILL_ROUNDS, KILL_SMALL, KILL_BIG = 6, 12, (40000, 80000)
    QUOTE = '"'  # of identifiers such as `column` and `count` (MySQL: a backtick)

    def setUp(self):
        super().setUp()
        url = self.server_env(self.SERVER.variable) if self.SERVER.variable else None
        self.server = self.SERVER(self, url)

    def config(self, rule):
        path = self.path("sluice.yaml")
        with open(path, "w") as f:
            f.write(f"source: {self.data}\nsink: {self.server.sink}\nledger: {self.ledger}\n"
                    f"processed: {self.processed}\nquarantine: {self.quarantine}\n"
                    f"settle_ms: 50\n" + rule)
        return path

    def load(self, rule, files):
        """Lands `files` ({name: content}) and runs `sluice once` with `rule`."""
        cfg = self.config(rule)
        for name, content in files.items():
            self.put(name, content)
        return self.sluice("once", "-c", cfg, timeout=300)

    def stats(self, table, by=()):
        """The aggregates table's rows as dicts (numbers parsed)."""
        names = HEAD + list(by) + TAIL
        # Named: a sink may keep columns of its own in the table (ClickHouse's load id).
        select = ", ".join(self.QUOTE + n + self.QUOTE for n in names)
        out = []
        for row in self.server.query(f"SELECT {select} FROM {self.server.table(table)}"):
            self.assertEqual(len(row), len(names), row)
            rec = dict(zip(names, row))
            for k in ("count", "nulls"):
                rec[k] = int(rec[k])
            for k in ("min", "max", "mean", "stddev"):
                rec[k] = None if rec[k] is None else float(rec[k])
            rec["name"] = os.path.basename(rec["_file"])
            out.append(rec)
        return out

    def ledger_hash(self, name):
        con = open_sqlite(self.ledger)
        try:
            rows = con.execute("SELECT hash FROM files WHERE path LIKE ?",
                               ("%/" + name,)).fetchall()
        finally:
            con.close()
        self.assertEqual(len(rows), 1, name)
        return rows[0][0]

    def assert_aggregates(self, rec, values, what):
        """rec's count, nulls, min, max, mean, stddev are those of `values` (None
        for NULL): mean and stddev as Python's statistics within 1e-9 relative."""
        present = [v for v in values if v is not None]
        self.assertEqual((rec["count"], rec["nulls"]), (len(present), len(values) - len(present)),
                         what)
        if not present:
            self.assertEqual((rec["min"], rec["max"], rec["mean"], rec["stddev"]),
                             (None, None, None, None), what)
            return
        self.assertEqual((rec["min"], rec["max"]), (min(present), max(present)), what)
        mean = statistics.fmean(present)
        self.assertLessEqual(abs(rec["mean"] - mean), 1e-9 * abs(mean), f"{what}: mean")
        if len(present) < 2:
            self.assertIsNone(rec["stddev"], what)
        else:
            stdev = statistics.stdev(present)
            self.assertLessEqual(abs(rec["stddev"] - stdev), 1e-9 * stdev, f"{what}: stddev")

    # ---- the tests --------------------------------------------------------

    def test_mean_and_stddev_equal_pythons_statistics(self):
        rule = """tables:
  - match: "sensors*"
    table: sensors
    metadata: [file, loaded_at]
    derive:
      - name: temperature_k
        expr: "temperature + 273.15"
    aggregates:
      columns: [temperature_k, humidity, pressure]
"""
        rng = random.Random(15)
        files, values = {}, {}
        for f in range(2):
            lines, cols = ["sensor_id,temperature,humidity,pressure"], ([], [], [])
            for i in range(3000):
                t = round(rng.gauss(20, 7), 6)
                h = None if i % 97 == 0 else round(rng.uniform(0, 100), 3)
                # Large values close together: a naive sum of squares loses them.
                p = 1e9 + round(rng.gauss(0, 0.5), 6)
                lines.append(f"s{i % 5},{t!r},{'NA' if h is None else repr(h)},{p!r}")
                cols[0].append(t + 273.15)
                cols[1].append(h)
                cols[2].append(p)
            name = f"sensors_{f}.csv"
            files[name] = "\n".join(lines) + "\n"
            values[name] = dict(zip(["temperature_k", "humidity", "pressure"], cols))
        rule = rule.replace("    metadata:", "    normalize: {null_values: [NA]}\n    metadata:")
        self.assertExit(self.load(rule, files), 0)
        self.assertEqual(self.processed_files(), sorted(files))
        stats = self.stats("sensors_file_stats")
        self.assertEqual(len(stats), 2 * 3)
        rows = self.server.query(
            f"SELECT DISTINCT _file, _loaded_at FROM {self.server.table('sensors')}")
        loaded = {os.path.basename(f): (f, at) for f, at in rows}
        self.assertEqual(len(loaded), 2, rows)
        for rec in stats:
            what = f"{rec['name']} {rec['column']}"
            self.assert_aggregates(rec, values[rec["name"]][rec["column"]], what)
            # The same _file and _loaded_at as the file's rows; its hash as load id.
            self.assertEqual((rec["_file"], rec["_loaded_at"]), loaded[rec["name"]], what)
            self.assertEqual(rec["_load_id"], self.ledger_hash(rec["name"]), what)

    def test_aggregates_by_groups(self):
        rule = """tables:
  - match: "sensors*"
    table: sensors
    aggregates:
      columns: [temperature, humidity]
      by: [sensor_id]
"""
        rng = random.Random(16)
        lines, per = ["sensor_id,temperature,humidity"], {}
        for i in range(600):
            sensor = f"s{rng.randint(1, 4)}"
            t, h = round(rng.uniform(-20, 40), 4), round(rng.uniform(0, 100), 4)
            lines.append(f"{sensor},{t!r},{h!r}")
            per.setdefault(sensor, {"temperature": [], "humidity": []})
            per[sensor]["temperature"].append(t)
            per[sensor]["humidity"].append(h)
        self.assertExit(self.load(rule, {"sensors_1.csv": "\n".join(lines) + "\n"}), 0)
        stats = self.stats("sensors_file_stats", by=["sensor_id"])
        self.assertEqual(sorted((r["sensor_id"], r["column"]) for r in stats),
                         sorted((s, c) for s in per for c in ("temperature", "humidity")))
        for rec in stats:
            self.assert_aggregates(rec, per[rec["sensor_id"]][rec["column"]],
                                   f"{rec['sensor_id']} {rec['column']}")

    def test_filtered_and_bad_rows_are_not_aggregated(self):
        rule = """defaults:
  max_rejects: 10
  derive:
    - name: ratio
      expr: "cast(humidity as float) / pressure"
  filter: "status <> 'maintenance'"
  aggregates:
    columns: [temperature, ratio]
"""
        content = ("temperature,humidity,pressure,status\n"
                   "10.5,50,1000,ok\n"           # loaded
                   "99,40,0,ok\n"                # bad row: division by zero
                   "-50,60,1200,maintenance\n"   # filtered
                   "12.25,70,1400,ok\n"          # loaded
                   "13,80,1600,ok\n")            # loaded
        self.assertExit(self.load(rule, {"air.csv": content}), 0)
        self.assertEqual([r["line"] for r in self.rejects("air.csv")], [3])
        stats = {r["column"]: r for r in self.stats("air_file_stats")}
        self.assertEqual(sorted(stats), ["ratio", "temperature"])
        self.assert_aggregates(stats["temperature"], [10.5, 12.25, 13.0], "temperature")
        self.assert_aggregates(stats["ratio"], [50 / 1000, 70 / 1400, 80 / 1600], "ratio")
        self.assertEqual(int(self.server.query(
            f"SELECT count(*) FROM {self.server.table('air')}")[0][0]), 3)

    def test_a_quarantined_file_has_no_aggregate_rows(self):
        rule = """defaults:
  derive:
    - name: ratio
      expr: "cast(humidity as float) / pressure"
  aggregates: true
"""
        files = {"air_1.csv": "humidity,pressure\n50,1000\n60,1200\n",
                 "air_2.csv": "humidity,pressure\n50,1000\n40,0\n",   # a bad row: quarantined
                 "air_3.csv": "humidity,pressure\n70,1400\n"}
        self.assertExit(self.load(rule, files), 2)  # 2: a file was quarantined
        self.assertEqual(self.quarantined_files(), ["air_2.csv"])
        self.assertEqual(self.processed_files(), ["air_1.csv", "air_3.csv"])
        stats = self.stats("air_file_stats")
        # Every integer and float column loaded: humidity, pressure, ratio.
        self.assertEqual(sorted((r["name"], r["column"]) for r in stats),
                         sorted((n, c) for n in ("air_1.csv", "air_3.csv")
                                for c in ("humidity", "pressure", "ratio")))
        by_file = {(r["name"], r["column"]): r for r in stats}
        self.assert_aggregates(by_file[("air_1.csv", "ratio")], [0.05, 0.05], "air_1 ratio")

    def test_kill_9_during_loads_keeps_each_files_aggregates_exactly_once(self):
        seed = int(os.environ.get("SLUICE_CRASH_SEED") or (time.time_ns() % (2**31)))
        log(f"\naggregates kill test ({self.SERVER.__name__}) seed={seed}")
        rng = random.Random(seed)
        cfg = self.config("defaults:\n  aggregates:\n    columns: [value, id]\n    by: [label]\n")
        # --max-crashes 0: no file is quarantined for being in flight at many kills.
        args = ["-c", cfg, "--settle-ms", "50", "--rescan-seconds", "1", "--workers", "2",
                "--schema", self.events_schema(), "--max-crashes", "0"]
        events = self.server.table("events")

        def visible():
            try:
                rows = self.server.query(f"SELECT count(*) FROM {events}")
            except AssertionError:  # a server's query fails until the table exists
                return 0
            return int(rows[0][0]) if rows else 0

        per_file, expected = self.kill_in_waves(rng, args, self.KILL_ROUNDS, self.KILL_SMALL,
                                                self.KILL_BIG, visible)
        res = self.sluice("once", *args, timeout=600)
        self.assertExit(res, 0)
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.quarantined_files(), [])
        rows = {int(b): int(n) for b, n in self.server.query(
            f"SELECT batch, count(*) FROM {events} GROUP BY batch")}
        want = {int(n[len("events_"):-len(".csv")]): c for n, c in per_file.items()}
        self.assertEqual(rows, want, f"seed {seed}: rows lost or duplicated")
        self.assertEqual(visible(), expected)
        stats = self.stats("events_file_stats", by=["label"])
        # files x groups x columns, exactly: a file of n consecutive ids has
        # min(n, 10) labels l0..l9; two columns each.
        self.assertEqual(len(stats), sum(2 * min(n, 10) for n in per_file.values()),
                         f"seed {seed}: aggregate rows lost or duplicated")
        keys = [(r["name"], r["label"], r["column"]) for r in stats]
        self.assertEqual(len(set(keys)), len(keys), f"seed {seed}: aggregate rows duplicated")
        counted = {}
        for r in stats:
            if r["column"] == "id":
                counted[r["name"]] = counted.get(r["name"], 0) + r["count"]
        self.assertEqual(counted, per_file, f"seed {seed}: a file's aggregates and rows differ")


class SQLiteAggregatesTest(AggregatesOnSinks, SluiceTestCase):
    SERVER = SQLiteServer


if __name__ == "__main__":
    unittest.main()
