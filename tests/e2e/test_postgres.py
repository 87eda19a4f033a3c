"""The PostgreSQL sink end to end: sluice loads into a real server
(scripts/servers/postgres.sh sets SLUICE_TEST_POSTGRES_URL), exactly once
through kill -9 and through the server going away and coming back.

Each test loads into a database of its own, so commit markers and tables of one
test never meet another's. psql reads the results."""

import gzip
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import uuid

from sluice_e2e import (EVENTS_SCHEMA, REPO, TEST_DATA, SluiceTestCase, csv_text, free_port,
                        http_get, log)

PSQL = "/usr/lib/postgresql/15/bin/psql"
SERVER_SCRIPT = os.path.join(REPO, "scripts", "servers", "postgres.sh")


def with_database(url, db):
    """`url` (postgresql://USER:PASS@HOST:PORT/DB[?PARAMS]) naming database `db`."""
    scheme, rest = url.split("://", 1)
    slash = rest.find("/", rest.rfind("@") + 1)
    query = rest.find("?", slash)
    return f"{scheme}://{rest[:slash]}/{db}" + (rest[query:] if query >= 0 else "")


class PostgresTestCase(SluiceTestCase):

    def setUp(self):
        super().setUp()
        self.server_url = self.server_env("SLUICE_TEST_POSTGRES_URL")
        self.make_database(self.server_url)

    def make_database(self, server_url):
        """Creates a fresh database on the server of `server_url`; self.pg is its URL."""
        name = "e2e_" + uuid.uuid4().hex[:12]
        self.psql("CREATE DATABASE " + name, url=server_url)
        self.pg = with_database(server_url, name)
        self.addCleanup(self.psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", url=server_url,
                        check=False)

    def psql(self, sql, url=None, check=True):
        """Rows of `sql` (lists of text cells; NULL as None) on self.pg or `url`."""
        res = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1",
                              "-P", "null=\x1e", "-d", url or self.pg, "-c", sql],
                             capture_output=True, text=True, timeout=60)
        if check and res.returncode != 0:
            self.fail(f"psql failed: {sql}\n{res.stderr}")
        if res.returncode != 0:
            return None
        return [[None if c == "\x1e" else c for c in line.split("\x1f")]
                for line in res.stdout.split("\n") if line]

    def scalar(self, sql, url=None):
        rows = self.psql(sql, url=url)
        return rows[0][0] if rows else None

    def pg_paths_args(self):
        return ["--source", self.data, "--sink", self.pg, "--ledger", self.ledger,
                "--processed", self.processed, "--quarantine", self.quarantine]

    def pg_once(self, *extra, timeout=300):
        return self.sluice("once", *self.pg_paths_args(), "--settle-ms", "50", *extra,
                           timeout=timeout)


