"""Bad data: quarantine with a report, rejects within thresholds, check, requeue."""

import gzip
import json
import os
import re
import unittest

from sluice_e2e import SluiceTestCase, csv_text, json_items, read_bytes, table_name_from_path

SCHEMA = """columns:
  - name: id
    type: integer
    nullable: false
  - name: name
    type: string
"""

# Line 4 holds "abc" in the integer column.
BAD_CSV = "id,name\n1,a\n2,b\nabc,c\n4,d\n"
GOOD_CSV = "id,name\n1,x\n2,y\n3,z\n"

# A schema with every kind of rule, and a file with a bad row for each.
RULES_SCHEMA = """columns:
  - name: id
    type: integer
    nullable: false
    min: 1
    max: 100
  - name: code
    type: string
    regex: "^[A-Z]{3}$"
  - name: level
    type: string
    allowed: [low, high]
  - name: seen
    type: timestamp
    format: "%d/%m/%Y %H:%M"
  - name: day
    type: date
  - name: ok
    type: boolean
"""

RULES_ROWS = [
    "id,code,level,seen,day,ok",
    "1,ABC,low,01/11/2026 10:30,2026-11-01,true",      # line 2: good
    "0,ABC,low,01/11/2026 10:30,2026-11-01,true",      # 3: id below min
    "101,ABC,low,01/11/2026 10:30,2026-11-01,true",    # 4: id above max
    "5,abc,low,01/11/2026 10:30,2026-11-01,true",      # 5: regex
    "6,ABC,medium,01/11/2026 10:30,2026-11-01,true",   # 6: not allowed
    "7,ABC,low,2026-11-01 10:30,2026-11-01,true",      # 7: wrong timestamp format
    "8,ABC,low,01/11/2026 10:30,2026-13-01,true",      # 8: bad date
    "9,ABC,low,01/11/2026 10:30,2026-11-01,maybe",     # 9: bad boolean
    ",ABC,low,01/11/2026 10:30,2026-11-01,true",       # 10: null in non-null
    "2,XYZ,high,31/12/2026 23:59,2026-12-31,false",    # 11: good
]

LINE4_RE = re.compile(r"(?i)(line\D{0,3}4\b|:4\b|\"line\"\s*:\s*4\b)")


