"""Faults around quarantine and the ledger: a file that keeps sluice from ever
finishing it (killed while loading it, again and again), a ledger locked after
the sink committed, a quarantine folder the file cannot be moved into, rejects
logs of files with the same name, and `sluice requeue` against a locked ledger.

The slow moments are made deterministic with SQLite locks held from the test
(python sqlite3, BEGIN EXCLUSIVE) on the sink or the ledger, and every wait is a
poll on what sluice wrote (ledger rows, log lines)."""

import json
import os
import signal
import sqlite3
import unittest

from sluice_e2e import SluiceTestCase, csv_text, files_under, free_port, http_get, open_sqlite

SCHEMA = """columns:
  - name: id
    type: integer
    nullable: false
  - name: name
    type: string
"""

GOOD_CSV = "id,name\n1,a\n2,b\n3,c\n"


class Locked:
    """A write lock held on an SQLite database from the test (BEGIN EXCLUSIVE; in
    WAL mode readers still read). `release()` ends it; so does tearDown."""

    def __init__(self, path):
        self.con = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.con.execute("BEGIN EXCLUSIVE")

    def release(self):
        if self.con is not None:
            self.con.execute("COMMIT")
            self.con.close()
            self.con = None


class FaultTestCase(SluiceTestCase):

    def setUp(self):
        super().setUp()
        self.locks = []
        self.schema = self.path("items.schema.yaml")
        with open(self.schema, "w") as f:
            f.write(SCHEMA)

    def tearDown(self):
        for lock in self.locks:
            lock.release()
        super().tearDown()

    def lock(self, path):
        lock = Locked(path)
        self.locks.append(lock)
        return lock

    def ledger_record(self, name):
        """(state, attempts, rows_loaded, error, final_path) of the latest ledger
        record of data/<name>, or None."""
        return self.ledger_row(name, "state, attempts, rows_loaded, error, final_path")

    def ledger_row(self, name, columns):
        """`columns` of the latest ledger record of data/<name>, or None."""
        try:
            con = open_sqlite(self.ledger)
        except sqlite3.OperationalError:
            return None  # not created yet
        try:
            rows = con.execute(f"SELECT {columns} FROM files WHERE path = ? "
                               "ORDER BY id DESC LIMIT 1",
                               (os.path.join(self.data, name),)).fetchall()
        except sqlite3.OperationalError:
            return None
        finally:
            con.close()
        return rows[0] if rows else None

    def prepare_sink(self):
        """A first load creates the sink database, its marker table and the ledger,
        so that a later lock on them finds them."""
        self.put("init.csv", GOOD_CSV)
        self.assertExit(self.once("--schema", self.schema), 0)
        self.assertEqual(self.processed_files(), ["init.csv"])


