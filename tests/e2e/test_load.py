"""Loading: formats, typed values, archiving, duplicates, table names, options."""

import calendar
import gzip
import json
import os
import shutil
import subprocess
import time
import unittest

from sluice_e2e import (TEST_DATA, TIMESTAMP_RE, SluiceTestCase, csv_text, files_under,
                        read_bytes, table_name_from_path)

HEADER = ["id", "name", "price", "active", "day", "ts"]
ROWS = [
    [1, "alpha", "1.5", "true", "2026-11-01", "2026-11-01T10:00:00Z"],
    [2, "beta", "2.25", "false", "2026-11-02", "2026-11-02T11:30:00Z"],
    [3, "gamma", "3.0", "true", "2026-11-03", "2026-11-03T23:59:59Z"],
]
# What the database must hold for ROWS (README, "In SQLite, values are stored
# as"): integers as integers, floats as reals, booleans as 0/1, dates as
# YYYY-MM-DD, timestamps in UTC as YYYY-MM-DD HH:MM:SS[.ffffff].
EXPECTED = [
    (1, "alpha", 1.5, 1, "2026-11-01", "2026-11-01 10:00:00"),
    (2, "beta", 2.25, 0, "2026-11-02", "2026-11-02 11:30:00"),
    (3, "gamma", 3.0, 1, "2026-11-03", "2026-11-03 23:59:59"),
]
EXPECTED_TYPES = ("integer", "text", "real", "integer", "text", "text")


def json_records():
    return [
        {"id": r[0], "name": r[1], "price": float(r[2]), "active": r[3] == "true",
         "day": r[4], "ts": r[5]}
        for r in ROWS
    ]


def simple_csv(ids, name_prefix="n"):
    return csv_text(["id", "name"], [[i, f"{name_prefix}{i}"] for i in ids])