class QuarantineTest(SluiceTestCase):

    def setUp(self):
        super().setUp()
        self.schema = self.path("items.schema.yaml")
        with open(self.schema, "w") as f:
            f.write(SCHEMA)

    def assert_report_names_line(self, report, line):
        """The report gives a reason and names `line`: as a "line" field (of a bad
        row) or in the text of a reason ("line 3: unterminated quoted field")."""
        reasons = [v for k, v in json_items(report)
                   if str(k).lower() in ("reason", "error", "message") and isinstance(v, str)
                   and v.strip()]
        self.assertTrue(reasons, f"report gives no reason: {json.dumps(report)[:1500]}")
        fields = [v for k, v in json_items(report) if "line" in str(k).lower()]
        self.assertTrue(any(str(v) == str(line) for v in fields)
                        or any(re.search(rf"(?i)\bline\s*{line}\b", r) for r in reasons),
                        f"report does not name line {line}: {json.dumps(report)[:1500]}")

    def test_bad_row_quarantines_file_and_others_still_load(self):
        self.put("bad.csv", BAD_CSV)
        self.put("good.csv", GOOD_CSV)
        res = self.once("--schema", self.schema)
        self.assertExit(res, 2)
        self.assertEqual(self.count("bad"), 0, "rows of a quarantined file were loaded")
        self.assertEqual(self.query("SELECT id, name FROM good ORDER BY id"),
                         [(1, "x"), (2, "y"), (3, "z")])
        self.assertEqual(self.quarantined_files(), ["bad.csv"])
        self.assertEqual(read_bytes(os.path.join(self.quarantine, "bad.csv")), BAD_CSV.encode(),
                         "quarantined file was altered")
        self.assertEqual(self.processed_files(), ["good.csv"])
        self.assertEqual(self.data_files(), [])
        report = self.error_report("bad.csv")
        self.assert_report_names_line(report, 4)
        self.assertIn("abc", json.dumps(report), "report does not show the bad value/raw row")

    def test_max_rejects_loads_good_rows_and_writes_rejects(self):
        self.put("some.csv", BAD_CSV)
        res = self.once("--schema", self.schema, "--max-rejects", "1")
        self.assertExit(res, 0)
        self.assertEqual(self.query("SELECT id, name FROM some ORDER BY id"),
                         [(1, "a"), (2, "b"), (4, "d")])
        self.assertEqual(self.processed_files(), ["some.csv"])
        self.assertEqual(self.quarantined_files(), [])
        recs = self.rejects("some.csv")
        self.assertEqual(len(recs), 1, recs)
        rec = recs[0]
        for key in ("file", "line", "column", "reason", "raw"):
            self.assertIn(key, rec, f"reject record lacks '{key}': {rec}")
        self.assertTrue(str(rec["file"]).endswith("some.csv"), rec)
        self.assertEqual(int(rec["line"]), 4, rec)
        self.assertEqual(rec["column"], "id", rec)
        self.assertTrue(str(rec["reason"]).strip(), rec)
        self.assertIn("abc", rec["raw"], rec)

    def test_more_bad_rows_than_max_rejects_quarantines(self):
        self.put("worse.csv", "id,name\n1,a\nx,b\ny,c\n4,d\n")
        res = self.once("--schema", self.schema, "--max-rejects", "1")
        self.assertExit(res, 2)
        self.assertEqual(self.count("worse"), 0)
        self.assertEqual(self.quarantined_files(), ["worse.csv"])
        self.error_report("worse.csv")

    def test_schema_rules(self):
        """Each rule of the schema rejects its row, with the right line and column;
        good rows load with values converted (timestamp format → ISO 8601 UTC)."""
        schema = self.path("rules.schema.yaml")
        with open(schema, "w") as f:
            f.write(RULES_SCHEMA)
        self.put("rules.csv", "\n".join(RULES_ROWS) + "\n")
        res = self.once("--schema", schema, "--max-rejects", "20")
        self.assertExit(res, 0)
        self.assertEqual(self.query("SELECT id, code, level, seen, day, ok FROM rules ORDER BY id"),
                         [(1, "ABC", "low", "2026-11-01 10:30:00", "2026-11-01", 1),
                          (2, "XYZ", "high", "2026-12-31 23:59:00", "2026-12-31", 0)])
        got = sorted((int(r["line"]), r.get("column")) for r in self.rejects("rules.csv"))
        self.assertEqual(got, [(3, "id"), (4, "id"), (5, "code"), (6, "level"), (7, "seen"),
                               (8, "day"), (9, "ok"), (10, "id")])

    def test_max_reject_ratio(self):
        content = "id,name\n1,a\n2,b\nx,c\n4,d\n"   # 1 bad row of 4: 25%
        self.put("ratio_1.csv", content)
        res = self.once("--schema", self.schema, "--max-rejects", "5",
                        "--max-reject-ratio", "0.1")
        self.assertExit(res, 2)
        self.assertEqual(self.quarantined_files(), ["ratio_1.csv"])
        self.assertEqual(self.count("ratio"), 0)
        self.put("ratio_2.csv", content.replace("1,a", "11,a"))  # new bytes, same shape
        res = self.once("--schema", self.schema, "--max-rejects", "5",
                        "--max-reject-ratio", "0.5")
        self.assertExit(res, 0)
        self.assertEqual(self.query("SELECT id FROM ratio ORDER BY id"), [(2,), (4,), (11,)])
        self.assertEqual(len(self.rejects("ratio_2.csv")), 1)

    def test_broken_files_are_quarantined_never_crash(self):
        big = csv_text(["id", "name"], [[i, f"name{i}"] for i in range(20000)]).encode()
        broken = {
            "ragged.csv": b"a,b\n1,2\n3,4,5\n6,7\n",
            "unterminated.csv": b'a,b\n1,"never closed\n2,3\n4,5\n',
            "unterminated_after_quoted.csv": b'a,b\n1,"ok, quoted"\n2,"never closed\n3,x\n',
            "badutf8.csv": b"a,b\n1,ok\n2,\xff\xfe\xfd\n3,fine\n",
            "truncated.csv.gz": gzip.compress(big)[: len(gzip.compress(big)) // 2],
            "scalars.json": b"[1, 2, 3]",
            "string.json": b'"just a string"',
            "nested.json": b"[[1, 2], [3, 4]]",
            "broken.json": b'[{"a": 1}, {"a": 2',
            "brokenline.jsonl": b'{"a": 1}\n{"a": \n{"a": 3}\n',
        }
        for name, content in broken.items():
            self.put(name, content)
        self.put("fine.csv", GOOD_CSV)
        res = self.once()
        self.assertExit(res, 2)
        self.assertEqual(self.count("fine"), 3)
        quarantined = self.quarantined_files()
        for name in broken:
            with self.subTest(file=name):
                self.assertIn(name, quarantined, f"{name} was not quarantined; processed/ "
                              f"has {self.processed_files()}")
                self.assertEqual(self.count(table_name_from_path(name)), 0,
                                 f"rows of {name} were loaded")
                report = self.error_report(name)
                if name.startswith("unterminated"):
                    # The record with the opening quote that never closes.
                    start = 2 if name == "unterminated.csv" else 3
                    self.assert_report_names_line(report, start)
        self.assertEqual(self.processed_files(), ["fine.csv"])
        self.assertEqual(self.data_files(), [])

    def test_bad_file_among_small_files_of_one_table_is_quarantined_alone(self):
        # One worker takes all 41 files at once: the small files of one table load
        # as a group, the bad one fails the group, and each then loads alone.
        for i in range(40):
            self.put(f"items_{i:03}.csv", f"id,name\n{2 * i},a\n{2 * i + 1},b\n")
        self.put("items_999.csv", BAD_CSV)
        res = self.once("--schema", self.schema, "--workers", "1")
        self.assertExit(res, 2)
        self.assertIn("group_failed", res.stderr, self.describe(res))
        self.assertEqual(self.count("items"), 80)
        self.assertEqual(self.query("SELECT count(DISTINCT id) FROM items"), [(80,)])
        self.assertEqual(self.quarantined_files(), ["items_999.csv"])
        self.assertEqual(len(self.processed_files()), 40)
        self.assertEqual(self.data_files(), [])
        res = self.sluice("status", "--ledger", self.ledger, "--file", "items_007.csv", "--json")
        self.assertExit(res, 0)
        (record,) = json.loads(res.stdout)
        self.assertEqual(record["state"], "loaded")
        self.assertEqual(record["rows"], 2)

    def test_small_files_of_one_table_load_together(self):
        for i in range(30):
            self.put(f"items_{i:03}.csv", f"id,name\n{i},n{i}\n")
        res = self.once("--schema", self.schema, "--workers", "1")
        self.assertExit(res, 0)
        self.assertNotIn("group_failed", res.stderr)
        self.assertEqual(self.query("SELECT count(*), sum(id) FROM items"), [(30, sum(range(30)))])
        self.assertEqual(len(self.processed_files()), 30)
        # Every file has its own commit marker, so each is known as loaded.
        self.assertEqual(self.query("SELECT count(*) FROM _sluice_loads"), [(30,)])


class CheckTest(SluiceTestCase):

    def setUp(self):
        super().setUp()
        self.schema = self.path("items.schema.yaml")
        with open(self.schema, "w") as f:
            f.write(SCHEMA)

    def assert_nothing_loaded(self):
        for db in (self.path("sluice.db"), self.db):
            self.assertEqual(self.tables(db=db), [], f"check created tables in {db}")
        self.assertFalse(os.path.exists(self.processed) and os.listdir(self.processed))
        self.assertFalse(os.path.exists(self.quarantine) and os.listdir(self.quarantine))

    def test_check_clean_file(self):
        path = self.put("clean.csv", GOOD_CSV)
        res = self.sluice("check", "--schema", self.schema, path)
        self.assertExit(res, 0)
        self.assertEqual(read_bytes(path), GOOD_CSV.encode())
        self.assert_nothing_loaded()

    def test_check_bad_file_lists_bad_line(self):
        path = self.put("bad.csv", BAD_CSV)
        res = self.sluice("check", "--schema", self.schema, path)
        self.assertExit(res, 2)
        out = res.stdout + res.stderr
        self.assertRegex(out, LINE4_RE, "check does not list the bad line 4")
        self.assertIn("abc", out)
        self.assertEqual(read_bytes(path), BAD_CSV.encode(), "check touched the file")
        self.assertEqual(self.data_files(), ["bad.csv"])
        self.assert_nothing_loaded()

    def test_check_structural_error_without_schema(self):
        path = self.put("ragged.csv", "a,b\n1,2\n3,4\n5,6,7\n")
        res = self.sluice("check", path)
        self.assertExit(res, 2)
        self.assertRegex(res.stdout + res.stderr, LINE4_RE)
        self.assert_nothing_loaded()


class RequeueTest(SluiceTestCase):

    def write_schema(self, allowed):
        p = self.path("colors.schema.yaml")
        with open(p, "w") as f:
            f.write("columns:\n  - name: id\n    type: integer\n"
                    f"  - name: color\n    type: string\n    allowed: [{', '.join(allowed)}]\n")
        return p

    def test_requeue_then_load_after_fixing_schema(self):
        content = "id,color\n1,red\n2,green\n3,blue\n"
        self.put("colors.csv", content)
        schema = self.write_schema(["red", "green"])
        self.assertExit(self.once("--schema", schema), 2)
        self.assertEqual(self.quarantined_files(), ["colors.csv"])
        self.assertEqual(self.count("colors"), 0)
        env = {"SLUICE_SOURCE": self.data, "SLUICE_LEDGER": self.ledger,
               "SLUICE_QUARANTINE": self.quarantine, "SLUICE_PROCESSED": self.processed}
        res = self.sluice("requeue", os.path.join("quarantine", "colors.csv"), env=env)
        self.assertExit(res, 0)
        self.assertEqual(self.data_files(), ["colors.csv"])
        self.assertEqual(self.quarantined_files(), [])
        self.assertEqual(read_bytes(os.path.join(self.data, "colors.csv")), content.encode())

        schema = self.write_schema(["red", "green", "blue"])
        res = self.once("--schema", schema)
        self.assertExit(res, 0)
        self.assertEqual(self.query("SELECT id, color FROM colors ORDER BY id"),
                         [(1, "red"), (2, "green"), (3, "blue")])
        self.assertEqual(self.processed_files(), ["colors.csv"])
        self.assertEqual(self.data_files(), [])


if __name__ == "__main__":
    unittest.main()
