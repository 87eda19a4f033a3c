"""Typed row errors end to end: rejects files and reports carry each bad row's
kind and hint, sluice_rows_rejected_total counts bad rows by reason once per
finished file, and `sluice status --file` groups a file's rejects by reason."""

import json
import os
import re
import unittest

from sluice_e2e import SluiceTestCase, free_port, http_get, write_file
from test_observe import parse_metrics
from test_quarantine import RULES_ROWS, RULES_SCHEMA

# test_quarantine's file with a bad row for each rule of its schema, and a ragged line.
RULES_LINES = RULES_ROWS + ["3,XYZ,high,31/12/2026 23:59,2026-12-31,false,x"]  # 12: ragged
RULES_KINDS = {3: "range", 4: "range", 5: "regex", 6: "allowed", 7: "format", 8: "format",
               9: "type", 10: "null", 12: "ragged"}

ITEMS_SCHEMA = """columns:
  - name: id
    type: integer
    nullable: false
  - name: name
    type: string
"""


class RejectKindsTest(SluiceTestCase):

    def write_schema(self, name, text):
        return write_file(self.path(name), text)

    def status_file(self, name, *extra):
        """`status --file` from another folder: the ledger says where rejects are."""
        elsewhere = self.path("elsewhere")
        os.makedirs(elsewhere, exist_ok=True)
        return self.sluice("status", "--ledger", self.ledger, "--file", name, *extra,
                           cwd=elsewhere)

    def load_rules(self):
        schema = self.write_schema("rules.schema.yaml", RULES_SCHEMA)
        self.put("rules.csv", "\n".join(RULES_LINES) + "\n")
        self.assertExit(self.once("--schema", schema, "--max-rejects", "20"), 0)

    def test_each_reject_carries_its_kind_and_a_hint(self):
        self.load_rules()
        recs = self.rejects("rules.csv")
        self.assertEqual({int(r["line"]): r["kind"] for r in recs}, RULES_KINDS)
        for r in recs:
            with self.subTest(line=r["line"]):
                self.assertTrue(r["hint"].strip(), r)
                self.assertTrue(r["reason"].strip(), r)  # the message, as before
        by_line = {int(r["line"]): r for r in recs}
        self.assertEqual(by_line[10]["hint"], "give the column a value, or declare it nullable: true")
        self.assertIn("%d/%m/%Y %H:%M", by_line[7]["hint"])

    def test_status_file_groups_a_loaded_files_rejects_by_reason(self):
        self.load_rules()
        res = self.status_file("rules.csv", "--json")
        self.assertExit(res, 0)
        [record] = json.loads(res.stdout)
        rejects = record["rejects"]
        self.assertTrue(rejects["from"].endswith("rules.csv.rejects.jsonl"), rejects)
        self.assertEqual(rejects["rows"], 9)
        counts = {k: v["count"] for k, v in rejects["by_reason"].items()}
        self.assertEqual(counts, {"range": 2, "format": 2, "regex": 1, "allowed": 1, "type": 1,
                                  "null": 1, "ragged": 1})
        # The example of each reason is its first bad row.
        self.assertEqual(rejects["by_reason"]["range"]["example"]["line"], 3)
        self.assertEqual(rejects["by_reason"]["format"]["example"]["line"], 7)

        res = self.status_file("rules.csv")
        self.assertExit(res, 0)
        self.assertIn("rejects      9 by reason", res.stdout)
        self.assertRegex(res.stdout, re.compile(r"^\s+range\s+2\s+e\.g\. line 3: ", re.M))
        self.assertRegex(res.stdout, re.compile(r"^\s+null\s+1\s+e\.g\. line 10: ", re.M))
        self.assertRegex(res.stdout, re.compile(
            r"^\s+hint: give the column a value, or declare it nullable: true$", re.M))

    def test_status_file_groups_a_quarantined_files_rejects_from_its_report(self):
        schema = self.write_schema("items.schema.yaml", ITEMS_SCHEMA)
        self.put("bad.csv", "id,name\n1,a\nabc,b\n,c\nx,d\n")
        self.assertExit(self.once("--schema", schema), 2)
        report = self.error_report("bad.csv")
        self.assertEqual(report["rejected_by_reason"], {"type": 2, "null": 1})
        self.assertEqual([e["kind"] for e in report["errors"]], ["type", "null", "type"])
        res = self.status_file("bad.csv", "--json")
        self.assertExit(res, 0)
        [record] = json.loads(res.stdout)
        self.assertEqual(record["state"], "quarantined")
        counts = {k: v["count"] for k, v in record["rejects"]["by_reason"].items()}
        self.assertEqual(counts, {"type": 2, "null": 1})
        self.assertEqual(list(record["rejects"]["by_reason"]), ["type", "null"])  # most first
        self.assertEqual(record["rejects"]["by_reason"]["null"]["example"]["line"], 4)

    def test_two_loads_of_one_name_each_show_their_own_rejects(self):
        """orders.csv loads with bad rows under the threshold, is archived, and a new
        orders.csv loads with other bad rows: each record names and reads its own
        rejects file, whatever the files' times say."""
        schema = self.write_schema("items.schema.yaml", ITEMS_SCHEMA)
        self.put("orders.csv", "id,name\n1,a\nabc,b\n2,c\n")
        self.assertExit(self.once("--schema", schema, "--max-rejects", "5"), 0)
        self.assertEqual(self.processed_files(), ["orders.csv"])
        self.put("orders.csv", "id,name\n3,a\n,b\n,c\n4,d\n")
        self.assertExit(self.once("--schema", schema, "--max-rejects", "5"), 0)
        first = os.path.join(self.quarantine, "orders.csv.rejects.jsonl")
        second = os.path.join(self.quarantine, "orders.1.csv.rejects.jsonl")
        self.assertEqual(sorted(n for n in os.listdir(self.quarantine) if not n.startswith(".")),
                         ["orders.1.csv.rejects.jsonl", "orders.csv.rejects.jsonl"])
        # Times that point the wrong way (copied, restored) change nothing.
        t1, t2 = os.stat(first).st_mtime_ns, os.stat(second).st_mtime_ns
        os.utime(first, ns=(t2, t2))
        os.utime(second, ns=(t1, t1))

        res = self.status_file("orders.csv", "--json")
        self.assertExit(res, 0)
        later, earlier = json.loads(res.stdout)  # most recent first
        self.assertEqual((earlier["rejected"], later["rejected"]), (1, 2))
        self.assertEqual(earlier["rejects_file"], first)
        self.assertEqual(later["rejects_file"], second)
        self.assertEqual(earlier["rejects"]["from"], first)
        self.assertEqual({k: v["count"] for k, v in earlier["rejects"]["by_reason"].items()},
                         {"type": 1})
        self.assertEqual(later["rejects"]["from"], second)
        self.assertEqual({k: v["count"] for k, v in later["rejects"]["by_reason"].items()},
                         {"null": 2})
        self.assertEqual(later["rejects"]["by_reason"]["null"]["example"]["line"], 3)

        # Each by its archived name, as text.
        res = self.status_file(os.path.join(self.processed, "orders.1.csv"))
        self.assertExit(res, 0)
        self.assertIn("rejects file " + second + "\n", res.stdout)
        self.assertIn("rejects      2 by reason, from " + second + "\n", res.stdout)
        self.assertNotIn(first, res.stdout)
        res = self.status_file(os.path.join(self.processed, "orders.csv"))
        self.assertExit(res, 0)
        self.assertIn("rejects      1 by reason, from " + first + "\n", res.stdout)
        self.assertNotIn(second, res.stdout)

        # A rejects file deleted since: said so, never another file's rows instead.
        os.remove(second)
        res = self.status_file(os.path.join(self.processed, "orders.1.csv"), "--json")
        self.assertExit(res, 0)
        [record] = json.loads(res.stdout)
        self.assertEqual(record["rejects"]["gone"], second)
        self.assertEqual(record["rejects"]["rows"], 0)
        res = self.status_file(os.path.join(self.processed, "orders.1.csv"))
        self.assertIn("rejects      " + second + " is gone\n", res.stdout)
        self.assertNotIn("by reason", res.stdout)

    def test_a_file_without_rejects_shows_none(self):
        self.put("fine.csv", "id,name\n1,a\n")
        self.assertExit(self.once(), 0)
        res = self.status_file("fine.csv", "--json")
        self.assertExit(res, 0)
        [record] = json.loads(res.stdout)
        self.assertNotIn("rejects", record)
        self.assertNotIn("rejects ", self.status_file("fine.csv").stdout)

    def test_check_shows_each_bad_rows_kind_and_hint(self):
        schema = self.write_schema("items.schema.yaml", ITEMS_SCHEMA)
        path = self.put("bad.csv", "id,name\n1,a\nabc,b\n,c\n")
        res = self.sluice("check", "--schema", schema, path)
        self.assertExit(res, 2)
        self.assertIn(":3: id: column \"id\": \"abc\" is not an integer [type: declare the "
                      "column as float or string to keep such values]", res.stdout)
        self.assertIn(":4: id: column \"id\": NULL in a non-nullable column [null: ", res.stdout)