class PostgresLoadTest(PostgresTestCase):

    def test_loads_csv_files_and_the_student_dataset(self):
        self.put("orders_1.csv", csv_text(["id", "amount", "day", "paid"],
                                          [[1, "9.50", "1969-07-20", "true"],
                                           [2, "-3", "2024-02-29", "false"]]))
        self.put("orders_2.csv", csv_text(["id", "amount", "day", "paid"],
                                          [[3, "0.25", "2000-01-01", "true"]]))
        shutil.copy2(os.path.join(TEST_DATA, "datasets", "student-mat.csv"), self.data)
        res = self.pg_once()
        self.assertExit(res, 0)
        self.assertNotIn(self.server_url.split("@")[0].split(":")[-1], res.stderr,
                         "the password appears in the log")

        self.assertEqual(self.psql("SELECT id, amount, day, paid FROM orders ORDER BY id"),
                         [["1", "9.5", "1969-07-20", "t"], ["2", "-3", "2024-02-29", "f"],
                          ["3", "0.25", "2000-01-01", "t"]])
        self.assertEqual(self.scalar("SELECT count(*) FROM student_mat"), "395")
        self.assertEqual(self.scalar(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'student_mat'"),
            "33")
        with open(os.path.join(TEST_DATA, "datasets", "student-mat.csv")) as f:
            lines = f.read().splitlines()[1:]
        g3 = sum(int(line.split(";")[-1]) for line in lines)
        absences = sum(int(line.split(";")[29]) for line in lines)
        self.assertEqual(self.psql('SELECT sum("G3"), sum(absences) FROM student_mat'),
                         [[str(g3), str(absences)]])
        self.assertEqual(self.scalar("SELECT count(*) FROM sluice.loads"), "3")
        self.assertEqual(sorted(self.processed_files()),
                         ["orders_1.csv", "orders_2.csv", "student-mat.csv"])

    def test_duplicates_are_not_loaded_again(self):
        content = csv_text(["id", "name"], [[1, "a"], [2, "b"]])
        self.put("people_1.csv", content)
        self.assertExit(self.pg_once(), 0)
        self.put("people_again.csv", content)  # same bytes, another name
        self.put("people_1.csv", content)       # same name and bytes
        self.assertExit(self.pg_once(), 0)
        self.assertEqual(self.scalar("SELECT count(*) FROM people"), "2")
        self.assertEqual(self.scalar("SELECT count(*) FROM sluice.loads"), "1")
        self.assertEqual(self.data_files(), [])

        # A new ledger knows nothing; the commit marker in the database still says done.
        os.remove(self.ledger)
        self.put("people_3.csv", content)
        self.assertExit(self.pg_once(), 0)
        self.assertEqual(self.scalar("SELECT count(*) FROM people"), "2")

    def test_key_deduplicates_across_files(self):
        self.put("events_1.csv", csv_text(["id", "v"], [[i, f"first{i}"] for i in range(1, 6)]))
        self.put("events_2.csv", csv_text(["id", "v"], [[i, f"second{i}"] for i in range(4, 9)]))
        self.put("events_3.csv", csv_text(["id", "v"], [[8, "third"], [8, "third again"]]))
        res = self.pg_once("--key", "id", "--workers", "1")
        self.assertExit(res, 0)
        self.assertEqual(self.psql("SELECT count(*), count(DISTINCT id) FROM events"),
                         [["8", "8"]])
        self.assertEqual(self.psql("SELECT sum(rows), sum(skipped) FROM sluice.loads"),
                         [["8", "4"]])
        self.assertEqual(self.quarantined_files(), [])

    def test_refused_rows_quarantine_the_file(self):
        schema = self.path("s.yaml")
        with open(schema, "w") as f:
            f.write("columns:\n  - name: id\n    type: integer\n  - name: v\n    type: string\n")
        self.put("things_1.csv", csv_text(["id", "v"], [[1, "ok"]]))
        self.assertExit(self.pg_once("--schema", schema), 0)
        self.psql('ALTER TABLE things ADD CHECK (v <> \'bad\')')
        self.put("things_2.csv", csv_text(["id", "v"], [[2, "ok"], [3, "bad"]]))
        self.assertExit(self.pg_once("--schema", schema), 2)
        self.assertEqual(self.quarantined_files(), ["things_2.csv"])
        report = self.error_report("things_2.csv")
        self.assertIn("line 3", report["reason"])
        self.assertEqual(self.scalar("SELECT count(*) FROM things"), "1")

    def test_refused_rows_within_max_rejects_are_bad_rows_and_the_rest_loads(self):
        """A table made beforehand with narrower columns: COPY refuses one row at a
        time; within --max-rejects each refused row is a bad row and the file loads
        without them."""
        self.psql("CREATE TABLE things (id smallint, v varchar(3))")
        self.put("things_1.csv", csv_text(["id", "v"], [
            [1, "ok"], [40000, "ok"], [3, "ok"], [4, "long"], [5, "ok"]]))
        self.assertExit(self.pg_once("--max-rejects", "5"), 0)
        self.assertEqual(self.psql("SELECT id, v FROM things ORDER BY id"),
                         [["1", "ok"], ["3", "ok"], ["5", "ok"]])
        recs = self.rejects("things_1.csv")
        self.assertEqual([(r["line"], r["kind"]) for r in recs], [(3, "refused"), (5, "refused")])
        self.assertIn("40000", recs[0]["raw"])
        self.assertIn("long", recs[1]["raw"])
        self.assertEqual(self.quarantined_files(), [])


class PostgresCrashTest(PostgresTestCase):
    """kill -9 at random moments: at the end every id is in the table exactly once."""

    FILES = 40
    BIG = 5

    def test_kill_9_exactly_once(self):
        seed = int(os.environ.get("SLUICE_CRASH_SEED") or (time.time_ns() % (2**31)))
        rounds = int(os.environ.get("SLUICE_PG_CRASH_ROUNDS") or 8)
        log(f"\npostgres crash test seed={seed}")
        rng = random.Random(seed)
        schema = self.path("events.schema.yaml")
        with open(schema, "w") as f:
            f.write(EVENTS_SCHEMA)
        pristine = self.path("pristine")
        os.makedirs(pristine)
        big = set(rng.sample(range(self.FILES), self.BIG))
        per_file, next_id = {}, 1
        for i in range(self.FILES):
            n = rng.randint(150000, 250000) if i in big else rng.randint(1, 300)
            name = f"events_{i:04d}.csv"
            rows = [[next_id + k, i, f"{rng.uniform(-100, 100):.3f}", f"l{rng.randint(0, 9)}"]
                    for k in range(n)]
            next_id += n
            with open(os.path.join(pristine, name), "w") as f:
                f.write(csv_text(["id", "batch", "value", "label"], rows))
            past = time.time() - 60
            os.utime(os.path.join(pristine, name), (past, past))
            per_file[name] = n
        expected = next_id - 1
        names = sorted(per_file)
        waves = [names[k::4] for k in range(4)]
        # --max-crashes 0: no file is quarantined for being in flight at many kills.
        args = self.pg_paths_args() + ["--settle-ms", "50", "--rescan-seconds", "1",
                                       "--workers", "2", "--schema", schema, "--max-crashes", "0"]
        for r in range(rounds):
            wave = r * len(waves) // rounds
            if r == 0 or wave != (r - 1) * len(waves) // rounds:
                for n in waves[wave]:
                    shutil.copy2(os.path.join(pristine, n), self.data)
            mode = rng.choice(["run", "run", "once"])
            delay = rng.uniform(0.02, 0.6)
            outcome = "killed" if self.run_and_kill(mode, args, delay, f"round-{r}") else "exited"
            # A sluice killed before its sink opened has not made sluice.loads yet.
            made = self.scalar("SELECT to_regclass('sluice.loads') IS NOT NULL") == "t"
            loads = self.scalar("SELECT count(*) FROM sluice.loads") if made else "none"
            log(f"round {r}: {mode:4s} {outcome} after {delay:.3f}s; loads {loads}, "
                f"files left {len(self.data_files())}")

        res = self.pg_once("--workers", "2", "--schema", schema, "--max-crashes", "0")
        self.assertExit(res, 0)
        self.assertEqual(self.psql("SELECT count(*), count(DISTINCT id), min(id), max(id) "
                                   "FROM events"),
                         [[str(expected), str(expected), "1", str(expected)]],
                         f"seed {seed}: rows lost or duplicated")
        per_batch = {int(b): int(c) for b, c in
                     self.psql("SELECT batch, count(*) FROM events GROUP BY batch")}
        self.assertEqual(per_batch, {int(n[7:11]): c for n, c in per_file.items()})
        self.assertEqual(self.scalar("SELECT count(*) FROM sluice.loads"), str(self.FILES))
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.quarantined_files(), [])


