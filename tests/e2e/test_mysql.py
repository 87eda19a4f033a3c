"""The MySQL/MariaDB sink end to end: sluice loads into a real MariaDB
(scripts/servers/mariadb.sh sets SLUICE_TEST_MYSQL_URL), exactly once through
kill -9 and through the server going away and coming back, with the LOAD DATA
fast path and with its INSERT fallback (local_infile off), over TLS.

Each test loads into a database of its own. Tests that stop the server or change
its global settings start a private server with the same script, so that other
tests never see it. The `mariadb` client reads the results.

SLUICE_CRASH_SEED=<n> replays the kill loop."""

import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import uuid

from sluice_e2e import REPO, TEST_DATA, SluiceTestCase, csv_text, free_port, log, open_sqlite

MARIADB = "/usr/bin/mariadb"
SERVER_SCRIPT = os.path.join(REPO, "scripts", "servers", "mariadb.sh")


class MariaDB:
    """A server from a mysql://USER:PASSWORD@HOST:PORT/DATABASE URL, queried with the
    mariadb client (the password passed in MYSQL_PWD, never on the command line)."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.user = urllib.parse.unquote(u.username or "")
        self.password = urllib.parse.unquote(u.password or "")
        self.host, self.port = u.hostname, u.port or 3306
        self.database = u.path.lstrip("/")

    def url(self, database, scheme="mysql", user=None, password=None, params=""):
        user = self.user if user is None else user
        password = self.password if password is None else password
        return (f"{scheme}://{urllib.parse.quote(user, safe='')}:"
                f"{urllib.parse.quote(password, safe='')}@{self.host}:{self.port}/{database}"
                + (f"?{params}" if params else ""))

    def run(self, sql, database=None, timeout=60):
        return subprocess.run(
            [MARIADB, "--no-defaults", "--protocol=tcp", "-h", self.host, "-P", str(self.port),
             "-u", self.user, "--batch", "--skip-column-names", "--default-character-set=utf8mb4",
             "--connect-timeout=10", "-D", database or self.database, "-e", sql],
            capture_output=True, text=True, timeout=timeout,
            env={**os.environ, "MYSQL_PWD": self.password})

    def query(self, sql, database=None):
        """Rows of `sql` as lists of text cells (NULL as None); raises on errors."""
        res = self.run(sql, database)
        if res.returncode != 0:
            raise AssertionError(f"mariadb failed: {sql}\n{res.stderr}")
        return [[None if c == "NULL" else c for c in line.split("\t")]
                for line in res.stdout.split("\n") if line]

    def scalar(self, sql, database=None):
        rows = self.query(sql, database)
        return rows[0][0] if rows else None

    def kick_out(self, user):
        """Ends the connections of `user`: a new password or right counts from the next login."""
        for (thread,) in self.query(f"SELECT id FROM information_schema.processlist "
                                    f"WHERE user = '{user}'"):
            self.run(f"KILL CONNECTION {thread}")


def start_private_server(test, prefix):
    """Starts a server of the test's own with scripts/servers/mariadb.sh (stopped and
    removed at cleanup); returns its KEY=VALUE lines as a dict."""
    state = tempfile.mkdtemp(prefix=prefix)
    os.chmod(state, 0o755)
    test.addCleanup(shutil.rmtree, state, True)
    test.addCleanup(subprocess.run, [SERVER_SCRIPT, "stop", state], capture_output=True,
                    timeout=120)
    res = subprocess.run([SERVER_SCRIPT, "start", state], capture_output=True, text=True,
                         timeout=180)
    if res.returncode != 0:
        test.fail(f"private server did not start:\n{res.stderr}")
    return dict(line.split("=", 1) for line in res.stdout.splitlines() if "=" in line)


def ledger_states(ledger):
    """{file name: state} from a ledger."""
    con = open_sqlite(ledger)
    try:
        rows = con.execute("SELECT path, state FROM files").fetchall()
    finally:
        con.close()
    return {os.path.basename(p): s for p, s in rows}


# Values the text form of LOAD DATA and the INSERT fallback must both carry intact.
AWKWARD = ["plain", "tab\there", "new\nline", "back\\slash", "\\N", "NULL", "it's \"q\"",
           "caf\u00e9 \u65e5\u672c \U0001f600", "  spaced  ", ""]


class MySQLTestCase(SluiceTestCase):

    def setUp(self):
        super().setUp()
        self.use_server(self.server_env("SLUICE_TEST_MYSQL_URL"))

    def use_server(self, url):
        """Makes a fresh database on the server of `url`: self.server (the loader's
        account, on that database) and self.sink (its URL)."""
        server = MariaDB(url)
        self.database = "e2e_" + uuid.uuid4().hex[:12]
        server.query(f"CREATE DATABASE {self.database} CHARACTER SET utf8mb4")
        self.addCleanup(server.run, f"DROP DATABASE IF EXISTS {self.database}")
        server.database = self.database
        self.server = server
        self.sink = server.url(self.database)

    def args(self, sink=None):
        return ["--source", self.data, "--sink", sink or self.sink, "--ledger", self.ledger,
                "--processed", self.processed, "--quarantine", self.quarantine]

    def my_once(self, *extra, sink=None, timeout=300):
        return self.sluice("once", *self.args(sink), "--settle-ms", "50", *extra, timeout=timeout)

    def count(self, table):
        exists = self.server.scalar(
            f"SELECT count(*) FROM information_schema.tables WHERE table_schema = "
            f"'{self.database}' AND table_name = '{table}'")
        if exists == "0":
            return 0
        return int(self.server.scalar(f"SELECT count(*) FROM `{table}`"))

    def ids(self, table):
        """(count, distinct ids, min id, max id) of a table."""
        row = self.server.query(f"SELECT count(*), count(DISTINCT id), min(id), max(id) "
                                f"FROM `{table}`")[0]
        return tuple(int(v) for v in row)

    def markers(self):
        return int(self.server.scalar("SELECT count(*) FROM sluice_loads"))

    def load_awkward_values(self):
        """Loads files of AWKWARD values with a key (a large file, a duplicate key, small
        files loaded in groups) and checks every byte came back; returns the run."""
        rows = [[i, AWKWARD[i % len(AWKWARD)], f"{i / 4}"] for i in range(1, 2501)]
        text = "id,label,value\n" + "".join(
            f'{i},"{label.replace(chr(34), chr(34) * 2)}",{v}\n' for i, label, v in rows)
        self.put("labels_1.csv", text)
        self.put("labels_2.csv", csv_text(["id", "label", "value"],
                                          [[2500, "again", 1], [2501, "new", 2]]))
        for k in range(3, 40):  # small files: loaded in groups
            self.put(f"labels_{k}.csv", csv_text(["id", "label", "value"],
                                                 [[10000 + k, f"s{k}", k]]))
        res = self.my_once("--key", "id", "--workers", "1", timeout=600)
        self.assertExit(res, 0)
        self.assertEqual(self.quarantined_files(), [])
        self.assertEqual(self.ids("labels"), (2501 + 37, 2501 + 37, 1, 10039))
        got = self.server.query("SELECT id, HEX(label), value FROM labels WHERE id <= 2501 "
                                "ORDER BY id")
        want = [[str(i), label.encode().hex().upper(), f"{float(v):g}"] for i, label, v in rows]
        want.append(["2501", b"new".hex().upper(), "2"])
        self.assertEqual(got, want)
        self.assertEqual(self.server.scalar("SELECT sum(skipped) FROM sluice_loads"), "1")
        self.assertEqual(self.markers(), 39)
        return res


class MySQLLoadTest(MySQLTestCase):

    def test_loads_csv_files_and_the_student_dataset(self):
        self.put("orders_1.csv", csv_text(["id", "amount", "day", "paid", "ts"], [
            [1, "9.50", "1969-07-20", "true", "2026-11-01T10:00:00Z"],
            [2, "-3", "2024-02-29", "false", "2026-11-02T10:30:00.25Z"]]))
        self.put("orders_2.csv", csv_text(["id", "amount", "day", "paid", "ts"],
                                          [[3, "0.25", "2000-01-01", "true", "1999-12-31T23:59:59.999999Z"]]))
        shutil.copy2(os.path.join(TEST_DATA, "datasets", "student-mat.csv"), self.data)
        res = self.my_once(sink=self.server.url(self.database, scheme="mariadb"))
        self.assertExit(res, 0)
        self.assertNotIn(self.server.password, res.stdout + res.stderr,
                         "the password appears in the log")

        self.assertEqual(self.server.query("SELECT id, amount, day, paid, ts FROM orders "
                                           "ORDER BY id"),
                         [["1", "9.5", "1969-07-20", "1", "2026-11-01 10:00:00.000000"],
                          ["2", "-3", "2024-02-29", "0", "2026-11-02 10:30:00.250000"],
                          ["3", "0.25", "2000-01-01", "1", "1999-12-31 23:59:59.999999"]])
        self.assertEqual(dict(self.server.query(
            f"SELECT column_name, column_type FROM information_schema.columns "
            f"WHERE table_schema = '{self.database}' AND table_name = 'orders'")),
            {"id": "bigint(20)", "amount": "double", "day": "date", "paid": "tinyint(1)",
             "ts": "datetime(6)"})
        self.assertEqual(self.count("student_mat"), 395)
        self.assertEqual(self.server.scalar(
            f"SELECT count(*) FROM information_schema.columns WHERE table_schema = "
            f"'{self.database}' AND table_name = 'student_mat'"), "33")
        with open(os.path.join(TEST_DATA, "datasets", "student-mat.csv")) as f:
            lines = [line.split(";") for line in f.read().splitlines()[1:]]
        g3 = sum(int(cells[32]) for cells in lines)
        g1 = sum(int(cells[30].strip('"')) for cells in lines)
        absences = sum(int(cells[29]) for cells in lines)
        ages = sum(int(cells[2]) for cells in lines)
        self.assertEqual(self.server.query("SELECT sum(G3), sum(G1), sum(absences), sum(age) "
                                           "FROM student_mat"),
                         [[str(g3), str(g1), str(absences), str(ages)]])
        self.assertEqual(self.server.query(
            "SELECT school, sex, age, Mjob, G3 FROM student_mat WHERE school = 'GP' AND age = 18 "
            "AND absences = 6 AND G3 = 6"), [["GP", "F", "18", "at_home", "6"]])
        self.assertEqual(self.markers(), 3)
        self.assertEqual(sorted(self.processed_files()),
                         ["orders_1.csv", "orders_2.csv", "student-mat.csv"])

    def test_duplicates_are_not_loaded_again(self):
        content = csv_text(["id", "name"], [[1, "a"], [2, "b"]])
        self.put("people_1.csv", content)
        self.assertExit(self.my_once(), 0)
        self.put("people_again.csv", content)  # same bytes, another name
        self.assertExit(self.my_once(), 0)
        self.assertEqual(self.count("people"), 2)
        self.assertEqual(self.markers(), 1)
        self.assertEqual(ledger_states(self.ledger),
                         {"people_1.csv": "loaded", "people_again.csv": "duplicate"})
        self.put("people_1.csv", content)        # same name and bytes
        self.assertExit(self.my_once(), 0)
        self.assertEqual(self.count("people"), 2)
        self.assertEqual(self.data_files(), [])

        # A new ledger knows nothing; the commit marker in the database still says done.
        os.remove(self.ledger)
        self.put("people_3.csv", content)
        self.assertExit(self.my_once(), 0)
        self.assertEqual(self.count("people"), 2)
        self.assertEqual(self.markers(), 1)
        self.assertEqual(self.quarantined_files(), [])

    def test_key_deduplicates_across_files(self):
        self.put("events_1.csv", csv_text(["id", "v"], [[i, f"first{i}"] for i in range(1, 6)]))
        self.put("events_2.csv", csv_text(["id", "v"], [[i, f"second{i}"] for i in range(4, 9)]))
        self.put("events_3.csv", csv_text(["id", "v"], [[8, "third"], [8, "third again"]]))
        res = self.my_once("--key", "id", "--workers", "1")
        self.assertExit(res, 0)
        self.assertEqual(self.ids("events"), (8, 8, 1, 8))
        # The first committed row of a key wins (files load in name order).
        self.assertEqual(self.server.query("SELECT id, v FROM events ORDER BY id"),
                         [[str(i), f"first{i}"] for i in range(1, 6)]
                         + [[str(i), f"second{i}"] for i in range(6, 9)])
        self.assertEqual(self.server.query("SELECT sum(`rows`), sum(skipped) FROM sluice_loads"),
                         [["8", "4"]])
        self.assertEqual(self.quarantined_files(), [])

    def test_awkward_values_and_a_key_through_load_data(self):
        self.load_awkward_values()

    def test_values_narrower_columns_refuse_are_bad_rows_not_coerced(self):
        """A table made beforehand with columns narrower than sluice's types: LOAD DATA
        would store coerced values with a warning (an integer out of range, a string
        too long, bytes that are not UTF-8); sluice refuses the file instead, naming
        the line, and stores none of its rows."""
        self.server.query("CREATE TABLE things (id TINYINT, day DATE, code VARCHAR(4))")
        self.put("things_1.csv", csv_text(["id", "day", "code"], [[1, "2026-01-02", "ok"]]))
        self.assertExit(self.my_once(), 0)
        cases = {"things_2.csv": [[2, "2026-01-02", "ok"], [1000, "2026-01-02", "ok"]],
                 "things_3.csv": [[3, "2026-01-02", "ok"], [4, "2026-01-02", "toolong"]]}
        for name, rows in cases.items():
            self.put(name, csv_text(["id", "day", "code"], rows))
        cases["things_4.csv"] = None  # bytes that are not UTF-8
        self.put("things_4.csv", b"id,day,code\n5,2026-01-02,ok\n6,2026-01-02,a\xff\xfeb\n")
        self.assertExit(self.my_once("--workers", "1"), 2)
        self.assertEqual(sorted(self.quarantined_files()), sorted(cases))
        for name in cases:
            self.assertIn("line 3", self.error_report(name)["reason"], name)
        self.assertEqual(self.server.query("SELECT id, day, code FROM things"),
                         [["1", "2026-01-02", "ok"]])

    def test_refused_rows_within_max_rejects_are_bad_rows_and_the_rest_loads(self):
        """Rows a narrower table refuses are bad rows, like invalid ones: within
        --max-rejects the file loads without them and its rejects file names each
        line, with the server's reason and the record's text."""
        self.server.query("CREATE TABLE things (id TINYINT, day DATE, code VARCHAR(4))")
        self.put("things_1.csv", csv_text(["id", "day", "code"], [
            [1, "2026-01-02", "ok"], [1000, "2026-01-02", "ok"], [3, "2026-01-02", "toolong"],
            [4, "2026-01-02", "ok"]]))
        self.assertExit(self.my_once("--max-rejects", "5"), 0)
        self.assertEqual(self.server.query("SELECT id, code FROM things ORDER BY id"),
                         [["1", "ok"], ["4", "ok"]])
        recs = self.rejects("things_1.csv")
        self.assertEqual([(r["line"], r["kind"]) for r in recs], [(3, "refused"), (4, "refused")])
        self.assertIn("1000", recs[0]["raw"])
        self.assertIn("1264", recs[0]["reason"])
        self.assertIn("toolong", recs[1]["raw"])
        self.assertEqual(ledger_states(self.ledger), {"things_1.csv": "loaded"})


class MySQLCrashTest(MySQLTestCase):
    """kill -9 of sluice at random moments while it loads 210 files, in 8 rounds of
    `sluice run` and 2 of `sluice once`: at the end every id is in the table exactly
    once and nothing is quarantined."""

    MODES = ["run"] * 8 + ["once"] * 2

    def test_kill_9_loop_loads_every_id_exactly_once(self):
        seed = int(os.environ.get("SLUICE_CRASH_SEED") or (time.time_ns() % (2**31)))
        log(f"\nmysql kill test seed={seed}")
        rng = random.Random(seed)
        schema = self.events_schema()
        # --max-crashes 0: no file is quarantined for being in flight at many kills.
        args = self.args() + ["--settle-ms", "50", "--rescan-seconds", "1", "--workers", "2",
                              "--schema", schema, "--max-crashes", "0"]
        modes = rng.sample(self.MODES, len(self.MODES))
        per_file, expected = self.kill_in_waves(rng, args, len(modes), 20, (100000, 200000),
                                                lambda: self.count("events"), modes)
        res = self.sluice("once", *self.args(), "--settle-ms", "50", "--workers", "2",
                          "--schema", schema, "--max-crashes", "0", timeout=600)
        self.assertExit(res, 0)
        self.assertEqual(self.ids("events"), (expected, expected, 1, expected),
                         f"seed {seed}: rows lost or duplicated")
        per_batch = dict(self.server.query("SELECT batch, count(*) FROM events GROUP BY batch"))
        want = {str(int(n[len("events_"):-len(".csv")])): str(c) for n, c in per_file.items()}
        self.assertEqual(per_batch, want, f"seed {seed}: per-file row counts differ")
        self.assertEqual(self.markers(), len(per_file))
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.quarantined_files(), [])


class MySQLOutageTest(MySQLTestCase):
    """The server is killed (SIGKILL: a commit's answer may be lost) and stays down
    for 20 s while `sluice run` loads 200 files, then comes back: past the 2 s retry
    budget sluice reports the sink down (log, /api/status, /readyz) and holds the
    files pending; when the server is back every row ends up loaded once and nothing
    is quarantined. The server is a private one, so other tests never see it go away."""

    FILES = 200
    ROWS = 400

    def setUp(self):
        self.server_env("SLUICE_TEST_MYSQL_URL")  # servers can run here
        env = start_private_server(self, "sluice-my-outage-")
        self.ctl = env["SLUICE_TEST_MYSQL_CTL"]
        SluiceTestCase.setUp(self)
        self.use_server(env["SLUICE_TEST_MYSQL_URL"])

    def test_server_outage_is_ridden_out(self):
        port = free_port()
        # With aggregates: they too end exactly once (issue 15).
        proc = self.start_run("-c", self.aggregates_config(["value"]), *self.args(), "--workers",
                              "2", "--schema", self.events_schema(), "--retry-budget-seconds",
                              "2", "--http", f"127.0.0.1:{port}", paths=False)
        self.ride_out_outage(proc, port,
                             lambda: subprocess.run([self.ctl, "kill"], check=True, timeout=90),
                             lambda: subprocess.run([self.ctl, "start"], check=True, timeout=120),
                             self.FILES, self.ROWS)
        total = self.FILES * self.ROWS
        self.assertEqual(self.ids("events"), (total, total, 1, total))
        self.assertEqual(self.markers(), self.FILES)
        # One aggregate row per file, over all its rows, under a committed load id.
        self.assertEqual(self.server.query(
            "SELECT count(*), count(DISTINCT _file), min(`count`), max(`count`) "
            "FROM events_file_stats"),
            [[str(self.FILES), str(self.FILES), str(self.ROWS), str(self.ROWS)]])
        self.assertEqual(self.server.scalar(
            "SELECT count(*) FROM events_file_stats WHERE _load_id NOT IN "
            "(SELECT load_id FROM sluice_loads)"), "0")


class MySQLLocalInfileOffTest(MySQLTestCase):
    """A server with local_infile off (MySQL 8's default): rows load through the
    INSERT fallback, values intact, keys honoured, and the log says once that the
    fast path is off. A private server: the setting is global."""

    def setUp(self):
        self.server_env("SLUICE_TEST_MYSQL_URL")
        env = start_private_server(self, "sluice-my-infile-")
        SluiceTestCase.setUp(self)
        admin = MariaDB(env["SLUICE_TEST_MYSQL_ADMIN_URL"])
        admin.query("SET GLOBAL local_infile = OFF")
        self.assertEqual(admin.scalar("SELECT @@GLOBAL.local_infile"), "0")
        self.use_server(env["SLUICE_TEST_MYSQL_URL"])

    def test_rows_load_through_the_fallback(self):
        res = self.load_awkward_values()
        fast_path_off = [line for line in res.stderr.splitlines() if "local_infile" in line]
        self.assertEqual(len(fast_path_off), 1, res.stderr[-3000:])


class MySQLTlsTest(MySQLTestCase):
    """TLS through the URL (?ssl-mode=…): an account that may log in only over TLS
    is refused with DISABLED, loads with REQUIRED and with VERIFY_IDENTITY against
    the server's CA, and
    VERIFY_IDENTITY refuses a server whose certificate another CA signed."""

    def setUp(self):
        super().setUp()
        self.ca = self.server_env("SLUICE_TEST_MYSQL_SSL_CA")
        self.admin = MariaDB(self.server_env("SLUICE_TEST_MYSQL_ADMIN_URL"))
        self.user = "tls_" + uuid.uuid4().hex[:10]
        self.password = uuid.uuid4().hex
        self.admin.query(f"CREATE USER '{self.user}'@'%' IDENTIFIED BY '{self.password}' "
                         f"REQUIRE SSL")
        self.addCleanup(self.admin.run, f"DROP USER IF EXISTS '{self.user}'@'%'")
        self.admin.query(f"GRANT ALL ON `{self.database}`.* TO '{self.user}'@'%'")

    def tls_url(self, params):
        return self.server.url(self.database, user=self.user, password=self.password,
                               params=params)

    def test_tls_modes(self):
        self.put("orders_1.csv", csv_text(["id"], [[1], [2]]))
        # The account really is refused without TLS.
        res = self.my_once(sink=self.tls_url("ssl-mode=DISABLED"))
        self.assertExit(res, 1)
        self.assertIn("Access denied", res.stderr)
        self.assertEqual(self.data_files(), ["orders_1.csv"])
        res = self.my_once(sink=self.tls_url("ssl-mode=REQUIRED"))
        self.assertExit(res, 0)
        self.assertNotIn(self.password, res.stdout + res.stderr)
        self.put("orders_2.csv", csv_text(["id"], [[3]]))
        ca = urllib.parse.quote(self.ca, safe="/")
        res = self.my_once(sink=self.tls_url(f"ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"))
        self.assertExit(res, 0)
        self.assertEqual(self.ids("orders"), (3, 3, 1, 3))

        # A CA that did not sign the server's certificate.
        other = self.path("other-ca")
        os.makedirs(other)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=not the test CA", "-keyout", os.path.join(other, "key.pem"),
                        "-out", os.path.join(other, "ca.pem")], check=True, capture_output=True,
                       timeout=60)
        self.put("orders_3.csv", csv_text(["id"], [[4]]))
        wrong = urllib.parse.quote(os.path.join(other, "ca.pem"), safe="/")
        res = self.my_once(sink=self.tls_url(f"ssl-mode=VERIFY_IDENTITY&ssl-ca={wrong}"))
        self.assertExit(res, 1)
        self.assertNotIn(self.password, res.stdout + res.stderr)
        self.assertEqual(self.data_files(), ["orders_3.csv"])
        self.assertEqual(self.ids("orders"), (3, 3, 1, 3))


if __name__ == "__main__":
    unittest.main()
