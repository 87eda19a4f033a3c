"""Shared helpers for the end-to-end tests: they drive the real `sluice` binary.

Each test gets a fresh workspace (a temporary folder) laid out like sluice's
defaults, so that commands which take no path options (`status`, `requeue`)
find the same ledger and folders when run from it:

    <ws>/data/                 landing folder (--source)
    <ws>/out.db                SQLite sink (--sink sqlite:<ws>/out.db)
    <ws>/sluice-ledger.db      ledger (--ledger)
    <ws>/processed/            --processed
    <ws>/quarantine/           --quarantine

Environment: SLUICE_BIN (the binary; default build/sluice of this checkout),
SLUICE_TEST_DATA (third-party test data; default tests/data of this checkout),
SLUICE_E2E_KEEP=1 keeps workspaces for inspection.

Rules: every wait is a bounded poll on a condition and fails the test when it
times out; every process a test starts is killed in tearDown.
"""

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
# make test-sanitize runs these tests on an AddressSanitizer build.
SANITIZED = os.environ.get("SLUICE_SANITIZED") == "1"
REPO = os.path.dirname(os.path.dirname(HERE))

SLUICE_BIN = os.path.abspath(os.environ.get("SLUICE_BIN") or os.path.join(REPO, "build", "sluice"))
TEST_DATA = os.path.abspath(os.environ.get("SLUICE_TEST_DATA") or os.path.join(HERE, "..", "data"))

# Files the product writes beside a quarantined file.
REPORT_SUFFIXES = (".error.json", ".rejects.jsonl")

# A timestamp as sluice stores it in SQLite (README): UTC, SQLite's own form
# "YYYY-MM-DD HH:MM:SS[.ffffff]".
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$")


# The schema of the crash tests' files (id, batch, value, label), for every sink.
EVENTS_SCHEMA = """columns:
  - name: id
    type: integer
    nullable: false
  - name: batch
    type: integer
    nullable: false
  - name: value
    type: float
  - name: label
    type: string
"""


def log(msg):
    """Progress for a person watching a long test (stderr, unbuffered)."""
    print(msg, file=sys.stderr, flush=True)


def table_name_from_path(path):
    """The README's rule: base name up to the first '.', lower snake_case, a
    trailing run of digits, '-' and '_' removed."""
    base = os.path.basename(path).split(".", 1)[0]
    name = re.sub(r"[^a-z0-9]+", "_", base.lower()).strip("_")
    name = re.sub(r"[0-9_-]+$", "", name)
    return name


def backdate(path, seconds=30):
    """Sets a file's mtime in the past so that it counts as settled at once."""
    t = time.time() - seconds
    os.utime(path, (t, t))


def write_file(path, content, settled=True):
    """Writes text (UTF-8) or bytes to path, creating folders; backdates the mtime
    unless settled=False."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(content, (bytes, bytearray)) else "w"
    kwargs = {} if mode == "wb" else {"encoding": "utf-8", "newline": ""}
    with open(path, mode, **kwargs) as f:
        f.write(content)
    if settled:
        backdate(path)
    return path


def csv_text(header, rows, sep=",", eol="\n"):
    lines = [sep.join(header)] + [sep.join(str(c) for c in row) for row in rows]
    return eol.join(lines) + eol


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    """(status, body text) of a GET; HTTP errors are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


def open_sqlite(path, timeout=30):
    """A connection to an existing SQLite database (never creates one). Read-write,
    not mode=ro: after sluice is killed the first connection may have to recover
    the WAL, which a read-only connection cannot ("attempt to write a readonly
    database"). Tests only read through it."""
    return sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=timeout)