class FormatsTest(SluiceTestCase):

    def check_typed_table(self, table, expected=EXPECTED):
        cols = ", ".join(HEADER)
        rows = self.query(f"SELECT {cols} FROM {table} ORDER BY id")
        self.assertEqual(rows, expected, f"table {table}")
        types = self.query(
            f"SELECT DISTINCT {', '.join(f'typeof({c})' for c in HEADER)} FROM {table}")
        self.assertEqual(types, [EXPECTED_TYPES], f"storage classes in {table}")

    def test_every_format_loads_typed_values(self):
        csv = csv_text(HEADER, ROWS)
        self.put("from_csv.csv", csv)
        self.put("from_tsv.tsv", csv_text(HEADER, ROWS, sep="\t"))
        self.put("from_array.json", json.dumps(json_records(), indent=2))
        self.put("from_object.json", json.dumps(json_records()[0]))
        self.put("from_jsonl.jsonl", "".join(json.dumps(r) + "\n" for r in json_records()))
        self.put("from_gz.csv.gz", gzip.compress(csv.encode()))
        zst = subprocess.run(["zstd", "-q", "-c"], input=csv.encode(), capture_output=True,
                             check=True).stdout
        self.put("from_zst.csv.zst", zst)
        self.put("from_jsonl_gz.jsonl.gz", gzip.compress(
            "".join(json.dumps(r) + "\n" for r in json_records()).encode()))
        names = sorted(self.data_files())

        res = self.once()
        self.assertExit(res, 0)

        for t in ["from_csv", "from_tsv", "from_array", "from_jsonl", "from_gz", "from_zst",
                  "from_jsonl_gz"]:
            self.check_typed_table(t)
        self.check_typed_table("from_object", EXPECTED[:1])
        self.assertEqual(self.processed_files(), names)
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.quarantined_files(), [])

    def test_timestamps_stored_in_utc_sqlite_form(self):
        schema = self.path("ts.schema.yaml")
        with open(schema, "w") as f:
            f.write("columns:\n  - name: id\n    type: integer\n"
                    "  - name: ts\n    type: timestamp\n")
        self.put("stamps.csv", csv_text(["id", "ts"], [
            [1, "2026-11-01T10:00:00Z"],
            [2, "2026-11-01T10:00:00.5Z"],
            [3, "2026-11-01T12:00:00+02:00"],
            [4, "2026-11-01T10:00:00-05:30"],
        ]))
        self.assertExit(self.once("--schema", schema), 0)
        rows = dict(self.query("SELECT id, ts FROM stamps"))
        for v in rows.values():
            self.assertRegex(v, TIMESTAMP_RE)
        self.assertEqual(rows[1], "2026-11-01 10:00:00")
        self.assertTrue(rows[2].startswith("2026-11-01 10:00:00.5"), rows[2])
        self.assertEqual(rows[3], "2026-11-01 10:00:00", "offset not converted to UTC")
        self.assertEqual(rows[4], "2026-11-01 15:30:00", "offset not converted to UTC")
        # SQLite's date functions read the stored form.
        self.assertEqual(self.query("SELECT id, datetime(ts, '+1 hour') FROM stamps "
                                    "WHERE id IN (1, 4) ORDER BY id"),
                         [(1, "2026-11-01 11:00:00"), (4, "2026-11-01 16:30:00")])

    def test_quoted_empty_is_empty_string_unquoted_empty_is_null(self):
        self.put("blanks.csv", 'id,b\n1,\n2,""\n3,x\n')
        self.assertExit(self.once(), 0)
        self.assertEqual(self.query("SELECT id, b FROM blanks ORDER BY id"),
                         [(1, None), (2, ""), (3, "x")])

    def test_student_mat_semicolon_dataset(self):
        src = os.path.join(TEST_DATA, "datasets", "student-mat.csv")
        shutil.copy(src, os.path.join(self.data, "student-mat.csv"))
        self.assertExit(self.once(), 0)
        self.assertEqual(self.tables(), ["student_mat"])
        self.assertEqual(self.count("student_mat"), 395)
        cols = self.columns("student_mat")
        self.assertEqual(len(cols), 33, cols)
        self.assertEqual(cols[:3], ["school", "sex", "age"])
        self.assertEqual(cols[-1], "G3")
        # First data row: "GP";"F";18;... ;6  (quotes removed, ';' was the delimiter).
        first = self.query('SELECT school, sex, age, G3 FROM student_mat ORDER BY rowid LIMIT 1')
        self.assertEqual([str(v) for v in first[0]], ["GP", "F", "18", "6"])


class ArchiveTest(SluiceTestCase):

    def test_after_load_delete(self):
        self.put("gone.csv", simple_csv(range(1, 4)))
        self.assertExit(self.once("--after-load", "delete"), 0)
        self.assertEqual(self.count("gone"), 3)
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.processed_files(), [])
        self.assertEqual(self.quarantined_files(), [])

    def test_after_load_keep_loads_once(self):
        self.put("kept.csv", simple_csv(range(1, 6)))
        self.assertExit(self.once("--after-load", "keep"), 0)
        self.assertEqual(self.count("kept"), 5)
        self.assertEqual(self.data_files(), ["kept.csv"])
        self.assertEqual(self.processed_files(), [])
        # A second pass sees the same file again and must not load it again.
        self.assertExit(self.once("--after-load", "keep"), 0)
        self.assertEqual(self.count("kept"), 5)
        self.assertEqual(self.data_files(), ["kept.csv"])

    def test_processed_name_collision_gets_unique_name(self):
        first = simple_csv([1, 2], "first")
        second = simple_csv([3, 4], "second")
        self.put("same.csv", first)
        self.assertExit(self.once(), 0)
        self.assertEqual(self.processed_files(), ["same.csv"])
        # New bytes under the old name: a new file, loaded, archived beside the first.
        self.put("same.csv", second)
        self.assertExit(self.once(), 0)
        self.assertEqual(self.query("SELECT id, name FROM same ORDER BY id"),
                         [(1, "first1"), (2, "first2"), (3, "second3"), (4, "second4")])
        archived = self.processed_files()
        self.assertEqual(len(archived), 2, archived)
        self.assertIn("same.csv", archived)
        contents = sorted(read_bytes(os.path.join(self.processed, f)) for f in archived)
        self.assertEqual(contents, sorted([first.encode(), second.encode()]),
                         "an archived file was overwritten")
        self.assertEqual(self.data_files(), [])

    def test_same_bytes_under_another_name_is_a_duplicate(self):
        content = simple_csv(range(1, 4))
        self.put("sales_1.csv", content)
        self.assertExit(self.once(), 0)
        self.assertEqual(self.count("sales"), 3)
        self.put("sales_2.csv", content)
        res = self.once()
        self.assertExit(res, 0)
        self.assertEqual(self.count("sales"), 3, "duplicate content was loaded again")
        self.assertEqual(self.quarantined_files(), [])
        # Also within one run: two names, same bytes, loaded once.
        other = simple_csv(range(10, 15))
        self.put("promo_1.csv", other)
        self.put("promo_2.csv", other)
        self.assertExit(self.once(), 0)
        self.assertEqual(self.count("promo"), 5)

    def test_new_bytes_under_an_old_name_load(self):
        self.put("events.jsonl", '{"id": 1}\n{"id": 2}\n')
        self.assertExit(self.once("--after-load", "delete"), 0)
        self.put("events.jsonl", '{"id": 3}\n')
        self.assertExit(self.once("--after-load", "delete"), 0)
        self.assertEqual(self.query("SELECT id FROM events ORDER BY id"), [(1,), (2,), (3,)])