class PostgresOutageTest(PostgresTestCase):
    """The server stops for 20 s while `sluice run` loads 200 files, then comes
    back: past the 2 s retry budget sluice reports the sink down (log, /api/status,
    /readyz, sluice_sink_up) and holds the files pending; when the server is back
    every row ends up loaded once and nothing is quarantined. The server is a
    private one, so other tests never see it go away."""

    FILES = 200
    ROWS = 400

    def setUp(self):
        self.server_env("SLUICE_TEST_POSTGRES_URL")  # servers can run here
        self.server_dir = tempfile.mkdtemp(prefix="sluice-pg-outage-")
        os.chmod(self.server_dir, 0o755)
        res = subprocess.run([SERVER_SCRIPT, "start", self.server_dir], capture_output=True,
                             text=True, timeout=120)
        if res.returncode != 0:
            self.fail(f"private server did not start:\n{res.stderr}")
        env = dict(line.split("=", 1) for line in res.stdout.splitlines() if "=" in line)
        self.pg_data = env["SLUICE_TEST_POSTGRES_DATA"]
        self.pg_ctl = env["SLUICE_TEST_POSTGRES_CTL"].split()
        self.addCleanup(shutil.rmtree, self.server_dir, True)
        self.addCleanup(subprocess.run, [SERVER_SCRIPT, "stop", self.server_dir],
                        capture_output=True, timeout=60)
        SluiceTestCase.setUp(self)
        self.server_url = env["SLUICE_TEST_POSTGRES_URL"]
        self.make_database(self.server_url)

    def ctl(self, *args):
        res = subprocess.run(self.pg_ctl + ["-D", self.pg_data, "-w", "-t", "60"] + list(args),
                             capture_output=True, text=True, timeout=90)
        self.assertEqual(res.returncode, 0, res.stderr + res.stdout)

    def test_server_outage_is_ridden_out(self):
        schema = self.path("events.schema.yaml")
        with open(schema, "w") as f:
            f.write(EVENTS_SCHEMA)
        port = free_port()
        # With aggregates: they too end exactly once (issue 15).
        proc = self.start_run("-c", self.aggregates_config(["value"]), *self.paths_without_sink(),
                              "--sink", self.pg, "--workers", "2",
                              "--schema", schema, "--retry-budget-seconds", "2",
                              "--http", f"127.0.0.1:{port}", paths=False)
        self.ride_out_outage(proc, port, lambda: self.ctl("stop", "-m", "fast"),
                             lambda: self.ctl("start", "-l",
                                              os.path.join(self.server_dir, "server.log")),
                             self.FILES, self.ROWS)
        total = self.FILES * self.ROWS
        self.assertEqual(self.psql("SELECT count(*), count(DISTINCT id) FROM events"),
                         [[str(total), str(total)]])
        self.assertEqual(self.scalar("SELECT count(*) FROM sluice.loads"), str(self.FILES))
        # One aggregate row per file, over all its rows, under a committed load id.
        self.assertEqual(self.psql("SELECT count(*), count(DISTINCT _file), min(count), "
                                   "max(count) FROM events_file_stats"),
                         [[str(self.FILES), str(self.FILES), str(self.ROWS), str(self.ROWS)]])
        self.assertEqual(self.scalar("SELECT count(*) FROM events_file_stats WHERE _load_id "
                                     "NOT IN (SELECT load_id FROM sluice.loads)"), "0")

    def paths_without_sink(self):
        return ["--source", self.data, "--ledger", self.ledger, "--processed", self.processed,
                "--quarantine", self.quarantine]


