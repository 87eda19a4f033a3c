"""A sink that refuses sluice, and passwords that must never be shown (issue 12,
items 9 and 10), against the real servers of scripts/servers/.

Refusals (bad credentials, a revoked privilege, a missing database): at start-up
sluice stops (exit 1); at run time the sink is reported down, files wait pending
(never quarantined, never marked quarantined in the ledger) and load once the sink
accepts sluice again.

Passwords with every byte a URL reserves ('/', '?', '#', '@', ':', '%') and
non-ASCII bytes never appear in the log, /api/status, `sluice status --json`,
quarantine reports or the ledger, in any form (raw or percent-encoded)."""

import glob
import http.client
import json
import os
import sqlite3
import time
import unittest
import urllib.parse
import uuid

import test_clickhouse as tch
import test_mysql as tmy
import test_postgres as tpg
from sluice_e2e import SluiceTestCase, csv_text, free_port, http_get, open_sqlite


def secret_forms(password):
    """The password as text could show it: raw, percent-encoded (either case)."""
    encoded = urllib.parse.quote(password, safe="")
    return {password, encoded, encoded.lower()}


class ShowsNoPasswordMixin:
    """Runs sluice with a status server and collects everything it shows."""

    def status(self, port):
        code, body = http_get(f"http://127.0.0.1:{port}/api/status")
        self.assertEqual(code, 200, body)
        return json.loads(body)

    def ledger_rows(self):
        """{file name: (state, error)} from the ledger."""
        if not os.path.exists(self.ledger):
            return {}
        con = open_sqlite(self.ledger)
        try:
            rows = con.execute("SELECT path, state, error FROM files").fetchall()
        finally:
            con.close()
        return {os.path.basename(p): (s, e) for p, s, e in rows}

    def state(self, name):
        return self.ledger_rows().get(name, (None, None))[0]

    def everything_shown(self, proc, port):
        """Log, /api/status, the status page, `status --json`, reports, the ledger."""
        shown = {"log": self.log_tail(proc, n=10**8)}
        shown["/api/status"] = http_get(f"http://127.0.0.1:{port}/api/status")[1]
        shown["/"] = http_get(f"http://127.0.0.1:{port}/")[1]
        res = self.sluice("status", "--ledger", self.ledger, "--json")
        self.assertExit(res, 0)
        shown["status --json"] = res.stdout + res.stderr
        for report in glob.glob(os.path.join(self.quarantine, "**", "*.json*"), recursive=True):
            with open(report, encoding="utf-8", errors="replace") as f:
                shown[report] = f.read()
        with open(self.ledger, "rb") as f:  # every page, deleted rows' leftovers too
            shown["ledger"] = f.read().decode("utf-8", "replace")
        return shown

    def assertNothingShows(self, shown, password):
        for where, text in shown.items():
            for form in secret_forms(password):
                self.assertNotIn(form, text, f"the password ({form!r}) shows in {where}")

    def run_args(self, port, url=None):
        """`sluice run` into `url` (default self.url) with a 1 s retry budget."""
        return ["--source", self.data, "--sink", url or self.url, "--ledger", self.ledger,
                "--processed", self.processed, "--quarantine", self.quarantine,
                "--retry-budget-seconds", "1", "--http", f"127.0.0.1:{port}"]

    def load_one_good_and_one_bad(self, proc):
        """events_1.csv loads, events_9.csv (a bad row) is quarantined."""
        self.put("events_1.csv", csv_text(["id", "label"], [[1, "a"], [2, "b"]]))
        self.wait_for(lambda: "events_1.csv" in self.processed_files(), 60, "events_1.csv",
                      proc=proc)
        self.put("events_9.csv", csv_text(["id", "label"], [["not a number", "x"]]))
        self.wait_for(lambda: "events_9.csv" in self.quarantined_files(), 60,
                      "events_9.csv quarantined", proc=proc)

    def check_refused_then_accepted(self, refuse, accept, refusal, rows_and_ids):
        """A running sluice loads events_1.csv and quarantines events_9.csv; then
        refuse() makes the sink refuse sluice (a new password, a revoked right):
        events_2.csv waits pending, the sink is reported down with `refusal` in its
        error, and the password shows nowhere; after accept() events_2.csv loads and
        rows_and_ids() is (3, 3)."""
        port = free_port()
        proc = self.start_run(*self.run_args(port), paths=False)
        self.load_one_good_and_one_bad(proc)

        refuse()
        self.put("events_2.csv", csv_text(["id", "label"], [[3, "c"]]))
        self.wait_pending_while_down(proc, port, "events_2.csv")
        self.assertIn(refusal, self.status(port)["sink_error"])
        self.assertEqual(self.status(port)["sink_up"], 0)
        shown_down = self.everything_shown(proc, port)

        accept()
        self.wait_for(lambda: "events_2.csv" in self.processed_files(), 120,
                      "events_2.csv loaded once the sink accepts sluice again", proc=proc)
        self.assertEqual(rows_and_ids(), (3, 3))
        self.assertEqual(self.quarantined_files(), ["events_9.csv"])
        self.assertEqual(self.state("events_2.csv"), "loaded")
        self.assertEqual(self.stop(proc), 0)
        self.assertNothingShows(shown_down, self.password)
        self.assertNothingShows({"log": self.log_tail(proc, n=10**8)}, self.password)

    def wait_pending_while_down(self, proc, port, name):
        """Waits until `name` is pending in the ledger and the sink reported down."""
        self.wait_for(lambda: self.state(name) == "pending", 60, f"{name} pending", proc=proc)
        self.wait_for(lambda: "sink_down" in self.log_tail(proc, n=10**8), 60,
                      "the sink reported down", proc=proc)
        self.wait_for(lambda: self.status(port)["sink_error"] != "", 60,
                      "/api/status to name the sink's error", proc=proc)
        self.assertIn(name, self.data_files(), "a waiting file must stay in the source folder")
        self.assertNotIn(name, self.quarantined_files())
        self.assertNotEqual(self.state(name), "quarantined")


