"""after_load: parquet: a loaded file is archived in processed/ as a Parquet file
holding exactly the rows loaded, typed as the table's columns, read back by DuckDB
(scripts/duckdb.sh: from npm; without Node.js the tests skip, and fail when
CI=true)."""

import datetime
import gzip
import json
import os
import random
import shutil
import time
import unittest

from sluice_e2e import REPO, SluiceTestCase, csv_text, log

HEADER = ["id", "name", "price", "active", "day", "ts"]
# JSON keeps empty strings apart from nulls (in CSV an empty field is null).
ROWS = [
    [1, "alpha", 1.5, True, "2026-11-01", "2026-11-01T10:00:00Z"],
    [2, "", -0.25, False, "1969-12-31", "1969-12-31T23:59:59.999999Z"],
    [3, "ünïcödé 🦆", None, True, None, "2026-11-03T23:59:59.000001Z"],
    [4, None, 1e300, None, "1900-01-01", None],
]
SCHEMA = """columns:
  - name: id
    type: integer
  - name: name
    type: string
  - name: price
    type: float
  - name: active
    type: boolean
  - name: day
    type: date
  - name: ts
    type: timestamp
"""
DUCKDB_TYPES = ["BIGINT", "VARCHAR", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP WITH TIME ZONE"]


def epoch_us(text):
    """Microseconds since 1970 of SQLite's stored UTC timestamp text."""
    fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in text else "%Y-%m-%d %H:%M:%S"
    t = datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc)
    delta = t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