class UnreachableSinkTest(SluiceTestCase):
    """A sink that cannot be reached at start-up: `run` waits for it, `once` fails."""

    URL = "postgresql://loader:secret@127.0.0.1:1/nowhere"  # nothing listens on port 1

    def test_run_waits_for_the_sink_and_once_fails(self):
        self.put("orders.csv", "id\n1\n")
        args = ["--source", self.data, "--sink", self.URL, "--ledger", self.ledger,
                "--processed", self.processed, "--quarantine", self.quarantine, "--http", "off"]
        proc = self.start_run(*args, paths=False)
        self.wait_for(lambda: "sink_unavailable" in self.log_tail(proc), 20,
                      "the sink_unavailable warning", proc=proc)
        self.assertIsNone(proc.poll(), "sluice run exited instead of waiting for its sink")
        self.assertEqual(self.stop(proc), 0)
        log = self.log_tail(proc)
        self.assertNotIn("secret", log, "the password leaked into the log")
        self.assertEqual(self.data_files(), ["orders.csv"], "the waiting file must stay put")
        self.assertEqual(self.quarantined_files(), [])

        res = self.sluice("once", *args[:-2], "--settle-ms", "0")
        self.assertExit(res, 1)
        self.assertNotIn("secret", res.stderr)
        self.assertEqual(self.data_files(), ["orders.csv"])


