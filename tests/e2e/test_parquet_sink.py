"""The Parquet sink (--sink parquet:DIR): every table is a folder DIR/TABLE/ of
Parquet files, one per load or group of loads, which DuckDB (scripts/duckdb.sh:
from npm; without Node.js the tests skip, and fail when CI=true) reads with
read_parquet('DIR/TABLE/*.parquet'): every source row once, across `once`, `run`,
kill -9 at random moments (with a file's aggregates in a side table too) and
schema evolution (union_by_name)."""

import os
import random
import time

from sluice_e2e import EVENTS_SCHEMA, SluiceTestCase, csv_text, log


class ParquetSinkTestCase(SluiceTestCase):

    def setUp(self):
        super().setUp()
        self.lake = self.path("lake")

    def args(self):
        return ["--source", self.data, "--sink", "parquet:" + self.lake, "--ledger", self.ledger,
                "--processed", self.processed, "--quarantine", self.quarantine]

    def pq_once(self, *extra, timeout=300):
        return self.sluice("once", *self.args(), "--settle-ms", "50", *extra, timeout=timeout)

    def glob(self, table):
        return os.path.join(self.lake, table, "*.parquet")

    def read(self, table, sql, union=False):
        """Rows of `sql` over the view t = read_parquet of the table's files."""
        options = ", union_by_name = true" if union else ""
        return self.duckdb(f"CREATE VIEW t AS SELECT * FROM read_parquet('{self.glob(table)}'"
                           f"{options}); {sql}")[-1]

    def visible_rows(self, table):
        """Rows a glob over the table's files sees now (0 before the first file)."""
        folder = os.path.join(self.lake, table)
        if not os.path.isdir(folder) or not any(n.endswith(".parquet") and not n.startswith(".")
                                                for n in os.listdir(folder)):
            return 0
        return int(self.read(table, "SELECT count(*) FROM t")[0][0])

    def assert_no_temporary_files(self):
        """What sluice leaves once idle: no temporary file anywhere under DIR."""
        leftovers = []
        for root, _dirs, names in os.walk(self.lake):
            leftovers += [os.path.join(root, n) for n in names if n.endswith(".tmp")]
        self.assertEqual(leftovers, [])

    def schema(self):
        path = self.path("events.schema.yaml")
        with open(path, "w") as f:
            f.write(EVENTS_SCHEMA)
        return path


class ParquetSinkLoadTest(ParquetSinkTestCase):

    def test_once_then_run_load_every_row_once_into_one_file_per_load(self):
        orders = {f"orders_{i}.csv": [[i * 10 + k, f"o{i}-{k}", f"{k}.5", "2026-12-0" + str(k + 1)]
                                      for k in range(3)] for i in range(3)}
        for name, rows in orders.items():
            self.put(name, csv_text(["id", "item", "price", "day"], rows))
        self.put("customers.csv", csv_text(["id", "name"], [[1, "Ann"], [2, ""]]))
        res = self.pq_once("--workers", "2")
        self.assertExit(res, 0)
        self.assertEqual(self.quarantined_files(), [])

        self.assertEqual(
            self.read("orders", "SELECT id, item, price, CAST(day AS VARCHAR) FROM t ORDER BY id"),
            sorted([[str(r[0]), r[1], float(r[2]), r[3]] for rows in orders.values()
                    for r in rows], key=lambda r: int(r[0])))
        self.assertEqual(self.read("customers", "SELECT id, name FROM t ORDER BY id"),
                         [["1", "Ann"], ["2", None]])
        types = self.duckdb(f"DESCRIBE SELECT * FROM read_parquet('{self.glob('orders')}')")[0]
        self.assertEqual([t[1] for t in types], ["BIGINT", "VARCHAR", "DOUBLE", "DATE"])
        files = sorted(n for n in os.listdir(os.path.join(self.lake, "orders"))
                       if n.endswith(".parquet"))
        markers = os.listdir(os.path.join(self.lake, "_sluice", "loads"))
        self.assertEqual(len(markers), 4)  # one per source file
        self.assertTrue(1 <= len(files) <= 3, files)  # small files may share a group's file

        # `sluice run` adds files: new files appear beside the old, nothing twice.
        proc = self.start_run(paths=False, *self.args())
        for i in range(3, 6):
            self.put(f"orders_{i}.csv", csv_text(["id", "item", "price", "day"],
                                                 [[i * 10, f"o{i}", "1", "2026-12-01"]]))
        self.wait_for(lambda: self.visible_rows("orders") == 12, 60,
                      "the run's rows in the Parquet files", proc=proc)
        self.assertEqual(self.stop(proc), 0)
        got = self.read("orders", "SELECT count(*), count(DISTINCT id) FROM t")
        self.assertEqual(got, [["12", "12"]])
        self.assertEqual(self.data_files(), [])
        self.assert_no_temporary_files()

    def test_keys_skip_rows_already_in_the_table(self):
        self.put("things_1.csv", csv_text(["id", "v"], [[1, "a"], [2, "a"], [2, "dup"]]))
        self.assertExit(self.pq_once("--key", "id"), 0)
        self.put("things_2.csv", csv_text(["id", "v"], [[2, "b"], [3, "b"]]))
        self.assertExit(self.pq_once("--key", "id"), 0)
        self.assertEqual(self.read("things", "SELECT id, v FROM t ORDER BY id"),
                         [["1", "a"], ["2", "a"], ["3", "b"]])

    def test_added_columns_appear_in_later_files_and_read_as_null_before(self):
        self.put("readings_1.csv", csv_text(["id", "temp"], [[1, "20.5"], [2, "21"]]))
        self.assertExit(self.pq_once(), 0)
        self.put("readings_2.csv", csv_text(["id", "temp", "humidity"], [[3, "19", "40"]]))
        self.assertExit(self.pq_once("--schema-evolution", "add_columns"), 0)
        self.assertEqual(self.quarantined_files(), [])
        self.assertEqual(
            self.read("readings", "SELECT id, temp, humidity FROM t ORDER BY id", union=True),
            [["1", 20.5, None], ["2", 21.0, None], ["3", 19.0, "40"]])
        # The table's definition has the column too (DescribeTable reads it).
        with open(os.path.join(self.lake, "readings", "_schema")) as f:
            self.assertIn('"humidity"', f.read())