def files_under(folder):
    """Relative paths of every regular file under folder (recursive), sorted."""
    out = []
    if not os.path.isdir(folder):
        return out
    for root, _dirs, names in os.walk(folder):
        for n in names:
            out.append(os.path.relpath(os.path.join(root, n), folder))
    return sorted(out)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class SluiceTestCase(unittest.TestCase):
    """Base class: a fresh workspace per test, helpers to run sluice and to look
    at what it did."""

    maxDiff = 4000
    ONCE_SETTLE_MS = 200
    RUN_SETTLE_MS = 200
    RUN_RESCAN_SECONDS = 1

    @classmethod
    def setUpClass(cls):
        if not (os.path.isfile(SLUICE_BIN) and os.access(SLUICE_BIN, os.X_OK)):
            raise AssertionError(
                f"sluice binary not found at {SLUICE_BIN}: build it or set SLUICE_BIN")

    def setUp(self):
        self.ws = tempfile.mkdtemp(prefix="sluice-e2e-")
        self.data = os.path.join(self.ws, "data")
        self.processed = os.path.join(self.ws, "processed")
        self.quarantine = os.path.join(self.ws, "quarantine")
        self.db = os.path.join(self.ws, "out.db")
        self.ledger = os.path.join(self.ws, "sluice-ledger.db")
        os.makedirs(self.data)
        self.procs = []      # (Popen, log path) started by start_run
        self.last = None     # the last CompletedProcess of sluice()

    def tearDown(self):
        for proc, _log in self.procs:
            if proc.poll() is None:
                proc.kill()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        if os.environ.get("SLUICE_E2E_KEEP"):
            print(f"\nworkspace kept: {self.ws}")
        else:
            shutil.rmtree(self.ws, ignore_errors=True)

    def server_env(self, name):
        """The value of environment variable `name`, which scripts/test.sh sets for a
        throwaway server it started. Without it the test is skipped, or fails when
        CI=true (in CI every server must run)."""
        value = os.environ.get(name)
        if not value:
            if os.environ.get("CI") == "true":
                self.fail(f"{name} is not set: its server did not start (scripts/test.sh)")
            self.skipTest(f"{name} is not set: run the tests with scripts/test.sh")
        return value

    # ---- paths and files ------------------------------------------------

    def path(self, *parts):
        return os.path.join(self.ws, *parts)

    def put(self, name, content, settled=True, folder=None):
        """Writes a file into the landing folder (or `folder`)."""
        return write_file(os.path.join(folder or self.data, name), content, settled)

    def processed_files(self):
        return files_under(self.processed)

    def quarantined_files(self):
        """Quarantined data files (reports and rejects excluded)."""
        return [f for f in files_under(self.quarantine) if not f.endswith(REPORT_SUFFIXES)]

    def data_files(self):
        return files_under(self.data)

    # ---- running sluice ---------------------------------------------------

    def base_env(self, extra=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
        env["SLUICE_BIN"] = SLUICE_BIN
        if extra:
            env.update(extra)
        return env

    def assert_peak_below(self, peak_mib, bound_mib, what):
        """Fails if sluice's peak RSS passed `bound_mib`; under AddressSanitizer
        (SLUICE_SANITIZED=1, make test-sanitize) resident memory includes its
        shadow memory and quarantine, so the bound is not checked there."""
        if SANITIZED:
            print(f"\n{what}: peak RSS {peak_mib:.0f} MiB (sanitizer build: bound not checked)")
            return
        self.assertLess(peak_mib, bound_mib, f"peak RSS {peak_mib:.0f} MiB for {what}")

    def peak_rss_mib(self, *args):
        """(exit code, peak RSS in MiB) of `sluice args...`, measured by GNU time.

        Not wait4's rusage of a child of this process: a child forked from
        Python starts with Python's resident set as its high-water mark (kept
        across exec), so earlier tests' memory would be counted as sluice's.
        """
        out = os.path.join(self.ws, "peak-rss.txt")
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", out, SLUICE_BIN]
                                + [str(a) for a in args], cwd=self.ws, env=self.base_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append((proc, None))
        code = proc.wait()
        with open(out) as f:
            kib = int(f.read().split()[-1])  # "Command exited with ..." may come first
        return code, kib / 1024.0

    def paths_args(self, db=None):
        return [
            "--source", self.data,
            "--sink", "sqlite:" + (db or self.db),
            "--ledger", self.ledger,
            "--processed", self.processed,
            "--quarantine", self.quarantine,
        ]

    def sluice(self, *args, timeout=120, env=None, cwd=None, input=None):
        """Runs `sluice args...` to completion from the workspace; returns the
        CompletedProcess (text, stdout and stderr captured)."""
        cmd = [SLUICE_BIN] + [str(a) for a in args]
        try:
            res = subprocess.run(cmd, cwd=cwd or self.ws, env=self.base_env(env),
                                 input=input, capture_output=True, timeout=timeout,
                                 text=True, errors="replace")
        except subprocess.TimeoutExpired as e:
            self.fail(f"timed out after {timeout}s: {' '.join(cmd)}\n"
                      f"stderr tail:\n{(e.stderr or b'')[-3000:]!r}")
        self.last = res
        return res

    def once(self, *extra, settle_ms=None, db=None, paths=True, timeout=120, env=None):
        """`sluice once` with the workspace's explicit paths."""
        args = ["once"]
        if paths:
            args += self.paths_args(db)
        args += ["--settle-ms", str(self.ONCE_SETTLE_MS if settle_ms is None else settle_ms)]
        args += list(extra)
        return self.sluice(*args, timeout=timeout, env=env)

    def describe(self, res):
        return (f"command: {' '.join(res.args)}\nexit: {res.returncode}\n"
                f"stdout (tail):\n{res.stdout[-2500:]}\nstderr (tail):\n{res.stderr[-4000:]}")

    def assertExit(self, res, code):
        if res.returncode < 0:
            self.fail(f"sluice died from signal {-res.returncode}\n{self.describe(res)}")
        self.assertEqual(res.returncode, code, self.describe(res))

    def start_run(self, *extra, settle_ms=None, rescan_seconds=None, paths=True, env=None):
        """Starts `sluice run` in the background; stderr/stdout go to a log file."""
        args = [SLUICE_BIN, "run"]
        if paths:
            args += self.paths_args()
        args += ["--settle-ms", str(self.RUN_SETTLE_MS if settle_ms is None else settle_ms),
                 "--rescan-seconds",
                 str(self.RUN_RESCAN_SECONDS if rescan_seconds is None else rescan_seconds)]
        args += [str(a) for a in extra]
        log = self.path(f"run-{len(self.procs)}.log")
        with open(log, "wb") as f:
            proc = subprocess.Popen(args, cwd=self.ws, env=self.base_env(env),
                                    stdout=f, stderr=subprocess.STDOUT)
        self.procs.append((proc, log))
        return proc

    def log_tail(self, proc=None, n=4000):
        for p, log in reversed(self.procs):
            if proc is None or p is proc:
                try:
                    with open(log, "rb") as f:
                        return f.read()[-n:].decode("utf-8", "replace")
                except OSError:
                    return ""
        return ""

    def stop(self, proc, sig=signal.SIGTERM, timeout=20):
        """Sends `sig` and waits for the exit; returns the exit code (fails the
        test if the process does not exit in time)."""
        if proc.poll() is None:
            proc.send_signal(sig)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            self.fail(f"sluice run did not exit within {timeout}s of signal {sig}\n"
                      f"log tail:\n{self.log_tail(proc)}")

    def wait_for(self, predicate, timeout, what, interval=0.05, proc=None):
        """Polls predicate() until truthy (returns its value) or fails after timeout.
        If `proc` is given and exits meanwhile, fails at once."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if proc is not None and proc.poll() is not None:
                self.fail(f"sluice exited ({proc.returncode}) while waiting for {what}\n"
                          f"log tail:\n{self.log_tail(proc)}")
            if time.monotonic() > deadline:
                self.fail(f"timed out after {timeout}s waiting for {what}\n"
                          f"log tail:\n{self.log_tail(proc)}")
            time.sleep(interval)

    def aggregates_config(self, columns=("value", "id")):
        """A configuration (-c) aggregating `columns` of the events files (issue 15)."""
        config = self.path("aggregates.yaml")
        with open(config, "w") as f:
            f.write('tables:\n  - match: "events*"\n    table: events\n'
                    f'    aggregates: {{columns: [{", ".join(columns)}]}}\n')
        return config

    # ---- crash and outage tests ------------------------------------------

    def events_schema(self):
        """Writes EVENTS_SCHEMA into the workspace; returns its path."""
        path = self.path("events.schema.yaml")
        with open(path, "w") as f:
            f.write(EVENTS_SCHEMA)
        return path

    def write_events(self, folder, sizes, first_file=0, first_id=1):
        """events_NNNN.csv files (EVENTS_SCHEMA's columns) of the given row counts,
        numbered from first_file, with consecutive ids from first_id, settled; returns
        {name: rows}. The batch column is the file's number."""
        os.makedirs(folder, exist_ok=True)
        per_file, next_id = {}, first_id
        then = time.time() - 60
        for i, n in enumerate(sizes, first_file):
            name = f"events_{i:04d}.csv"
            path = os.path.join(folder, name)
            with open(path, "w") as f:
                f.write("id,batch,value,label\n")
                f.write("".join(f"{k},{i},{k % 2000 / 10 - 100},l{k % 10}\n"
                                for k in range(next_id, next_id + n)))
            os.utime(path, (then, then))
            next_id += n
            per_file[name] = n
        return per_file

    def run_and_kill(self, mode, args, delay, name):
        """Starts `sluice mode args...` (log in <ws>/<name>.log) and kills it with
        SIGKILL after `delay` seconds; returns True if it was killed, False if it had
        exited by then (and fails the test unless it exited 0)."""
        logf = self.path(f"{name}.log")
        with open(logf, "wb") as out:
            proc = subprocess.Popen([SLUICE_BIN, mode] + [str(a) for a in args], cwd=self.ws,
                                    env=self.base_env(), stdout=out, stderr=subprocess.STDOUT)
        self.procs.append((proc, logf))
        time.sleep(delay)  # the random moment is the point of a crash test
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            return True
        with open(logf, errors="replace") as f:
            self.assertEqual(proc.returncode, 0, f"{name}: sluice {mode} failed:\n{f.read()[-3000:]}")
        return False

    def kill_in_waves(self, rng, args, rounds, small, big, visible, modes=None,
                      delays=(0.05, 1.0)):
        """The kill -9 loop of the sink tests. Each round a wave of `small` events
        files of 1..300 rows and one of rng.randint(*big) rows arrives (one large file
        a round, so that the kills keep landing on loads in progress), then `sluice
        run` or `once` with `args` (modes[round], or a random choice of the two) is
        killed rng.uniform(*delays) seconds after the start. visible() (rows seen in
        the sink) is logged each round. Returns ({name: rows}, the last id)."""
        pristine = self.path("pristine")
        waves, per_file, first_id = [], {}, 1
        for _ in range(rounds):
            sizes = [rng.randint(1, 300) for _ in range(small)] + [rng.randint(*big)]
            wave = self.write_events(pristine, sizes, first_file=len(per_file), first_id=first_id)
            first_id += sum(sizes)
            per_file.update(wave)
            waves.append(sorted(wave))
        kills = 0
        for r in range(rounds):
            for n in waves[r]:
                shutil.copy2(os.path.join(pristine, n), self.data)
            mode = modes[r] if modes else rng.choice(["run", "run", "once"])
            delay = rng.uniform(*delays)
            if self.run_and_kill(mode, args, delay, f"round-{r}"):
                kills += 1
                outcome = f"killed with {len(self.data_files())} files left"
            else:
                outcome = "exited 0"
            log(f"round {r}: {mode:4s} {outcome} after {delay:.2f}s; rows visible {visible()}")
        log(f"{kills} kills; {first_id - 1} rows expected in {len(per_file)} files")
        return per_file, first_id - 1

    def ride_out_outage(self, proc, port, stop_server, start_server, files, rows):
        """The server outage of the sink tests. While a thread delivers `files` events
        files of `rows` rows each (ids 1.. in order) to `proc` (`sluice run` with a
        2 s retry budget and its status server on `port`): once 30 are loaded,
        stop_server(); past the retry budget the sink must be reported down (log,
        /api/status, /readyz) with nothing quarantined and sluice still running;
        20 s after the stop, start_server(). Then every file must be loaded and the
        sink reported up again; sluice is stopped (exit 0). Returns the whole log."""
        def status():
            code, body = http_get(f"http://127.0.0.1:{port}/api/status")
            self.assertEqual(code, 200, body)
            return json.loads(body)

        def deliver():
            for i in range(files):
                lines = [[i * rows + k + 1, i, f"{k * 0.5:.1f}", f"f{i}"] for k in range(rows)]
                tmp = os.path.join(self.ws, f"events_{i:04d}.csv")
                with open(tmp, "w") as f:
                    f.write(csv_text(["id", "batch", "value", "label"], lines))
                os.rename(tmp, os.path.join(self.data, f"events_{i:04d}.csv"))
                time.sleep(0.08)

        writer = threading.Thread(target=deliver)
        writer.start()
        try:
            self.wait_for(lambda: len(self.processed_files()) >= 30, 60,
                          "the first files to load", proc=proc)
            stop_server()
            stopped_at = len(self.processed_files())
            down_at = time.monotonic()
            self.wait_for(lambda: status()["sink_up"] == 0 and status()["sink_error"], 15,
                          "the sink to be reported down", proc=proc)
            self.assertIn("sink_down", self.log_tail(proc, n=10**7))
            self.assertEqual(http_get(f"http://127.0.0.1:{port}/readyz")[0], 503)
            held = status()
            self.assertNotEqual(held["sink_down_since"], "")
            self.assertEqual(held["files_by_state"].get("quarantined", 0), 0)
            time.sleep(max(0.0, 20 - (time.monotonic() - down_at)))
            self.assertEqual(proc.poll(), None, "sluice exited while the server was down")
            start_server()
            log(f"\nserver down for 20 s after {stopped_at} files; "
                f"{len(self.processed_files())} processed when it came back")
        finally:
            writer.join()
        self.wait_for(lambda: len(self.processed_files()) + len(self.quarantined_files())
                      >= files, 240, "every file to be loaded after the outage", proc=proc)
        self.wait_for(lambda: status()["sink_up"] == 1, 30, "the sink to be reported up",
                      proc=proc)
        self.assertEqual(status()["sink_error"], "")
        self.assertEqual(self.stop(proc), 0)
        self.assertEqual(self.quarantined_files(), [], self.log_tail(proc))
        self.assertEqual(self.data_files(), [])
        whole_log = self.log_tail(proc, n=10**7)
        self.assertIn("retrying", whole_log)
        self.assertIn("sink_up", whole_log)
        return whole_log

    def duckdb(self, sql):
        """The results of `sql` (statements separated by ';') in DuckDB, the Parquet
        oracle (scripts/duckdb.sh, from npm), each a list of rows of JSON values.
        Without Node.js or the package the test is skipped, or fails when CI=true."""
        proc = subprocess.run([os.path.join(REPO, "scripts", "duckdb.sh"), "-c", sql],
                              capture_output=True, text=True, timeout=300)
        if proc.returncode == 77:
            if os.environ.get("CI") == "true":
                self.fail("DuckDB is not available: " + proc.stderr)
            self.skipTest("DuckDB is not available: " + proc.stderr)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return [r["rows"] for r in json.loads(proc.stdout)["results"]]

    # ---- the database -----------------------------------------------------

    def query(self, sql, params=(), db=None):
        """Rows of a query on the sink database (read-only); None if the database
        does not exist or the table is missing."""
        db = db or self.db
        if not os.path.exists(db):
            return None
        con = open_sqlite(db)
        try:
            con.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
            return con.execute(sql, params).fetchall()
        except sqlite3.OperationalError as e:
            if "no such table" in str(e) or "no such column" in str(e):
                return None
            raise
        finally:
            con.close()

    def count(self, table, db=None):
        """Rows in table, 0 if it (or the database) does not exist."""
        rows = self.query(f'SELECT COUNT(*) FROM "{table}"', db=db)
        return rows[0][0] if rows else 0

    def tables(self, db=None):
        """User tables of the sink (sqlite_* and sluice's own bookkeeping, named
        with a leading '_' or 'sluice', left out)."""
        rows = self.query("SELECT name FROM sqlite_master WHERE type='table'", db=db) or []
        return sorted(r[0] for r in rows
                      if not r[0].startswith(("sqlite_", "_")) and "sluice" not in r[0])

    def columns(self, table, db=None):
        rows = self.query(f'PRAGMA table_info("{table}")', db=db) or []
        return [r[1] for r in rows]

    def column_types(self, table, db=None):
        """{column: declared type} of a table."""
        rows = self.query(f'PRAGMA table_info("{table}")', db=db) or []
        return {r[1]: r[2] for r in rows}

    # ---- reports ------------------------------------------------------------

    def error_report(self, name):
        """The parsed quarantine/<name>.error.json (fails if missing or not JSON)."""
        p = os.path.join(self.quarantine, name + ".error.json")
        self.assertTrue(os.path.isfile(p), f"missing report {p}; quarantine has "
                        f"{files_under(self.quarantine)}")
        with open(p, encoding="utf-8") as f:
            text = f.read()
        try:
            return json.loads(text)
        except ValueError as e:
            self.fail(f"{p} is not JSON ({e}): {text[:500]!r}")

    def rejects(self, name):
        """The records of quarantine/<name>.rejects.jsonl (fails if missing)."""
        p = os.path.join(self.quarantine, name + ".rejects.jsonl")
        self.assertTrue(os.path.isfile(p), f"missing rejects {p}; quarantine has "
                        f"{files_under(self.quarantine)}")
        out = []
        with open(p, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        out.append(json.loads(line))
                    except ValueError as e:
                        self.fail(f"{p}:{n} is not JSON ({e}): {line[:300]!r}")
        return out


def json_items(doc):
    """Every (key, value) pair at any depth of a JSON document."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield k, v
            yield from json_items(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from json_items(v)