class TablesTest(SluiceTestCase):

    def test_table_name_rule(self):
        self.put("Sensors-2026-11-01.csv", simple_csv([1, 2]))
        self.put("orders_007.json", json.dumps([{"id": 1}, {"id": 2}, {"id": 3}]))
        self.put("Weird Name 12.csv.gz", gzip.compress(simple_csv([1]).encode()))
        self.assertExit(self.once(), 0)
        self.assertEqual(self.tables(), ["orders", "sensors", "weird_name"])
        self.assertEqual(self.count("sensors"), 2)
        self.assertEqual(self.count("orders"), 3)
        self.assertEqual(self.count("weird_name"), 1)
        # The helper implements the same rule: keep it honest.
        self.assertEqual(table_name_from_path("Sensors-2026-11-01.csv.gz"), "sensors")

    def test_table_override(self):
        self.put("x.csv", simple_csv([1, 2]))
        self.put("y.csv", simple_csv([3]))
        self.assertExit(self.once("--table", "combined"), 0)
        self.assertEqual(self.tables(), ["combined"])
        self.assertEqual(self.query("SELECT id FROM combined ORDER BY id"), [(1,), (2,), (3,)])

    def test_key_skips_existing_rows_across_files(self):
        self.put("people_1.csv", simple_csv(range(1, 6), "a"))
        self.assertExit(self.once("--key", "id"), 0)
        self.put("people_2.csv", simple_csv(range(4, 9), "b"))
        self.assertExit(self.once("--key", "id"), 0)
        rows = self.query("SELECT id, name FROM people ORDER BY id")
        self.assertEqual(rows, [(1, "a1"), (2, "a2"), (3, "a3"), (4, "a4"), (5, "a5"),
                                (6, "b6"), (7, "b7"), (8, "b8")])
        self.assertEqual(self.quarantined_files(), [])
        self.assertEqual(sorted(self.processed_files()), ["people_1.csv", "people_2.csv"])

    def test_metadata_columns(self):
        self.put("meta.csv", simple_csv([10, 20, 30]))
        t0 = time.time()
        self.assertExit(self.once("--metadata", "file,line,loaded_at"), 0)
        cols = self.columns("meta")
        for c in ("_file", "_line", "_loaded_at"):
            self.assertIn(c, cols)
        rows = self.query("SELECT id, _file, _line, _loaded_at FROM meta ORDER BY id")
        self.assertEqual([r[0] for r in rows], [10, 20, 30])
        for r in rows:
            self.assertTrue(str(r[1]).endswith("meta.csv"), r)
        # 1-based line where each record starts; the header is line 1.
        self.assertEqual([int(r[2]) for r in rows], [2, 3, 4])
        for r in rows:
            self.assertRegex(str(r[3]), TIMESTAMP_RE)
            loaded = calendar.timegm(time.strptime(str(r[3])[:19], "%Y-%m-%d %H:%M:%S"))
            self.assertLess(abs(loaded - t0), 120, f"_loaded_at {r[3]} is not the load time (UTC)")

    def test_missing_columns_load_as_null(self):
        # 'note' has an empty value in the first file, so it is inferred nullable.
        self.put("notes_1.csv", csv_text(["id", "name", "note"],
                                         [[1, "a", "x"], [2, "b", ""], [3, "c", "z"]]))
        self.assertExit(self.once(), 0)
        # The second file lacks 'note' and has its columns in another order.
        self.put("notes_2.csv", csv_text(["name", "id"], [["d", 4], ["e", 5]]))
        self.assertExit(self.once(), 0)
        self.assertEqual(self.query("SELECT id, name, note FROM notes ORDER BY id"),
                         [(1, "a", "x"), (2, "b", None), (3, "c", "z"),
                          (4, "d", None), (5, "e", None)])