class PostgresRefusalTest(ShowsNoPasswordMixin, tpg.PostgresTestCase):
    """A role of its own per test, with a password full of URL-reserved bytes."""

    def setUp(self):
        super().setUp()
        self.role = "loader_" + uuid.uuid4().hex[:10]
        self.password = "p/?#@:%zz\u00e9\u00ff-" + uuid.uuid4().hex[:6]
        self.psql(f"CREATE ROLE {self.role} LOGIN PASSWORD '{self.password}'", url=self.server_url)
        self.addCleanup(self.psql, f"DROP ROLE IF EXISTS {self.role}", url=self.server_url,
                        check=False)
        db = self.pg.rsplit("/", 1)[1]
        self.psql(f"GRANT ALL ON DATABASE {db} TO {self.role}")
        self.psql(f"GRANT ALL ON SCHEMA public TO {self.role}")
        self.addCleanup(self.psql, f"DROP OWNED BY {self.role}", check=False)
        scheme, rest = self.pg.split("://", 1)
        self.host_db = rest.split("@", 1)[1]
        self.url = (f"{scheme}://{self.role}:{urllib.parse.quote(self.password, safe='')}"
                    f"@{self.host_db}")

    def kick_out(self):
        """Ends the role's sessions: a new password or right counts from the next login."""
        self.psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  f"WHERE usename = '{self.role}'", url=self.server_url)

    def rows_and_ids(self):
        return tuple(int(v) for v in self.psql("SELECT count(*), count(DISTINCT id) FROM events")[0])

    def test_password_rotated_at_run_time_files_wait_then_load(self):
        def rotate():
            self.psql(f"ALTER ROLE {self.role} PASSWORD 'rotated-{uuid.uuid4().hex}'",
                      url=self.server_url)
            self.kick_out()
        self.check_refused_then_accepted(
            rotate,
            lambda: self.psql(f"ALTER ROLE {self.role} PASSWORD '{self.password}'",
                              url=self.server_url),
            "password authentication failed", self.rows_and_ids)

    def test_revoked_privilege_files_wait_then_load(self):
        # The table's owner loses its right to insert: pings still work, loads do not.
        self.check_refused_then_accepted(
            lambda: self.psql(f"REVOKE INSERT ON events FROM {self.role}"),
            lambda: self.psql(f"GRANT INSERT ON events TO {self.role}"),
            "permission denied", self.rows_and_ids)

    def test_refused_at_start_up_is_fatal_and_not_shown(self):
        self.put("events_1.csv", csv_text(["id"], [[1]]))
        wrong = "Wr0ng/?#@:%zz\u00e9-pass"
        url = f"{self.url.split('://')[0]}://{self.role}:{urllib.parse.quote(wrong, safe='')}" \
              f"@{self.host_db}"
        for command in ("once", "run"):
            res = self.sluice(command, "--source", self.data, "--sink", url, "--ledger",
                              self.ledger, "--processed", self.processed, "--quarantine",
                              self.quarantine, "--http", "off", "--settle-ms", "0", timeout=60)
            self.assertExit(res, 1)
            self.assertIn("password authentication failed", res.stderr)
            self.assertIn("fatal", res.stderr)
            self.assertNothingShows({command: res.stdout + res.stderr}, wrong)
            self.assertEqual(self.data_files(), ["events_1.csv"])

    def test_urls_libpq_misreads_or_refuses_never_show_the_password(self):
        """libpq quotes a token it cannot decode ("%zz"), and would read a raw '/' in
        the password as the end of the host: such URLs are refused, the password
        hidden."""
        self.put("events_1.csv", csv_text(["id"], [[1]]))
        for password in ("Sup3r%zzSecret", "s3cr/et\u00e9", "s3cr@et"):
            url = f"postgresql://{self.role}:{password}@{self.host_db}"
            res = self.sluice("once", "--source", self.data, "--sink", url, "--ledger",
                              self.ledger, "--processed", self.processed, "--quarantine",
                              self.quarantine, "--settle-ms", "0", timeout=60)
            self.assertExit(res, 1)
            for part in (password, password[:5], password[5:]):
                self.assertNotIn(part, res.stderr, f"{password!r} shows")