class ParquetArchiveTest(SluiceTestCase):

    def schema(self):
        path = self.path("orders.schema.yaml")
        with open(path, "w") as f:
            f.write(SCHEMA)
        return path

    def put_orders(self, name="orders.jsonl.gz", rows=ROWS):
        lines = "".join(json.dumps(dict(zip(HEADER, r))) + "\n" for r in rows).encode()
        self.put(name, gzip.compress(lines) if name.endswith(".gz") else lines)

    def loaded_rows(self, table="orders"):
        """The table's rows as DuckDB's query in parquet_rows prints them."""
        out = []
        for r in self.query(f"SELECT id, name, price, active, day, ts FROM {table} ORDER BY id"):
            out.append([str(r[0]), r[1], None if r[2] is None else repr(float(r[2])),
                        None if r[3] is None else ("true" if r[3] else "false"),
                        r[4], None if r[5] is None else str(epoch_us(r[5]))])
        return out

    def parquet_rows(self, path):
        results = self.duckdb(
            f"SELECT id::VARCHAR, name, price, active::VARCHAR, day::VARCHAR, "
            f"epoch_us(ts)::VARCHAR FROM read_parquet('{path}') ORDER BY id;"
            f"SELECT column_type FROM (DESCRIBE SELECT * FROM read_parquet('{path}'));")
        rows = [[r[0], r[1], None if r[2] is None else repr(float(r[2])), *r[3:]]
                for r in results[0]]
        return rows, [t[0] for t in results[1]]

    def test_loaded_file_becomes_a_parquet_file_of_its_rows(self):
        self.put_orders()
        self.assertExit(self.once("--after-load", "parquet", "--schema", self.schema()), 0)
        self.assertEqual(self.data_files(), [], "the original is removed")
        self.assertEqual(self.processed_files(), ["orders.parquet"])
        rows, types = self.parquet_rows(os.path.join(self.processed, "orders.parquet"))
        self.assertEqual(types, DUCKDB_TYPES)
        self.assertEqual(len(rows), len(ROWS))
        self.assertEqual(rows, self.loaded_rows())
        # The values themselves, not only their agreement with SQLite.
        self.assertEqual(rows[1][1], "")
        self.assertIsNone(rows[3][1])
        self.assertEqual(rows[1][2], "-0.25")
        self.assertEqual(rows[1][5], str(-1))
        self.assertEqual(rows[2][1], "ünïcödé 🦆")
        self.assertIsNone(rows[2][2])
        self.assertEqual(rows[3][2], "1e+300")
        self.assertEqual(rows[3][4], "1900-01-01")

    def test_a_taken_name_gets_a_numeric_suffix(self):
        os.makedirs(self.processed)
        with open(os.path.join(self.processed, "orders.parquet"), "w") as f:
            f.write("not ours")
        self.put_orders()
        self.assertExit(self.once("--after-load", "parquet", "--schema", self.schema()), 0)
        self.assertEqual(self.processed_files(), ["orders.1.parquet", "orders.parquet"])
        with open(os.path.join(self.processed, "orders.parquet")) as f:
            self.assertEqual(f.read(), "not ours", "an existing file is never overwritten")
        rows, _ = self.parquet_rows(os.path.join(self.processed, "orders.1.parquet"))
        self.assertEqual(rows, self.loaded_rows())

    def test_a_file_loaded_but_not_archived_is_archived_again(self):
        # As after a crash between the commit and the archive: the file is loaded
        # and still in the landing folder.
        self.put_orders()
        self.assertExit(self.once("--after-load", "keep", "--schema", self.schema()), 0)
        self.assertEqual(self.count("orders"), len(ROWS))
        self.assertExit(self.once("--after-load", "parquet", "--schema", self.schema()), 0)
        self.assertEqual(self.count("orders"), len(ROWS), "not loaded twice")
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.processed_files(), ["orders.parquet"])
        rows, _ = self.parquet_rows(os.path.join(self.processed, "orders.parquet"))
        self.assertEqual(rows, self.loaded_rows())

    def test_an_archived_file_found_again_is_not_archived_twice(self):
        # As after a crash between the archive's rename and the original's removal:
        # the archive is in processed/ and the original still lands.
        self.put_orders("orders.jsonl")
        original = self.path("orders.jsonl.bak")
        shutil.copy2(self.path("data", "orders.jsonl"), original)
        self.assertExit(self.once("--after-load", "parquet", "--schema", self.schema()), 0)
        self.assertEqual(self.processed_files(), ["orders.parquet"])
        shutil.copy2(original, self.path("data", "orders.jsonl"))
        self.assertExit(self.once("--after-load", "parquet", "--schema", self.schema()), 0)
        self.assertEqual(self.count("orders"), len(ROWS), "not loaded twice")
        self.assertEqual(self.data_files(), [], "the original is removed")
        self.assertEqual(self.processed_files(), ["orders.parquet"], "one archive, not two")
        rows, _ = self.parquet_rows(os.path.join(self.processed, "orders.parquet"))
        self.assertEqual(rows, self.loaded_rows())

    def test_the_same_name_with_other_content_still_gets_a_numbered_archive(self):
        self.put_orders("orders.jsonl")
        self.assertExit(self.once("--after-load", "parquet", "--schema", self.schema()), 0)
        self.put_orders("orders.jsonl", ROWS[:2])
        self.assertExit(self.once("--after-load", "parquet", "--schema", self.schema()), 0)
        self.assertEqual(self.processed_files(), ["orders.1.parquet", "orders.parquet"])
        rows, _ = self.parquet_rows(os.path.join(self.processed, "orders.1.parquet"))
        self.assertEqual([r[0] for r in rows], ["1", "2"])

    def test_many_rows_and_rejected_rows(self):
        rows = [[i, f"name {i % 17}", str(i / 4), "true" if i % 2 else "false",
                 "2026-01-01", f"2026-01-01T00:00:{i % 60:02d}.{i:06d}Z"] for i in range(1, 30001)]
        rows.append(["not a number", "bad", "1", "true", "2026-01-01", ""])
        self.put("big.csv", csv_text(HEADER, rows))
        schema = self.schema()
        self.assertExit(self.once("--after-load", "parquet", "--schema", schema,
                                  "--table", "orders", "--max-rejects", "1"), 0)
        self.assertEqual(self.processed_files(), ["big.parquet"])
        path = os.path.join(self.processed, "big.parquet")
        got = self.duckdb(f"SELECT count(*)::VARCHAR, sum(id)::VARCHAR, "
                          f"count(DISTINCT name)::VARCHAR FROM read_parquet('{path}')")[0]
        self.assertEqual(got, [["30000", str(30000 * 30001 // 2), "17"]],
                         "the good rows, as loaded; the bad one is in the rejects")
        self.assertEqual(self.count("orders"), 30000)


    def test_small_files_loaded_together_each_get_their_archive(self):
        for n in range(3):
            self.put_orders(f"part{n}.jsonl", [[10 * n + k, f"p{n}", 1.0, True, "2026-01-01",
                                                "2026-01-01T00:00:00Z"] for k in range(1, 4)])
        self.assertExit(self.once("--after-load", "parquet", "--schema", self.schema(),
                                  "--table", "orders"), 0)
        self.assertEqual(self.processed_files(), ["part0.parquet", "part1.parquet",
                                                  "part2.parquet"])
        for n in range(3):
            rows, _ = self.parquet_rows(os.path.join(self.processed, f"part{n}.parquet"))
            self.assertEqual([r[0] for r in rows], [str(10 * n + k) for k in range(1, 4)])
            self.assertEqual({r[1] for r in rows}, {f"p{n}"})

    def test_a_quarantined_file_leaves_no_archive(self):
        self.put_orders("bad.jsonl", [[1, "a", 1.0, True, "2026-01-01", None],
                                      ["x", "b", 1.0, True, "2026-01-01", None]])
        self.assertExit(self.once("--after-load", "parquet", "--schema", self.schema()), 2)
        self.assertEqual(self.quarantined_files(), ["bad.jsonl"])
        self.assertEqual(self.processed_files(), [], "no temporary file is left behind")

    def test_a_duplicate_is_archived_as_parquet_too(self):
        self.put_orders("orders.jsonl")
        self.assertExit(self.once("--after-load", "parquet", "--schema", self.schema()), 0)
        self.put_orders("orders_again.jsonl")  # the same content: a duplicate, not loaded
        self.assertExit(self.once("--after-load", "parquet", "--schema", self.schema(),
                                  "--table", "orders"), 0)
        self.assertEqual(self.count("orders"), len(ROWS))
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.processed_files(), ["orders.parquet", "orders_again.parquet"])
        rows, _ = self.parquet_rows(os.path.join(self.processed, "orders_again.parquet"))
        self.assertEqual(rows, self.loaded_rows())

class ParquetArchiveCrashTest(SluiceTestCase):
    """kill -9 at random moments of loads with after_load: parquet: every file is
    loaded once and has exactly one archive holding its rows."""

    ROUNDS = int(os.environ.get("SLUICE_CRASH_ROUNDS") or 8)

    def test_kill_9_each_file_loaded_once_and_archived_once(self):
        seed = int(os.environ.get("SLUICE_CRASH_SEED") or (time.time_ns() % (2**31)))
        log(f"\nparquet archive kill test seed={seed}")
        rng = random.Random(seed)
        schema = self.events_schema()
        args = self.paths_args() + ["--settle-ms", "50", "--rescan-seconds", "1",
                                    "--workers", "2", "--schema", schema, "--max-crashes", "0",
                                    "--after-load", "parquet"]
        per_file, expected = self.kill_in_waves(rng, args, self.ROUNDS, 12, (20000, 80000),
                                                lambda: self.count("events"),
                                                delays=(0.03, 0.6))
        res = self.once("--workers", "2", "--schema", schema, "--max-crashes", "0",
                        "--after-load", "parquet", settle_ms=50, timeout=600)
        self.assertExit(res, 0)
        settled = res.stderr.count("leftover_settled")
        for r in range(self.ROUNDS):
            with open(self.path(f"round-{r}.log"), errors="replace") as f:
                settled += f.read().count("leftover_settled")
        log(f"leftovers settled at restarts: {settled}")
        got = self.query("SELECT COUNT(*), COUNT(DISTINCT id), MIN(id), MAX(id) FROM events")
        self.assertEqual(got, [(expected, expected, 1, expected)],
                         f"seed {seed}: rows lost or duplicated")
        # A kill between the removal's rename to .sluice-removing-* and its unlink
        # left that name in data/ (about one run in ten before the last run settled
        # such leftovers at its start).
        self.assertEqual(self.data_files(), [], f"seed {seed}: leftovers in data/")
        self.assertEqual(self.quarantined_files(), [])
        # Exactly one archive per file (a kill before a rename leaves a hidden
        # temporary file, removed at the next start, never a second archive, nor
        # a pending name).
        self.assertEqual([n for n in self.processed_files()
                          if os.path.basename(n).startswith(".sluice-")
                          or ".sluice-tmp-" in n], [],
                         f"seed {seed}: pending names or temporary files left in processed/")
        archives = [n for n in self.processed_files() if not os.path.basename(n).startswith(".")]
        want = sorted(n[:-len(".csv")] + ".parquet" for n in per_file)
        self.assertEqual(sorted(archives), want, f"seed {seed}: archives")
        glob = os.path.join(self.processed, "*.parquet")
        counts = self.duckdb(f"SELECT parse_filename(filename)::VARCHAR, count(*)::VARCHAR, "
                             f"count(DISTINCT id)::VARCHAR FROM read_parquet('{glob}', "
                             f"filename=true) GROUP BY ALL")[0]
        got_counts = {r[0]: (int(r[1]), int(r[2])) for r in counts}
        want_counts = {n[:-len(".csv")] + ".parquet": (c, c) for n, c in per_file.items()}
        self.assertEqual(got_counts, want_counts, f"seed {seed}: archived rows")


if __name__ == "__main__":
    unittest.main()