class ParquetSinkCrashTest(ParquetSinkTestCase):
    """kill -9 of `sluice run`/`once` at random moments while it loads 168 files into
    the Parquet folder: at the end DuckDB sees every id exactly once, nothing is
    quarantined, and no temporary file is left."""

    ROUNDS = 8  # the files load fast: kills come within 0.4 s to land in loads

    def test_kill_9_loop_every_id_exactly_once(self):
        seed = int(os.environ.get("SLUICE_CRASH_SEED") or (time.time_ns() % (2**31)))
        log(f"\nparquet kill test seed={seed}")
        rng = random.Random(seed)
        schema = self.schema()
        args = self.args() + ["--settle-ms", "50", "--rescan-seconds", "1", "--workers", "2",
                              "--schema", schema, "--max-crashes", "0"]
        per_file, expected = self.kill_in_waves(rng, args, self.ROUNDS, 20, (300000, 600000),
                                                lambda: self.visible_rows("events"),
                                                delays=(0.03, 0.4))
        res = self.sluice("once", *self.args(), "--settle-ms", "50", "--workers", "2",
                          "--schema", schema, "--max-crashes", "0", timeout=600)
        self.assertExit(res, 0)
        got = self.read("events", "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM t")
        self.assertEqual(got, [[str(expected), str(expected), "1", str(expected)]],
                         f"seed {seed}: rows lost or duplicated")
        per_batch = {str(r[0]): str(r[1]) for r in
                     self.read("events", "SELECT batch, count(*) FROM t GROUP BY batch")}
        want = {str(int(n[len("events_"):-len(".csv")])): str(c) for n, c in per_file.items()}
        self.assertEqual(per_batch, want, f"seed {seed}: per-file row counts differ")
        self.assertEqual(len(os.listdir(os.path.join(self.lake, "_sluice", "loads"))),
                         len(per_file))
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.quarantined_files(), [])
        self.assert_no_temporary_files()

    def test_kill_9_loop_keeps_aggregates_exactly_with_their_rows(self):
        """Issue 15 on parquet:DIR: the aggregates table's files (one per load or
        group, named like its data file, renamed just before it) through kill -9:
        at the end every file's rows once and one aggregate row per column whose
        count is the file's rows, and no side file without its data file."""
        seed = int(os.environ.get("SLUICE_CRASH_SEED") or (time.time_ns() % (2**31)))
        log(f"\nparquet aggregates kill test seed={seed}")
        rng = random.Random(seed)
        config = self.path("aggregates.yaml")
        with open(config, "w") as f:
            f.write('tables:\n  - match: "events*"\n    table: events\n'
                    '    aggregates: {columns: [value, id]}\n')
        common = ["-c", config] + self.args() + [
            "--settle-ms", "50", "--workers", "2", "--schema", self.schema(),
            "--max-crashes", "0"]
        per_file, expected = self.kill_in_waves(rng, common + ["--rescan-seconds", "1"],
                                                self.ROUNDS, 20, (300000, 600000),
                                                lambda: self.visible_rows("events"),
                                                delays=(0.03, 0.4))
        self.assertExit(self.sluice("once", *common, timeout=600), 0)
        got = self.read("events", "SELECT count(*), count(DISTINCT id) FROM t")
        self.assertEqual(got, [[str(expected), str(expected)]],
                         f"seed {seed}: rows lost or duplicated")
        counts = {r[0].rsplit("/", 1)[-1]: str(r[1]) for r in self.read(
            "events_file_stats", "SELECT _file, \"count\" FROM t WHERE \"column\" = 'id'")}
        self.assertEqual(counts, {n: str(c) for n, c in per_file.items()},
                         f"seed {seed}: a file's aggregates differ from its rows")
        self.assertEqual(self.read("events_file_stats", "SELECT count(*) FROM t"),
                         [[str(2 * len(per_file))]], f"seed {seed}: aggregate rows duplicated")

        def files(table):
            return sorted(n for n in os.listdir(os.path.join(self.lake, table))
                          if n.endswith(".parquet") and not n.startswith("."))
        data = files("events")
        self.assertEqual([n for n in files("events_file_stats") if n not in data], [],
                         f"seed {seed}: side files whose data file never appeared")
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.quarantined_files(), [])
        self.assert_no_temporary_files()