class ClickHouseRefusalTest(ShowsNoPasswordMixin, SluiceTestCase):
    """A user of its own, defined in the shared server's users.d (reloaded by the
    server within seconds), with a raw password full of URL-reserved bytes."""

    def setUp(self):
        super().setUp()
        admin_url = self.server_env("SLUICE_TEST_CLICKHOUSE_URL")
        self.admin = tch.ClickHouse(admin_url)
        ctl = self.server_env("SLUICE_TEST_CLICKHOUSE_CTL")
        self.users_d = os.path.join(os.path.dirname(ctl), "users.d")
        os.makedirs(self.users_d, exist_ok=True)
        os.chmod(self.users_d, 0o755)
        tag = uuid.uuid4().hex[:10]
        self.user = "loader_" + tag
        self.user_file = os.path.join(self.users_d, self.user + ".xml")
        self.addCleanup(lambda: os.path.exists(self.user_file) and os.remove(self.user_file))
        self.database = "sluice_auth_" + tag
        self.admin.query(f"CREATE DATABASE {self.database}")
        self.addCleanup(self.admin.query, f"DROP DATABASE IF EXISTS {self.database}")
        self.password = "p/?#@:%zz&<\u00e9\u00ff-" + tag
        self.set_password(self.password)
        # Raw, as a person would paste it: the user info runs to the last '@'.
        self.url = (f"clickhouse://{self.user}:{self.password}@{self.admin.host}:"
                    f"{self.admin.port}/{self.database}")

    def set_password(self, password):
        """Writes the user's definition and waits until the server uses it."""
        escaped = password.replace("&", "&amp;").replace("<", "&lt;")
        tmp = self.user_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"<?xml version=\"1.0\"?>\n<yandex><users><{self.user}>"
                    f"<password>{escaped}</password>"
                    f"<networks><ip>127.0.0.1</ip></networks><profile>default</profile>"
                    f"<quota>default</quota></{self.user}></users></yandex>\n")
        os.chmod(tmp, 0o644)
        # The server notices a changed file by its modification time in whole
        # seconds: a second definition within the same second would go unseen.
        previous = os.stat(self.user_file).st_mtime if os.path.exists(self.user_file) else 0
        stamp = max(int(time.time()), int(previous) + 1)
        os.utime(tmp, (stamp, stamp))
        os.replace(tmp, self.user_file)

        def works():
            # Header bytes as UTF-8, as sluice sends them (urllib would send Latin-1).
            conn = http.client.HTTPConnection(self.admin.host, self.admin.port, timeout=10)
            try:
                conn.putrequest("POST", "/")
                conn.putheader("X-ClickHouse-User", self.user)
                conn.putheader("X-ClickHouse-Key", password.encode("utf-8"))
                conn.putheader("Content-Length", "8")
                conn.endheaders(b"SELECT 1")
                resp = conn.getresponse()
                return resp.status == 200 and resp.read().strip() == b"1"
            finally:
                conn.close()
        self.wait_for(works, 60, f"the server to accept {self.user}'s new password",
                      interval=0.25)

    def count(self):
        return int(self.admin.scalar(f"SELECT count() FROM {self.database}.events"))

    def test_password_changed_at_run_time_files_wait_then_load(self):
        self.check_password_change(self.url)

    def test_password_changed_at_run_time_percent_encoded_url(self):
        self.check_password_change(self.url.replace(
            self.password, urllib.parse.quote(self.password, safe=""), 1))

    def check_password_change(self, url):
        port = free_port()
        proc = self.start_run(*self.run_args(port, url), paths=False)
        self.load_one_good_and_one_bad(proc)

        self.set_password("changed-" + uuid.uuid4().hex)
        self.put("events_2.csv", csv_text(["id", "label"], [[3, "c"]]))
        self.wait_pending_while_down(proc, port, "events_2.csv")
        self.assertIn("Wrong password", self.status(port)["sink_error"])
        self.assertEqual(self.status(port)["sink_up"], 0)
        self.assertNothingShows(self.everything_shown(proc, port), self.password)

        self.set_password(self.password)
        self.wait_for(lambda: "events_2.csv" in self.processed_files(), 90,
                      "events_2.csv loaded once the password works again", proc=proc)
        self.assertEqual(self.count(), 3)
        self.assertEqual(self.quarantined_files(), ["events_9.csv"])
        self.assertEqual(self.state("events_2.csv"), "loaded")
        self.assertEqual(self.stop(proc), 0)
        self.assertNothingShows({"log": self.log_tail(proc, n=10**8)}, self.password)

    def test_refused_at_start_up_is_fatal_and_not_shown(self):
        self.put("events_1.csv", csv_text(["id"], [[1]]))
        wrong = "Wr0ng/?#@:%zz\u00e9-pass"
        url = f"clickhouse://{self.user}:{wrong}@{self.admin.host}:{self.admin.port}/" \
              f"{self.database}"
        for command in ("once", "run"):
            res = self.sluice(command, "--source", self.data, "--sink", url, "--ledger",
                              self.ledger, "--processed", self.processed, "--quarantine",
                              self.quarantine, "--http", "off", "--settle-ms", "0", timeout=60)
            self.assertExit(res, 1)
            self.assertIn("Wrong password", res.stderr)
            self.assertIn("fatal", res.stderr)
            self.assertNothingShows({command: res.stdout + res.stderr}, wrong)
            self.assertEqual(self.data_files(), ["events_1.csv"])


