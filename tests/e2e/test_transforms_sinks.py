"""Transforms (normalize, derive, filter, drop) on the server sinks: PostgreSQL,
ClickHouse and MySQL/MariaDB. One set of tests, run once per sink, each on a fresh
database of the server its environment variable names (skipped without it, like
the sink's own module): the issue's example loads the transformed rows with the
derived columns typed in the database (float, date), and a failing derive gives
bad rows of kind transform while the others load."""

import subprocess
import unittest
import uuid

from sluice_e2e import SluiceTestCase
from test_clickhouse import ClickHouse
from test_mysql import MariaDB
from test_postgres import PSQL, with_database
from test_transforms import RULE, SENSORS


class PostgresServer:
    """A fresh database on the server of SLUICE_TEST_POSTGRES_URL."""
    variable = "SLUICE_TEST_POSTGRES_URL"
    float_type, date_types = "double precision", ("date",)

    def __init__(self, test, url):
        self.test = test
        name = "e2e_" + uuid.uuid4().hex[:12]
        test.run_checked([PSQL, "-X", "-q", "-d", url, "-c", "CREATE DATABASE " + name])
        test.addCleanup(test.run_checked, [PSQL, "-X", "-q", "-d", url, "-c",
                                           f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
        self.sink = with_database(url, name)

    def table(self, name):
        return name

    def query(self, sql):
        out = self.test.run_checked([PSQL, "-X", "-q", "-A", "-t", "-F", "\t", "-P", "null=\\N",
                                     "-v", "ON_ERROR_STOP=1", "-d", self.sink, "-c", sql])
        return [[None if c == "\\N" else c for c in line.split("\t")]
                for line in out.splitlines() if line]

    def column_types(self, table):
        return dict(self.query("SELECT column_name, data_type FROM information_schema.columns "
                               f"WHERE table_name = '{table}' ORDER BY ordinal_position"))


class ClickHouseServer:
    """A fresh database on the server of SLUICE_TEST_CLICKHOUSE_URL."""
    variable = "SLUICE_TEST_CLICKHOUSE_URL"
    # Date32 from 21.9 on, Date before (clickhouse_tables.cc).
    float_type, date_types = "Nullable(Float64)", ("Nullable(Date32)", "Nullable(Date)")

    def __init__(self, test, url):
        self.server = ClickHouse(url)
        self.database = "e2e_" + uuid.uuid4().hex[:12]
        self.server.query(f"CREATE DATABASE {self.database}")
        test.addCleanup(self.server.query, f"DROP DATABASE IF EXISTS {self.database}")
        self.sink = self.server.url(self.database)

    def table(self, name):
        return f"{self.database}.{name}"

    def query(self, sql):
        # TabSeparated shows NULL as \N.
        return [[None if c == "\\N" else c for c in row] for row in self.server.query(sql)]

    def column_types(self, table):
        return dict(self.server.query(
            f"SELECT name, type FROM system.columns WHERE database = '{self.database}' "
            f"AND table = '{table}'"))


class MySQLServer:
    """A fresh database on the server of SLUICE_TEST_MYSQL_URL."""
    variable = "SLUICE_TEST_MYSQL_URL"
    float_type, date_types = "double", ("date",)

    def __init__(self, test, url):
        self.server = MariaDB(url)
        self.database = "e2e_" + uuid.uuid4().hex[:12]
        self.server.query(f"CREATE DATABASE {self.database} CHARACTER SET utf8mb4")
        test.addCleanup(self.server.run, f"DROP DATABASE IF EXISTS {self.database}")
        self.server.database = self.database
        self.sink = self.server.url(self.database)

    def table(self, name):
        return name

    def query(self, sql):
        return self.server.query(sql)

    def column_types(self, table):
        return dict(self.server.query(
            "SELECT column_name, data_type FROM information_schema.columns WHERE "
            f"table_schema = '{self.database}' AND table_name = '{table}' "
            "ORDER BY ordinal_position"))


class TransformsOnSinks:
    """The tests; a subclass per sink sets SERVER (one of the classes above)."""
    SERVER = None

    def setUp(self):
        super().setUp()
        self.server = self.SERVER(self, self.server_env(self.SERVER.variable))

    def run_checked(self, argv):
        res = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if res.returncode != 0:
            self.fail(f"{argv[0]} failed: {argv[-1]}\n{res.stderr}")
        return res.stdout

    def load(self, rule, name, content):
        cfg = self.path("sluice.yaml")
        with open(cfg, "w") as f:
            f.write(f"source: {self.data}\nsink: {self.server.sink}\nledger: {self.ledger}\n"
                    f"processed: {self.processed}\nquarantine: {self.quarantine}\n"
                    f"settle_ms: 50\n" + rule)
        self.put(name, content)
        return self.sluice("once", "-c", cfg, timeout=300)

    def test_the_issues_example_loads_typed_derived_columns(self):
        res = self.load(RULE, "sensors_1.csv", SENSORS)
        self.assertExit(res, 0)
        self.assertEqual(self.processed_files(), ["sensors_1.csv"])
        types = self.server.column_types("sensors")
        self.assertEqual(list(types)[:8], ["sensor_id", "ts", "temperature", "status",
                                           "event_ms", "temperature_k", "day", "event_date"])
        self.assertNotIn("raw_payload", types)
        self.assertEqual(types["temperature_k"], self.server.float_type)
        self.assertIn(types["day"], self.server.date_types)
        self.assertIn(types["event_date"], self.server.date_types)
        rows = self.server.query(
            "SELECT sensor_id, temperature, status, temperature_k, day, event_date "
            f"FROM {self.server.table('sensors')} ORDER BY sensor_id")
        # s2 (temperature NA, so NULL) and s3 (maintenance) are filtered; s4's
        # timestamp is 2026-11-01T23:00Z, its UTC day the 1st.
        self.assertEqual([r[0] for r in rows], ["s1", "s4", "s5"])
        self.assertEqual([r[2] for r in rows], ["ok", "fail", "ok"])
        self.assertEqual([float(r[1]) for r in rows], [20.5, 10, 0])
        for got, want in zip([float(r[3]) for r in rows], [293.65, 283.15, 273.15]):
            self.assertAlmostEqual(got, want, places=9)
        self.assertEqual([r[4] for r in rows], ["2026-11-01", "2026-11-01", "2026-11-02"])
        self.assertEqual([r[5] for r in rows], ["2025-11-24", "2025-11-25", "2025-11-24"])

    def test_derived_columns_of_every_type_load(self):
        rule = RULE.replace("    filter:", """      - name: hour
        expr: "date_trunc('hour', ts)"
      - name: year
        expr: "year(ts)"
      - name: label
        expr: "upper(status) || '-' || sensor_id"
      - name: hot
        expr: "temperature > 15"
      - name: not_ok
        expr: "nullif(status, 'ok')"
    filter:""")
        res = self.load(rule, "sensors_2.csv", SENSORS)
        self.assertExit(res, 0)
        rows = self.server.query(f"SELECT sensor_id, hour, year, label, hot, not_ok FROM "
                                 f"{self.server.table('sensors')} ORDER BY sensor_id")
        self.assertEqual([r[0] for r in rows], ["s1", "s4", "s5"])
        # Each server writes instants its own way: "2026-11-01 10:00:00[.000000][+00]".
        self.assertEqual([r[1].replace("T", " ")[:19] for r in rows],
                         ["2026-11-01 10:00:00", "2026-11-01 23:00:00", "2026-11-02 02:00:00"])
        self.assertEqual([int(r[2]) for r in rows], [2026, 2026, 2026])
        self.assertEqual([r[3] for r in rows], ["OK-s1", "FAIL-s4", "OK-s5"])
        self.assertEqual([r[4] in ("t", "true", "1") for r in rows], [True, False, False])
        self.assertEqual([r[5] for r in rows], [None, "fail", None])

    def test_derived_columns_are_added_to_an_existing_table_and_dropped_ones_load_null(self):
        plain = 'tables:\n  - match: "m*"\n    table: m\n'
        first = self.load(plain, "m_1.csv", "id,ts,temp,note\n1,2026-01-01T05:00:00Z,10,a\n")
        self.assertExit(first, 0)
        rule = plain + """    schema_evolution: add_columns
    derive:
      - name: k
        expr: "temp + 273.15"
      - name: day
        expr: "date(ts)"
    drop: [note]
"""
        res = self.load(rule, "m_2.csv", "id,ts,temp,note\n2,2026-01-02T23:00:00Z,20,b\n")
        self.assertExit(res, 0)
        types = self.server.column_types("m")
        self.assertEqual(types["k"], self.server.float_type)
        self.assertIn(types["day"], self.server.date_types)
        rows = self.server.query(
            f"SELECT id, note, k, day FROM {self.server.table('m')} ORDER BY id")
        self.assertEqual([(r[0], r[1], r[2] and float(r[2]), r[3]) for r in rows],
                         [("1", "a", None, None), ("2", None, 293.15, "2026-01-02")])

    def test_a_failing_derive_gives_bad_rows_of_kind_transform(self):
        rule = """defaults:
  max_rejects: 10
  derive:
    - name: ratio
      expr: "cast(humidity as float) / pressure"
  filter: "humidity > 0"
"""
        # Line 3 divides by zero; line 5 too, though the filter would skip it.
        res = self.load(rule, "air.csv", "humidity,pressure\n50,1000\n40,0\n60,1200\n-1,0\n-2,5\n")
        self.assertExit(res, 0)
        self.assertEqual(self.server.column_types("air")["ratio"], self.server.float_type)
        rows = self.server.query(
            f"SELECT humidity, pressure, ratio FROM {self.server.table('air')} ORDER BY humidity")
        self.assertEqual([(int(h), int(p), float(r)) for h, p, r in rows],
                         [(50, 1000, 0.05), (60, 1200, 0.05)])
        rejects = self.rejects("air.csv")
        self.assertEqual([r["line"] for r in rejects], [3, 5])
        self.assertEqual({r["kind"] for r in rejects}, {"transform"})
        self.assertIn("division by zero", rejects[0]["reason"])


class PostgresTransformsTest(TransformsOnSinks, SluiceTestCase):
    SERVER = PostgresServer


class ClickHouseTransformsTest(TransformsOnSinks, SluiceTestCase):
    SERVER = ClickHouseServer


class MySQLTransformsTest(TransformsOnSinks, SluiceTestCase):
    SERVER = MySQLServer


if __name__ == "__main__":
    unittest.main()