class RejectMetricsTest(SluiceTestCase):

    def test_rejects_are_counted_by_reason_once_per_finished_file(self):
        """40 small files with one bad row each load as a group with a file that has
        too many; the group fails and each file loads alone. Only the final
        attempts count: the group's rolled-back rejects do not."""
        schema = write_file(self.path("items.schema.yaml"), ITEMS_SCHEMA)
        for i in range(40):
            self.put(f"items_{i:03}.csv", f"id,name\n{2 * i},a\nbad{i},b\n")
        self.put("items_999.csv", "id,name\n1,a\nx,b\n,c\n")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = self.start_run("--schema", schema, "--max-rejects", "1", "--workers", "1",
                              "--http", f"127.0.0.1:{port}")

        def finished():
            try:
                status, text = http_get(base + "/metrics", timeout=2)
            except OSError:
                return None
            if status != 200:
                return None
            m = parse_metrics(text)
            done = sum(v for k, v in m.items() if k.startswith("sluice_files_total"))
            return m if done == 41 else None

        m = self.wait_for(finished, 60, "41 files done", interval=0.2, proc=proc)
        self.assertIn("group_failed", self.log_tail(proc, n=10**6))
        self.assertEqual(m['sluice_rows_rejected_total{table="items",reason="type"}'], 41)
        self.assertEqual(m['sluice_rows_rejected_total{table="items",reason="null"}'], 1)
        self.assertEqual(sum(v for k, v in m.items()
                             if k.startswith("sluice_rows_rejected_total")), 42)


if __name__ == "__main__":
    unittest.main()