class PostgresPasswordFileTest(PostgresTestCase):
    """--sink-password-file (also SLUICE_SINK_PASSWORD_FILE, sink_password_file:):
    the password comes from a file, beats one in the URL, and is never shown."""

    def setUp(self):
        super().setUp()
        scheme, rest = self.pg.split("://", 1)
        user_info, host = rest.split("@", 1)
        user, self.password = user_info.split(":", 1)
        self.bare = f"{scheme}://{user}@{host}"  # the URL without its password
        self.pw_file = self.password_file("right", self.password + "\n")

    def password_file(self, name, content):
        path = self.path(name + ".pw")
        with open(path, "w") as f:
            f.write(content)
        return path

    def args(self, sink, *extra):
        return ["--source", self.data, "--sink", sink, "--ledger", self.ledger,
                "--processed", self.processed, "--quarantine", self.quarantine, *extra]

    def pw_once(self, *args, env=None):
        return self.sluice("once", "--settle-ms", "0", *args, env=env)

    def assertHidden(self, text, password=None):
        self.assertNotIn(password or self.password, text, "the password was shown")

    def test_password_file_loads_and_is_never_shown(self):
        self.put("orders_1.csv", csv_text(["id"], [[1], [2]]))
        res = self.pw_once(*self.args(self.bare, "--sink-password-file", self.pw_file))
        self.assertExit(res, 0)
        self.assertHidden(res.stdout + res.stderr)
        self.assertEqual(self.scalar("SELECT count(*) FROM orders"), "2")

        # The file wins over a wrong password in the URL, and `run` shows it nowhere:
        # not in its log, its status API or `sluice status`.
        wrong_url = self.bare.replace("@", ":N0tThePassw0rd@", 1)
        self.put("orders_2.csv", csv_text(["id"], [[3]]))
        port = free_port()
        proc = self.start_run(*self.args(wrong_url, "--sink-password-file", self.pw_file,
                                         "--http", f"127.0.0.1:{port}"), paths=False)
        self.wait_for(lambda: self.processed_files() == ["orders_1.csv", "orders_2.csv"], 60,
                      "orders_2.csv loaded", proc=proc)
        status, body = http_get(f"http://127.0.0.1:{port}/api/status")
        self.assertEqual(status, 200)
        self.assertHidden(body)
        self.assertHidden(http_get(f"http://127.0.0.1:{port}/")[1])
        self.assertEqual(self.stop(proc), 0)
        run_log = self.log_tail(proc, n=100000)
        self.assertIn("started", run_log)
        self.assertHidden(run_log)
        self.assertHidden(run_log, "N0tThePassw0rd")
        res = self.sluice("status", "--ledger", self.ledger, "--json")
        self.assertExit(res, 0)
        self.assertHidden(res.stdout + res.stderr)
        self.assertEqual(self.scalar("SELECT count(*) FROM orders"), "3")

    def test_environment_and_config_file_and_precedence(self):
        missing = self.path("missing.pw")
        self.put("orders_1.csv", csv_text(["id"], [[1]]))
        res = self.pw_once(*self.args(self.bare), env={"SLUICE_SINK_PASSWORD_FILE": self.pw_file})
        self.assertExit(res, 0)

        config = self.path("sluice.yaml")
        with open(config, "w") as f:
            f.write(f"sink: {self.bare}\nsink_password_file: {self.pw_file}\n")
        self.put("orders_2.csv", csv_text(["id"], [[2]]))
        res = self.pw_once("-c", config, "--source", self.data, "--ledger", self.ledger,
                           "--processed", self.processed, "--quarantine", self.quarantine)
        self.assertExit(res, 0)

        # Command line > environment > config file: a missing file given at a lower
        # level is never read.
        with open(config, "w") as f:
            f.write(f"sink_password_file: {missing}\n")
        self.put("orders_3.csv", csv_text(["id"], [[3]]))
        res = self.pw_once("-c", config, *self.args(self.bare),
                           env={"SLUICE_SINK_PASSWORD_FILE": self.pw_file})
        self.assertExit(res, 0)
        self.put("orders_4.csv", csv_text(["id"], [[4]]))
        res = self.pw_once("-c", config,
                           *self.args(self.bare, "--sink-password-file", self.pw_file),
                           env={"SLUICE_SINK_PASSWORD_FILE": missing})
        self.assertExit(res, 0)
        self.assertEqual(self.scalar("SELECT count(*) FROM orders"), "4")

    def test_wrong_password_in_the_file_is_fatal_and_not_shown(self):
        self.put("orders.csv", csv_text(["id"], [[1]]))
        wrong = self.password_file("wrong", "N0tThePassw0rd\r\n")
        res = self.pw_once(*self.args(self.pg, "--sink-password-file", wrong))
        self.assertExit(res, 1)
        self.assertIn("password authentication failed", res.stderr)
        self.assertHidden(res.stdout + res.stderr, "N0tThePassw0rd")
        self.assertHidden(res.stdout + res.stderr)
        self.assertEqual(self.data_files(), ["orders.csv"])

        # `run` does not wait for a sink it may not log into: it stops at once.
        proc = self.start_run(*self.args(self.pg, "--sink-password-file", wrong, "--http", "off"),
                              paths=False)
        self.assertEqual(proc.wait(timeout=30), 1)
        self.assertHidden(self.log_tail(proc), "N0tThePassw0rd")

    def test_missing_or_empty_file_is_a_clear_start_up_error(self):
        self.put("orders.csv", csv_text(["id"], [[1]]))
        missing = self.path("missing.pw")
        res = self.pw_once(*self.args(self.bare, "--sink-password-file", missing))
        self.assertExit(res, 1)
        self.assertIn(f"sink password file {missing}: No such file or directory", res.stderr)

        empty = self.password_file("empty", "\n" + self.password + "\n")
        res = self.pw_once(*self.args(self.bare, "--sink-password-file", empty))
        self.assertExit(res, 1)
        self.assertIn(f"sink password file {empty}: the first line is empty", res.stderr)
        self.assertHidden(res.stdout + res.stderr)

        res = self.pw_once(*self.args("sqlite:" + self.db, "--sink-password-file", self.pw_file))
        self.assertExit(res, 1)
        self.assertIn("sqlite sinks take no password", res.stderr)
        self.assertHidden(res.stdout + res.stderr)
        self.assertEqual(self.data_files(), ["orders.csv"])


if __name__ == "__main__":
    unittest.main()
