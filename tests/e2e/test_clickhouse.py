"""The ClickHouse sink end to end: files loaded into a real server, exactly once
through kill -9, a file larger than one insert block, and a server outage.

Needs SLUICE_TEST_CLICKHOUSE_URL (scripts/servers/clickhouse.sh). Each test loads
into a fresh database of that server. The outage test starts a server of its own
with the same script, so that stopping it cannot disturb other tests.

SLUICE_CRASH_SEED=<n> replays the kill loop."""

import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from sluice_e2e import REPO, TEST_DATA, SluiceTestCase, csv_text, log

SERVER_SCRIPT = os.path.join(REPO, "scripts", "servers", "clickhouse.sh")


class ClickHouse:
    """A server from a clickhouse://user:password@host:port/db URL, queried over HTTP."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.user = urllib.parse.unquote(u.username or "default")
        self.password = urllib.parse.unquote(u.password or "")
        self.host, self.port = u.hostname, u.port or 8123
        self.database = u.path.lstrip("/") or "default"

    def url(self, database):
        return (f"clickhouse://{urllib.parse.quote(self.user, safe='')}:"
                f"{urllib.parse.quote(self.password, safe='')}@{self.host}:{self.port}/{database}")

    def query(self, sql, timeout=60):
        """The TabSeparated answer as rows of strings; raises on errors."""
        req = urllib.request.Request(
            f"http://{self.host}:{self.port}/", data=sql.encode(), method="POST",
            headers={"X-ClickHouse-User": self.user, "X-ClickHouse-Key": self.password})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                body = resp.read().decode()
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{sql}: {e.read().decode(errors='replace')[:500]}") from None
        return [line.split("\t") for line in body.splitlines()]

    def scalar(self, sql):
        return self.query(sql)[0][0]


class ClickHouseTest(SluiceTestCase):

    def setUp(self):
        super().setUp()
        self.server = ClickHouse(self.server_env("SLUICE_TEST_CLICKHOUSE_URL"))
        self.database = f"sluice_e2e_{os.getpid()}_{random.randrange(1 << 30)}"
        self.server.query(f"CREATE DATABASE {self.database}")
        self.sink = self.server.url(self.database)

    def tearDown(self):
        try:
            self.server.query(f"DROP DATABASE IF EXISTS {self.database}")
        except Exception as e:  # the server may be the one a test stopped
            log(f"drop database {self.database}: {e}")
        super().tearDown()

    def args(self, sink=None):
        return ["--source", self.data, "--sink", sink or self.sink, "--ledger", self.ledger,
                "--processed", self.processed, "--quarantine", self.quarantine]

    def count(self, table, server=None):
        server = server or self.server
        exists = server.scalar(f"SELECT count() FROM system.tables WHERE database = "
                               f"'{self.database}' AND name = '{table}'")
        if exists == "0":
            return 0
        return int(server.scalar(f"SELECT count() FROM {self.database}.{table}"))

    def ids(self, table, server=None):
        """(count, distinct ids, min id, max id) of a table."""
        row = (server or self.server).query(
            f"SELECT count(), uniqExact(id), min(id), max(id) FROM {self.database}.{table}")[0]
        return tuple(int(v) for v in row)

    def count_files_left(self):
        return len(self.data_files())

    def test_loads_csv_files_and_the_student_dataset(self):
        self.put("orders.csv", csv_text(["id", "item", "price", "paid", "day", "ts"], [
            [1, "tea", "1.5", "true", "2026-11-01", "2026-11-01T10:00:00Z"],
            [2, "o'clock \"quoted\"", "", "false", "2026-11-02", "2026-11-02T11:30:00.25Z"],
        ]))
        self.put("people.csv", csv_text(["name", "age"], [["ann", 31], ["bob", 42], ["cy", 7]]))
        shutil.copy(os.path.join(TEST_DATA, "datasets", "student-mat.csv"),
                    os.path.join(self.data, "student-mat.csv"))
        res = self.sluice("once", *self.args(), "--settle-ms", "0")
        self.assertExit(res, 0)
        self.assertNotIn(self.server.password, res.stdout + res.stderr)
        self.assertEqual(self.count("orders"), 2)
        self.assertEqual(self.count("people"), 3)
        self.assertEqual(self.count("student_mat"), 395)
        self.assertEqual(
            self.server.query(f"SELECT id, item, price, paid, day, toString(toDateTime(ts)) "
                              f"FROM {self.database}.orders ORDER BY id"),
            [["1", "tea", "1.5", "1", "2026-11-01", "2026-11-01 10:00:00"],
             ["2", "o\\'clock \"quoted\"", "\\N", "0", "2026-11-02", "2026-11-02 11:30:00"]])
        self.assertEqual(self.server.query(
            f"SELECT school, sex, age, G3 FROM {self.database}.student_mat "
            f"WHERE school = 'GP' AND age = 18 AND absences = 6 AND G3 = 6"),
            [["GP", "F", "18", "6"]])
        # One commit marker per file; running again loads nothing twice.
        self.assertEqual(self.server.scalar(
            f"SELECT count() FROM {self.database}.sluice_loads"), "3")
        for name in ("orders.csv", "people.csv", "student-mat.csv"):
            shutil.copy(os.path.join(self.processed, name), os.path.join(self.data, "again-" + name))
        res = self.sluice("once", *self.args(), "--settle-ms", "0")
        self.assertExit(res, 0)
        self.assertEqual(self.count("student_mat"), 395)
        self.assertEqual(self.count("people"), 3)

    def test_wrong_password_is_fatal_and_never_printed(self):
        self.put("people.csv", csv_text(["name", "age"], [["ann", 31]]))
        wrong = ClickHouse(self.sink)
        wrong.password = "N0tTheRightPassw0rd"
        res = self.sluice("once", *self.args(wrong.url(self.database)), "--settle-ms", "0")
        self.assertExit(res, 1)
        self.assertNotIn("N0tTheRightPassw0rd", res.stdout + res.stderr)
        self.assertEqual(self.data_files(), ["people.csv"])

    def test_password_file(self):
        """--sink-password-file: the password comes from a file (first line), beats
        one in the URL, and is never shown; a wrong or missing file stops sluice."""
        self.put("people.csv", csv_text(["name", "age"], [["ann", 31]]))
        bare = (f"clickhouse://{urllib.parse.quote(self.server.user, safe='')}@"
                f"{self.server.host}:{self.server.port}/{self.database}")
        right = self.path("right.pw")
        with open(right, "w") as f:
            f.write(self.server.password + "\n")
        wrong = self.path("wrong.pw")
        with open(wrong, "w") as f:
            f.write("N0tTheRightPassw0rd\n")
        missing = self.path("missing.pw")

        res = self.sluice("once", *self.args(), "--settle-ms", "0", "--sink-password-file", wrong)
        self.assertExit(res, 1)
        # "Authentication failed" or, on old servers, "Wrong password".
        self.assertRegex(res.stderr, "(?i)authentication failed|wrong password")
        self.assertNotIn("N0tTheRightPassw0rd", res.stdout + res.stderr)
        self.assertNotIn(self.server.password, res.stdout + res.stderr)

        res = self.sluice("once", *self.args(bare), "--settle-ms", "0",
                          "--sink-password-file", missing)
        self.assertExit(res, 1)
        self.assertIn(f"sink password file {missing}: No such file or directory", res.stderr)
        self.assertEqual(self.data_files(), ["people.csv"])

        url_with_wrong = bare.replace("@", ":N0tTheRightPassw0rd@", 1)
        res = self.sluice("once", *self.args(url_with_wrong), "--settle-ms", "0",
                          env={"SLUICE_SINK_PASSWORD_FILE": right})
        self.assertExit(res, 0)
        self.assertNotIn(self.server.password, res.stdout + res.stderr)
        self.assertEqual(self.count("people"), 1)

    def test_kill_9_loop_loads_every_id_exactly_once(self):
        seed = int(os.environ.get("SLUICE_CRASH_SEED") or (time.time_ns() % (2**31)))
        log(f"\nclickhouse kill test seed={seed}")
        rng = random.Random(seed)
        schema = self.events_schema()
        # --max-crashes 0: no file is quarantined for being in flight at many kills.
        args = self.args() + ["--settle-ms", "50", "--rescan-seconds", "1", "--workers", "2",
                              "--schema", schema, "--max-crashes", "0"]
        per_file, expected = self.kill_in_waves(rng, args, 8, 7, (150000, 300000),
                                                lambda: self.count("events"))
        res = self.sluice("once", *self.args(), "--settle-ms", "50", "--workers", "2",
                          "--schema", schema, "--max-crashes", "0", timeout=600)
        self.assertExit(res, 0)
        cleanups = self.server.scalar(
            f"SELECT count() FROM system.mutations WHERE database = '{self.database}'")
        log(f"{cleanups} clean-ups of crashed loads")
        self.assertEqual(self.ids("events"), (expected, expected, 1, expected),
                         f"seed {seed}: rows lost or duplicated")
        per_batch = dict(self.server.query(
            f"SELECT batch, count() FROM {self.database}.events GROUP BY batch"))
        want = {str(int(n[len("events_"):-len(".csv")])): str(c) for n, c in per_file.items()}
        self.assertEqual(per_batch, want, f"seed {seed}: per-file row counts differ")
        self.assertEqual(self.server.scalar(
            f"SELECT uniqExact(load_id) FROM {self.database}.sluice_loads"),
            str(len(per_file)))
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.quarantined_files(), [])

    def test_kill_9_loop_keeps_aggregates_exactly_with_their_rows(self):
        """Issue 15: the aggregates table (the sink's side table) of files killed at
        random moments: at the end, for every file loaded, exactly its rows and
        exactly one aggregate row per column, whose count is the file's rows, all
        under committed load ids (none left by an attempt that did not commit)."""
        seed = int(os.environ.get("SLUICE_CRASH_SEED") or (time.time_ns() % (2**31)))
        log(f"\nclickhouse aggregates kill test seed={seed}")
        rng = random.Random(seed)
        common = ["-c", self.aggregates_config()] + self.args() + [
            "--settle-ms", "50", "--workers", "2", "--schema", self.events_schema(),
            "--max-crashes", "0"]
        per_file, expected = self.kill_in_waves(rng, common + ["--rescan-seconds", "1"], 6, 7,
                                                (150000, 300000), lambda: self.count("events"))
        res = self.sluice("once", *common, timeout=600)
        self.assertExit(res, 0)
        self.assertEqual(self.ids("events"), (expected, expected, 1, expected),
                         f"seed {seed}: rows lost or duplicated")
        self.assert_aggregates_match(per_file, seed=seed)
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.quarantined_files(), [])

    def test_file_larger_than_an_insert_block_loads_once_even_when_killed(self):
        rows = 1_100_000  # more than max_insert_block_size (1,048,576)
        with open(self.path("narrow.csv"), "w") as f:
            f.write("id\n")
            f.write("\n".join(map(str, range(1, rows + 1))))
            f.write("\n")
        # First a clean load, then a load of the same rows (other content: a
        # trailing blank line) killed as soon as part of it is visible.
        shutil.copy(self.path("narrow.csv"), os.path.join(self.data, "narrow.csv"))
        res = self.sluice("once", *self.args(), "--settle-ms", "0", timeout=300)
        self.assertExit(res, 0)
        self.assertEqual(self.ids("narrow"), (rows, rows, 1, rows))

        self.server.query(f"DROP TABLE {self.database}.narrow")
        with open(self.path("narrow.csv"), "a") as f:
            f.write("\n")
        shutil.copy(self.path("narrow.csv"), os.path.join(self.data, "narrow.csv"))
        proc = self.start_run(*self.args(), paths=False, settle_ms=0)
        self.wait_for(lambda: self.count("narrow") > 0 or proc.poll() is not None, 120,
                      "the first insert of the big file")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        partial = self.count("narrow")
        log(f"\nkilled with {partial} of {rows} rows visible")
        res = self.sluice("once", *self.args(), "--settle-ms", "0", timeout=300)
        self.assertExit(res, 0)
        self.assertEqual(self.ids("narrow"), (rows, rows, 1, rows))

    def test_key_keeps_the_first_committed_row(self):
        """With a key, the first committed row of a key is the one merges keep, as in
        SQLite and PostgreSQL: two files loaded in order, OPTIMIZE … FINAL, the first
        file's rows are left (docs/clickhouse.md, "Keys")."""
        def load(name, rows):
            self.put(name, csv_text(["id", "label"], rows))
            res = self.sluice("once", *self.args(), "--settle-ms", "0", "--table", "keyed",
                              "--key", "id")
            self.assertExit(res, 0)
        load("first.csv", [[1, "first"], [2, "first"], [2, "first-again"]])
        load("second.csv", [[2, "second"], [3, "second"]])
        load("third.csv", [[3, "third"], [1, "third"], [4, "third"]])
        self.server.query(f"OPTIMIZE TABLE {self.database}.keyed FINAL")
        self.assertEqual(
            self.server.query(f"SELECT id, label FROM {self.database}.keyed ORDER BY id"),
            [["1", "first"], ["2", "first"], ["3", "second"], ["4", "third"]])

    def test_groups_with_a_bad_member_make_no_delete_mutation(self):
        """sluice's group path, 50 times: two good files and a bad one (a row the
        schema refuses, no rejects allowed) load as one group, which fails on the bad
        file after more than 1 MiB of the good ones was sent; then each file loads
        alone. No insert stored anything, so no delete mutation (each rewrites the
        whole table) is made at all."""
        schema = self.events_schema()
        rows = 15000  # about 0.9 MiB as Native: the second file's rows are sent
        for g in range(50):
            first = 1 + g * 3 * rows
            self.write_events(self.data, [rows, rows], first_file=3 * g, first_id=first)
            self.put(f"events_{3 * g + 2:04d}.csv",
                     csv_text(["id", "batch", "value", "label"], [[first + 2 * rows, 1, 1, "x"],
                                                                  ["oops", 1, 1, "x"]]))
            res = self.sluice("once", *self.args(), "--settle-ms", "0", "--workers", "1",
                              "--table", "events", "--schema", schema)
            self.assertIn("group_failed", res.stderr, self.describe(res))
        self.assertEqual(len(self.quarantined_files()), 50)
        self.assertEqual(self.ids("events"), (100 * rows, 100 * rows, 1, 150 * rows - rows))
        self.assertEqual(self.server.scalar(
            f"SELECT count() FROM system.mutations WHERE database = '{self.database}'"), "0")

    def assert_aggregates_match(self, per_file, server=None, seed=None):
        """Exactly one aggregate row per column of every file of `per_file` (count =
        its rows), all under committed load ids."""
        server = server or self.server
        stats = f"{self.database}.events_file_stats"
        self.assertEqual(self.count("events_file_stats", server), 2 * len(per_file),
                         f"seed {seed}: aggregate rows lost or duplicated")
        counts = dict(server.query(
            f"SELECT replaceRegexpOne(_file, '.*/', ''), toString(count) FROM {stats} "
            f"WHERE column = 'id'"))
        self.assertEqual(counts, {n: str(c) for n, c in per_file.items()},
                         f"seed {seed}: a file's aggregates differ from its rows")
        self.assertEqual(server.scalar(
            f"SELECT count() FROM {stats} WHERE _load_id != _sluice_load_id OR _sluice_load_id "
            f"NOT IN (SELECT load_id FROM {self.database}.sluice_loads)"), "0")

    def test_a_file_quarantined_for_its_aggregates_leaves_neither_rows_nor_aggregates(self):
        """An aggregates table made by hand whose count is Int8: a file of 300 rows
        has a count the table cannot hold, its Commit fails (InvalidData naming the
        aggregates table) and it is quarantined with none of its rows or aggregate
        rows left; the files of fewer rows load with theirs."""
        self.server.query(
            f"CREATE TABLE {self.database}.events_file_stats (_file String, _load_id String, "
            f"_loaded_at DateTime, column String, count Int8, nulls Int64, "
            f"min Nullable(Float64), max Nullable(Float64), mean Nullable(Float64), "
            f"stddev Nullable(Float64), _sluice_load_id String) ENGINE = MergeTree "
            f"ORDER BY tuple()")
        per_file = self.write_events(self.data, [5, 300, 7])
        res = self.sluice("once", "-c", self.aggregates_config(), *self.args(), "--settle-ms",
                          "0", "--schema", self.events_schema())
        self.assertExit(res, 2)  # a file was quarantined
        self.assertEqual(self.quarantined_files(), ["events_0001.csv"])
        self.assertIn("events_file_stats", res.stdout + res.stderr)
        del per_file["events_0001.csv"]
        self.assertEqual(dict(self.server.query(
            f"SELECT toString(batch), toString(count()) FROM {self.database}.events "
            f"GROUP BY batch")), {"0": "5", "2": "7"})
        self.assert_aggregates_match(per_file)

    def test_server_outage_mid_load_ends_with_every_row_once(self):
        if not os.access(SERVER_SCRIPT, os.X_OK):
            self.fail(f"{SERVER_SCRIPT} is missing")
        state = tempfile.mkdtemp(prefix="sluice-ch-outage-")
        os.chmod(state, 0o755)
        started = subprocess.run([SERVER_SCRIPT, "start", state], capture_output=True, text=True,
                                 timeout=120)
        try:
            self.assertEqual(started.returncode, 0, started.stderr)
            env = dict(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)
            own = ClickHouse(env["SLUICE_TEST_CLICKHOUSE_URL"])
            ctl = env["SLUICE_TEST_CLICKHOUSE_CTL"]
            own.query(f"CREATE DATABASE {self.database}")
            sink = own.url(self.database)

            # A large file first: the server is stopped once part of it is visible,
            # in the middle of its load. More files arrive during the outage.
            pristine = self.path("pristine")
            per_file = self.write_events(pristine, [1500000] + [100000] * 15)
            expected = sum(per_file.values())
            # With aggregates: they too end exactly once (issue 15).
            proc = self.start_run("-c", self.aggregates_config(), *self.args(sink), "--workers",
                                  "2", "--schema", self.events_schema(), paths=False, settle_ms=50)
            names = sorted(per_file)
            shutil.copy2(os.path.join(pristine, names[0]), self.data)
            self.wait_for(lambda: self.count("events", own) > 0, 120, "the first rows", proc=proc)
            # SIGKILL: a clean stop would let the running insert finish first.
            subprocess.run([ctl, "kill"], check=True, timeout=60)
            stopped = time.monotonic()
            log(f"\nserver killed; the large file was "
                f"{'still loading' if self.count_files_left() else 'done'}")
            for name in names[1:]:
                shutil.copy2(os.path.join(pristine, name), self.data)
                time.sleep(0.15)
            time.sleep(max(0.0, 20 - (time.monotonic() - stopped)))
            subprocess.run([ctl, "start"], check=True, timeout=120)
            log(f"server started again; {self.count_files_left()} files waiting")
            self.wait_for(lambda: not self.data_files(), 300, "every file to be loaded",
                          interval=0.5, proc=proc)
            self.assertEqual(self.stop(proc), 0, self.log_tail(proc))
            self.assertEqual(self.ids("events", own), (expected, expected, 1, expected))
            self.assert_aggregates_match(per_file, own)
            self.assertEqual(self.quarantined_files(), [])
            self.assertEqual(sorted(n for n in os.listdir(self.processed) if not n.startswith(".")),
                             sorted(per_file))
        finally:
            subprocess.run([SERVER_SCRIPT, "stop", state], timeout=120)
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