class CrashLoopTest(FaultTestCase):

    def test_file_in_flight_during_three_stops_is_quarantined(self):
        """A file that sluice was loading each of the 3 times it was killed is
        quarantined at the next start, with the reason; the other files load."""
        self.prepare_sink()
        self.put("stuck.csv", "id,name\n7,x\n8,y\n")
        # The sink's write lock keeps the load of stuck.csv from ever committing.
        sink_lock = self.lock(self.db)
        started = 0
        for stop in (1, 2, 3):
            proc = self.start_run("--schema", self.schema, "--workers", "1")
            # Claimed by this start, not the record the last kill left `processing`
            # (recovery settles that first).
            started = self.wait_for(
                lambda: (rec := self.ledger_row("stuck.csv", "state, started_at_us"))
                is not None and rec[0] == "processing" and rec[1] > started and rec[1],
                30, f"stuck.csv processing (before stop {stop})", proc=proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        sink_lock.release()

        self.put("later.csv", "id,name\n9,z\n")
        res = self.once("--schema", self.schema)
        self.assertExit(res, 2)  # a file was quarantined
        reason = "sluice stopped 3 times while loading this file"
        self.assertEqual(self.quarantined_files(), ["stuck.csv"], self.describe(res))
        report = self.error_report("stuck.csv")
        self.assertEqual(report["reason"], reason)
        state, _attempts, _rows, error, final_path = self.ledger_record("stuck.csv")
        self.assertEqual((state, error), ("quarantined", reason))
        self.assertEqual(final_path, os.path.join(self.quarantine, "stuck.csv"))
        self.assertEqual(self.count("stuck"), 0)
        self.assertEqual(self.count("later"), 1)
        self.assertEqual(sorted(self.processed_files()), ["init.csv", "later.csv"])
        self.assertEqual(self.data_files(), [])

    def crashes(self, name):
        """(state, crashes) of the latest ledger record of data/<name>, or None."""
        return self.ledger_row(name, "state, crashes")

    def test_file_in_flight_beside_the_stopping_one_is_not_quarantined(self):
        """Both files are in flight at the first stop; after it each loads alone,
        so the next stops are charged to the one loading (a_stuck.csv, first by
        name) and b_beside.csv, charged once, loads."""
        self.prepare_sink()
        self.put("a_stuck.csv", "id,name\n7,x\n")
        self.put("b_beside.csv", "id,name\n8,y\n")
        sink_lock = self.lock(self.db)
        for stop in (1, 2, 3):
            proc = self.start_run("--schema", self.schema, "--workers", "1")
            # Before the first stop both are claimed; after it b_beside.csv waits,
            # pending, while a_stuck.csv loads alone.
            want = [("a_stuck.csv", ("processing", stop - 1)),
                    ("b_beside.csv", ("processing", 0) if stop == 1 else ("pending", 1))]
            self.wait_for(lambda: all(self.crashes(n) == w for n, w in want), 30,
                          f"in flight before stop {stop}: {want}", proc=proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        sink_lock.release()

        res = self.once("--schema", self.schema)
        self.assertExit(res, 2)  # a file was quarantined
        self.assertEqual(self.quarantined_files(), ["a_stuck.csv"], self.describe(res))
        self.assertEqual(self.crashes("a_stuck.csv"), ("quarantined", 3))
        self.assertEqual(self.crashes("b_beside.csv"), ("loaded", 1))
        self.assertEqual(self.count("b_beside"), 1)
        self.assertIn("loading_alone", res.stderr)

    def test_max_crashes_is_configurable(self):
        self.prepare_sink()
        self.put("stuck.csv", "id,name\n7,x\n")
        sink_lock = self.lock(self.db)
        proc = self.start_run("--schema", self.schema, "--workers", "1")
        self.wait_for(lambda: (rec := self.ledger_record("stuck.csv")) is not None
                      and rec[0] == "processing", 30, "stuck.csv processing", proc=proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        sink_lock.release()
        with open(self.path("sluice.yaml"), "w") as f:
            f.write("max_crashes: 1\n")
        res = self.once("--schema", self.schema, "-c", self.path("sluice.yaml"))
        self.assertExit(res, 2)  # a file was quarantined
        self.assertEqual(self.quarantined_files(), ["stuck.csv"])
        self.assertEqual(self.error_report("stuck.csv")["reason"],
                         "sluice stopped 1 times while loading this file")


class LedgerLockedAfterCommitTest(FaultTestCase):

    def test_locked_ledger_after_commit_is_retried_until_loaded(self):
        self.prepare_sink()
        self.put("orders.csv", "id,name\n1,a\n2,b\n3,c\n4,d\n")
        sink_lock = self.lock(self.db)
        proc = self.start_run("--schema", self.schema, "--workers", "1")
        self.wait_for(lambda: (rec := self.ledger_record("orders.csv")) is not None
                      and rec[0] == "processing", 30, "orders.csv processing", proc=proc)
        # The ledger is locked before the sink lets the load commit.
        ledger_lock = self.lock(self.ledger)
        sink_lock.release()
        self.wait_for(lambda: "ledger_retry" in self.log_tail(proc, 100000), 60,
                      "a logged ledger retry", proc=proc)
        self.assertEqual(self.count("orders"), 4, "the sink has not committed")
        ledger_lock.release()
        self.wait_for(lambda: (rec := self.ledger_record("orders.csv")) is not None
                      and rec[0] == "loaded" and "orders.csv" in self.processed_files(),
                      60, "orders.csv loaded and archived", proc=proc)
        self.assertEqual(self.ledger_record("orders.csv")[2], 4, "row count lost")
        self.assertEqual(self.data_files(), [])
        self.assertIsNone(proc.poll(), "sluice exited")
        self.assertEqual(self.stop(proc), 0)


class QuarantineMoveFailsTest(FaultTestCase):

    def test_failed_move_leaves_file_pending_and_writes_nothing_beside_it(self):
        # quarantine/day1 is a file, so quarantine/day1/bad.csv cannot be made.
        os.makedirs(self.quarantine)
        with open(os.path.join(self.quarantine, "day1"), "w") as f:
            f.write("in the way\n")
        self.put(os.path.join("day1", "bad.csv"), "id,name\n1,a\nx,b\n")
        port = free_port()
        proc = self.start_run("--schema", self.schema, "--recursive", "--max-rejects", "0",
                              "--schema-evolution", "add_columns",
                              "--http", f"127.0.0.1:{port}")
        base = f"http://127.0.0.1:{port}"
        self.wait_for(lambda: "quarantine_move_failed" in self.log_tail(proc, 100000), 30,
                      "quarantine_move_failed in the log", proc=proc)
        rec = self.wait_for(lambda: (r := self.ledger_record(os.path.join("day1", "bad.csv")))
                            is not None and r[0] == "pending" and r, 30, "bad.csv pending",
                            proc=proc)
        self.assertIn("cannot move to quarantine", rec[3])

        def status_error():
            code, body = http_get(base + "/api/status") if self.listening(port) else (0, "")
            if code != 200:
                return None
            errors = [e for e in json.loads(body)["recent_errors"]
                      if e["file"].endswith("bad.csv")]
            return errors[0] if errors else None
        err = self.wait_for(status_error, 30, "bad.csv in /api/status recent_errors", proc=proc)
        self.assertEqual(err["state"], "pending")
        self.assertIn("cannot move to quarantine", err["error"])
        metrics = http_get(base + "/metrics")[1]
        self.assertRegex(metrics, r"(?m)^sluice_quarantine_move_failures_total [1-9]")

        # Nothing but the data file is in the landing folder: no report was
        # written beside it to be picked up (and with add_columns, loaded).
        self.assertEqual(self.data_files(), [os.path.join("day1", "bad.csv")])
        self.assertEqual(self.count("bad"), 0)

        # Once the way is clear the next try quarantines it, reports beside it.
        os.remove(os.path.join(self.quarantine, "day1"))
        self.wait_for(lambda: os.path.isfile(
            os.path.join(self.quarantine, "day1", "bad.csv.error.json")), 60,
            "bad.csv quarantined with its report", proc=proc)
        self.assertEqual(self.quarantined_files(), [os.path.join("day1", "bad.csv")])
        report = self.error_report(os.path.join("day1", "bad.csv"))
        self.assertIn("more than the table allows", report["reason"])
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.stop(proc), 0)

    def listening(self, port):
        import socket
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0


class RejectsNamesTest(FaultTestCase):

    def test_same_name_on_two_days_keeps_both_rejects_and_each_report_names_its_own(self):
        # Day 1: loaded with one rejected row.
        self.put("orders.csv", "id,name\n1,a\nx,day1\n")
        self.assertExit(self.once("--schema", self.schema, "--max-rejects", "1"), 0)
        day1 = os.path.join(self.quarantine, "orders.csv.rejects.jsonl")
        self.assertTrue(os.path.isfile(day1), files_under(self.quarantine))
        # Day 2: same name, other content, loaded with one rejected row.
        self.put("orders.csv", "id,name\n2,a\ny,day2\n")
        self.assertExit(self.once("--schema", self.schema, "--max-rejects", "1"), 0)
        # Day 3: same name, quarantined for its bad rows.
        self.put("orders.csv", "id,name\nz,day3\nw,day3\n")
        self.assertExit(self.once("--schema", self.schema, "--max-rejects", "1"), 2)

        rejects = {}
        for name in files_under(self.quarantine):
            if name.endswith(".rejects.jsonl"):
                with open(os.path.join(self.quarantine, name)) as f:
                    rejects[name] = [json.loads(line)["raw"] for line in f if line.strip()]
        days = sorted(tuple(sorted(raws)) for raws in rejects.values())
        self.assertEqual(days, [("w,day3", "z,day3"), ("x,day1",), ("y,day2",)], rejects)
        report = self.error_report("orders.csv")
        with open(report["rejects_file"]) as f:
            self.assertEqual(sorted(json.loads(line)["raw"] for line in f),
                             ["w,day3", "z,day3"], report)

        # Requeue removes the report and its own rejects, not the other days'.
        res = self.sluice("requeue", "--ledger", self.ledger,
                          os.path.join(self.quarantine, "orders.csv"))
        self.assertExit(res, 0)
        self.assertFalse(os.path.exists(report["rejects_file"]))
        self.assertEqual(sorted(n for n in files_under(self.quarantine)), sorted(
            n for n in rejects if os.path.join(self.quarantine, n) != report["rejects_file"]))


class RequeueLedgerLockTest(FaultTestCase):

    def test_requeue_moves_nothing_until_the_ledger_accepts_the_file(self):
        self.put("colors.csv", "id,name\nx,red\n")
        self.assertExit(self.once("--schema", self.schema), 2)
        self.assertEqual(self.quarantined_files(), ["colors.csv"])
        quarantined = os.path.join(self.quarantine, "colors.csv")

        # A ledger that refuses the update (as a lock held past the busy timeout
        # would): requeue must not have moved the file, or a running sluice would
        # see it back in the landing folder and quarantine it again.
        con = sqlite3.connect(self.ledger, timeout=30, isolation_level=None)
        con.execute("CREATE TRIGGER refuse BEFORE UPDATE ON files WHEN NEW.state = 'pending' "
                    "BEGIN SELECT RAISE(ABORT, 'the test refuses'); END")
        res = self.sluice("requeue", "--ledger", self.ledger, quarantined)
        self.assertNotEqual(res.returncode, 0, self.describe(res))
        self.assertIn("the test refuses", res.stderr)
        self.assertEqual(self.data_files(), [], "requeue moved the file before the ledger took it")
        self.assertEqual(self.quarantined_files(), ["colors.csv"])
        self.assertTrue(os.path.isfile(quarantined + ".error.json"))
        self.assertEqual(self.ledger_record("colors.csv")[0], "quarantined")
        con.execute("DROP TRIGGER refuse")
        con.close()

        res = self.sluice("requeue", "--ledger", self.ledger, quarantined)
        self.assertExit(res, 0)
        self.assertEqual(self.data_files(), ["colors.csv"])
        self.assertEqual(self.ledger_record("colors.csv")[0], "pending")
        self.assertEqual(files_under(self.quarantine), [])


if __name__ == "__main__":
    unittest.main()