class MySQLRefusalTest(ShowsNoPasswordMixin, tmy.MySQLTestCase):
    """An account of its own per test (made with the admin account of
    scripts/servers/mariadb.sh), with a password full of URL-reserved bytes."""

    def setUp(self):
        super().setUp()
        self.admin = tmy.MariaDB(self.server_env("SLUICE_TEST_MYSQL_ADMIN_URL"))
        self.user = "loader_" + uuid.uuid4().hex[:10]
        self.password = "p/?#@:%zz\u00e9\u00ff-" + uuid.uuid4().hex[:6]
        self.admin.query(f"CREATE USER '{self.user}'@'%' IDENTIFIED BY '{self.password}'")
        self.addCleanup(self.admin.run, f"DROP USER IF EXISTS '{self.user}'@'%'")
        self.admin.query(f"GRANT ALL ON `{self.database}`.* TO '{self.user}'@'%'")
        self.url = self.server.url(self.database, user=self.user, password=self.password)

    def set_password(self, password):
        self.admin.query(f"ALTER USER '{self.user}'@'%' IDENTIFIED BY '{password}'")
        self.admin.kick_out(self.user)

    def rows_and_ids(self):
        return self.ids("events")[:2]

    def test_password_changed_at_run_time_files_wait_then_load(self):
        self.check_refused_then_accepted(
            lambda: self.set_password("rotated-" + uuid.uuid4().hex),
            lambda: self.set_password(self.password), "Access denied", self.rows_and_ids)

    def test_revoked_privilege_files_wait_then_load(self):
        # The account loses its right to insert: logins still work, loads do not.
        def revoke():
            self.admin.query(f"REVOKE INSERT ON `{self.database}`.* FROM '{self.user}'@'%'")
            self.admin.kick_out(self.user)
        self.check_refused_then_accepted(
            revoke,
            lambda: self.admin.query(f"GRANT INSERT ON `{self.database}`.* TO '{self.user}'@'%'"),
            "denied", self.rows_and_ids)

    def test_refused_at_start_up_is_fatal_and_not_shown(self):
        self.put("events_1.csv", csv_text(["id"], [[1]]))
        wrong = "Wr0ng/?#@:%zz\u00e9-pass"
        url = self.server.url(self.database, scheme="mariadb", user=self.user, password=wrong)
        for command in ("once", "run"):
            res = self.sluice(command, "--source", self.data, "--sink", url, "--ledger",
                              self.ledger, "--processed", self.processed, "--quarantine",
                              self.quarantine, "--http", "off", "--settle-ms", "0", timeout=60)
            self.assertExit(res, 1)
            self.assertIn("Access denied", res.stderr)
            self.assertIn("fatal", res.stderr)
            self.assertNothingShows({command: res.stdout + res.stderr}, wrong)
            self.assertEqual(self.data_files(), ["events_1.csv"])

    def test_password_file_wins_and_is_never_shown(self):
        self.put("events_1.csv", csv_text(["id"], [[1], [2]]))
        pw_file = self.path("right.pw")
        with open(pw_file, "w", encoding="utf-8") as f:
            f.write(self.password + "\n")
        bare = f"mysql://{self.user}@{self.server.host}:{self.server.port}/{self.database}"
        wrong_url = bare.replace("@", ":N0tThePassw0rd@", 1)
        port = free_port()
        proc = self.start_run(*self.run_args(port, wrong_url), "--sink-password-file", pw_file,
                              paths=False)
        self.wait_for(lambda: "events_1.csv" in self.processed_files(), 60, "events_1.csv",
                      proc=proc)
        shown = self.everything_shown(proc, port)
        self.assertEqual(self.stop(proc), 0)
        self.assertNothingShows(shown, self.password)
        self.assertNothingShows(shown, "N0tThePassw0rd")
        self.assertEqual(self.ids("events"), (2, 2, 1, 2))


class SqliteUrlPathTest(SluiceTestCase):
    """An SQLite URL has no password, only a path, kept as written even when it
    holds characters that look like a URL's user info."""

    def test_path_with_url_characters_is_used_and_shown_as_written(self):
        name = "rel:pa@th?x#y%41.db"
        self.put("events_1.csv", csv_text(["id"], [[1], [2]]))
        res = self.sluice("once", "--source", self.data, "--sink", "sqlite://" + name,
                          "--ledger", self.ledger, "--processed", self.processed,
                          "--quarantine", self.quarantine, "--settle-ms", "0")
        self.assertExit(res, 0)
        db = os.path.join(self.ws, name)
        self.assertTrue(os.path.isfile(db), os.listdir(self.ws))
        con = sqlite3.connect(db)  # a plain path: a file: URI would cut it at '?'
        try:
            self.assertEqual(con.execute("SELECT count(*) FROM events").fetchone()[0], 2)
        finally:
            con.close()
        self.assertIn("sqlite://" + name, res.stderr)


if __name__ == "__main__":
    unittest.main()