class OptionsTest(SluiceTestCase):

    def test_normalize_names(self):
        self.put("Loud.csv", csv_text(["Sensor ID", " Temp (C) ", "sensorId"], [[1, "2.5", 3]]))
        self.assertExit(self.once("--normalize-names"), 0)
        self.assertEqual(self.columns("loud"), ["sensor_id", "temp_c", "sensorid"])
        self.assertEqual(self.query("SELECT sensor_id, temp_c, sensorid FROM loud"),
                         [(1, 2.5, 3)])

    def test_json_logs(self):
        self.put("logged.csv", simple_csv([1, 2]))
        self.put("broken.csv", "a,b\n1,2,3\n")
        res = self.once("--log-format", "json")
        self.assertExit(res, 2)
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        self.assertTrue(lines, "no log lines on stderr")
        for ln in lines:
            try:
                obj = json.loads(ln)
            except ValueError:
                self.fail(f"log line is not JSON: {ln!r}")
            self.assertIsInstance(obj, dict, ln)
        self.assertIn("logged.csv", res.stderr)
        self.assertIn("broken.csv", res.stderr)


    def test_extra_column_in_later_file_is_quarantined(self):
        self.put("wide_1.csv", csv_text(["id", "name"], [[1, "a"]]))
        self.assertExit(self.once(), 0)
        self.put("wide_2.csv", csv_text(["id", "name", "surprise"], [[2, "b", "x"]]))
        self.assertExit(self.once(), 2)
        self.assertEqual(self.query("SELECT id, name FROM wide"), [(1, "a")])
        self.assertEqual(self.columns("wide"), ["id", "name"])
        self.assertEqual(self.quarantined_files(), ["wide_2.csv"])
        self.error_report("wide_2.csv")


class HelpTest(SluiceTestCase):

    def test_help_for_every_command(self):
        for cmd in ["run", "once", "status", "infer", "check", "requeue"]:
            with self.subTest(cmd=cmd):
                res = self.sluice(cmd, "--help", timeout=20)
                self.assertExit(res, 0)
                self.assertIn("--help", res.stdout + res.stderr)
                if cmd in ("run", "once"):
                    for opt in ("--source", "--sink", "--settle-ms", "--after-load",
                                "--schema-evolution"):
                        self.assertIn(opt, res.stdout, f"{cmd} --help lacks {opt}")
        res = self.sluice("--help", timeout=20)
        self.assertExit(res, 0)
        for cmd in ["run", "once", "status", "infer", "check", "requeue"]:
            self.assertIn(cmd, res.stdout)
        # --help must not do anything: nothing created in the workspace.
        self.assertEqual(files_under(self.ws), [])


if __name__ == "__main__":
    unittest.main()
