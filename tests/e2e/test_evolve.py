"""Additive schema evolution end to end, the same checks against every sink:
with schema_evolution: add_columns a file with a new column adds it (old rows
NULL in it) and the ledger shows the change; without it that file is quarantined
with a report naming the column; a file whose values cannot be stored in a
column's type is quarantined naming both types; files adding the same column at
once (several workers) all load.

The PostgreSQL and ClickHouse variants need SLUICE_TEST_POSTGRES_URL and
SLUICE_TEST_CLICKHOUSE_URL (scripts/test.sh starts the servers)."""

import json
import os
import random
import unittest

from sluice_e2e import SluiceTestCase, csv_text
from test_clickhouse import ClickHouse
from test_postgres import PostgresTestCase


class EvolutionChecks:
    """The checks; a subclass names the sink (sink_url) and reads a table (rows)."""

    def load(self, *extra):
        return self.sluice("once", "--source", self.data, "--sink", self.sink_url(),
                           "--ledger", self.ledger, "--processed", self.processed,
                           "--quarantine", self.quarantine, "--settle-ms", "0",
                           "--table", "t", *extra)

    def status(self):
        res = self.sluice("status", "--ledger", self.ledger, "--json")
        self.assertExit(res, 0)
        return json.loads(res.stdout)

    def first_file(self, *extra):
        self.put("a.csv", csv_text(["id", "b"], [[1, "x"], [2, "y"]]))
        self.assertExit(self.load(*extra), 0)

    def test_a_new_column_is_added_and_recorded(self):
        evolve = ["--schema-evolution", "add_columns", "--metadata", "file"]
        self.first_file(*evolve)
        self.put("b.csv", csv_text(["id", "b", "c"], [[3, "z", 7]]))
        res = self.load(*evolve, "--log-format", "json")
        self.assertExit(res, 0)
        logged = [json.loads(ln) for ln in res.stderr.splitlines() if '"columns_added"' in ln]
        self.assertEqual([(e["table"], e["columns"]) for e in logged], [("t", "c integer")])
        self.assertTrue(logged[0]["file"].endswith("b.csv"), logged)
        # A column the sample shows empty fits the table's type, whatever it is.
        self.put("e.csv", csv_text(["id", "b", "c"], [[4, "w", ""]]))
        self.assertExit(self.load(*evolve), 0)
        self.assertEqual(self.rows("SELECT id, b, c FROM {t} ORDER BY id"),
                         [["1", "x", None], ["2", "y", None], ["3", "z", "7"], ["4", "w", None]])
        # The metadata column is found by name although c now comes after it.
        files = self.rows("SELECT id, _file FROM {t} ORDER BY id")
        self.assertTrue(files[0][1].endswith("a.csv") and files[2][1].endswith("b.csv"), files)
        self.assertTrue(files[3][1].endswith("e.csv"), files)
        added = self.status()["columns_added"]
        self.assertEqual([(a["table"], a["column"], a["type"]) for a in added],
                         [("t", "c", "integer")])
        self.assertTrue(added[0]["file"].endswith("b.csv"), added)
        text = self.sluice("status", "--ledger", self.ledger)
        self.assertIn("columns added", text.stdout)
        self.assertIn("t.c integer", text.stdout)

    def test_without_evolution_new_columns_and_type_conflicts_are_quarantined(self):
        self.first_file()
        self.put("new_column.csv", csv_text(["id", "b", "c"], [[3, "z", 7]]))
        self.put("conflict.csv", csv_text(["id", "b"], [["x1", "p"], ["x2", "q"]]))
        # Columns of the table that a file lacks load as NULL.
        self.put("fewer.csv", csv_text(["id"], [[4]]))
        self.assertExit(self.load(), 2)
        self.assertEqual(self.quarantined_files(), ["conflict.csv", "new_column.csv"])
        reason = self.error_report("new_column.csv")["reason"]
        self.assertIn('"c"', reason)
        self.assertIn("schema_evolution: add_columns", reason)
        self.assertIn('column "id" of table "t" is integer but the file\'s is string',
                      self.error_report("conflict.csv")["reason"])
        self.assertEqual(self.rows("SELECT id, b FROM {t} ORDER BY id"),
                         [["1", "x"], ["2", "y"], ["4", None]])
        self.assertEqual(self.status()["columns_added"], [])

    def test_a_declared_schema_gives_the_types_and_its_conflicts_quarantine(self):
        self.first_file()
        schema = self.path("t.schema.yaml")
        with open(schema, "w") as f:
            f.write("columns:\n  - {name: id, type: integer}\n  - {name: b, type: string}\n"
                    "  - {name: c, type: float}\n  - {name: d, type: date}\n")
        # c looks like an integer but is declared float; d is declared, not in the file.
        self.put("f.csv", csv_text(["id", "b", "c"], [[3, "z", 2]]))
        self.assertExit(self.load("--schema", schema, "--schema-evolution", "add_columns"), 0)
        self.put("g.csv", csv_text(["id", "b", "c"], [[4, "w", 2.5]]))
        self.assertExit(self.load("--schema", schema), 0)
        self.assertEqual(self.rows("SELECT id, c, d FROM {t} WHERE id = 4"), [["4", "2.5", None]])
        self.assertEqual(sorted((a["column"], a["type"]) for a in self.status()["columns_added"]),
                         [("c", "float"), ("d", "date")])
        with open(schema, "w") as f:
            f.write("columns:\n  - {name: id, type: string}\n  - {name: b, type: string}\n")
        self.put("h.csv", csv_text(["id", "b"], [[5, "v"]]))
        self.assertExit(self.load("--schema", schema), 2)
        self.assertIn('column "id" of table "t" is integer but the file\'s is string (declared)',
                      self.error_report("h.csv")["reason"])

    def test_files_adding_the_same_column_at_once_all_load(self):
        self.first_file()
        for i in range(4):
            self.put(f"new_{i}.csv", csv_text(["id", "b", "c"], [[10 + i, "n", f"c{i}"]]))
        res = self.load("--schema-evolution", "add_columns", "--workers", "4")
        self.assertExit(res, 0)
        self.assertEqual(self.rows("SELECT id, c FROM {t} ORDER BY id"),
                         [["1", None], ["2", None]] + [[str(10 + i), f"c{i}"] for i in range(4)])
        added = self.status()["columns_added"]
        self.assertEqual([(a["column"], a["type"]) for a in added], [("c", "string")])


class SqliteEvolutionTest(EvolutionChecks, SluiceTestCase):

    def sink_url(self):
        return "sqlite:" + self.db

    def rows(self, sql):
        return [[None if v is None else str(v) for v in row]
                for row in self.query(sql.format(t='"t"'))]


class PostgresEvolutionTest(EvolutionChecks, PostgresTestCase):

    def sink_url(self):
        return self.pg

    def rows(self, sql):
        return self.psql(sql.format(t='"t"'))


class ClickHouseEvolutionTest(EvolutionChecks, SluiceTestCase):

    def setUp(self):
        super().setUp()
        self.server = ClickHouse(self.server_env("SLUICE_TEST_CLICKHOUSE_URL"))
        self.database = f"sluice_e2e_{os.getpid()}_{random.randrange(1 << 30)}"
        self.server.query(f"CREATE DATABASE {self.database}")
        self.addCleanup(self.server.query, f"DROP DATABASE IF EXISTS {self.database}")

    def sink_url(self):
        return self.server.url(self.database)

    def rows(self, sql):
        return [[None if v == "\\N" else v for v in row]
                for row in self.server.query(sql.format(t=f"{self.database}.t"))]


if __name__ == "__main__":
    unittest.main()
