"""The kill -9 test: whatever moment sluice dies at, after restarts every row is
loaded exactly once and every file is accounted for.

SLUICE_CRASH_SEED=<n> replays a run; SLUICE_CRASH_ROUNDS overrides the number of
kills (default 15)."""

import os
import random
import shutil
import subprocess
import sys
import time
import unittest

from sluice_e2e import EVENTS_SCHEMA, SluiceTestCase, csv_text, log

FILES = 150
WAVES = 5
BIG_FILES = 6


class CrashTest(SluiceTestCase):

    def generate(self, rng):
        """Writes the files into a pristine folder; returns ({name: rows}, total)."""
        pristine = self.path("pristine")
        os.makedirs(pristine)
        big = set(rng.sample(range(FILES), BIG_FILES))
        per_file = {}
        next_id = 1
        for i in range(FILES):
            n = rng.randint(150000, 250000) if i in big else rng.randint(1, 300)
            name = f"events_{i:04d}.csv"
            rows = [[next_id + k, i, f"{rng.uniform(-100, 100):.3f}", f"l{rng.randint(0, 9)}"]
                    for k in range(n)]
            next_id += n
            with open(os.path.join(pristine, name), "w") as f:
                f.write(csv_text(["id", "batch", "value", "label"], rows))
            per_file[name] = n
        now = time.time() - 60
        for name in per_file:
            os.utime(os.path.join(pristine, name), (now, now))
        return pristine, per_file, next_id - 1

    def copy_into(self, pristine, dest):
        os.makedirs(dest, exist_ok=True)
        for name in os.listdir(pristine):
            shutil.copy2(os.path.join(pristine, name), dest)

    def test_kill_9_exactly_once(self):
        seed = int(os.environ.get("SLUICE_CRASH_SEED") or (time.time_ns() % (2**31)))
        rounds = int(os.environ.get("SLUICE_CRASH_ROUNDS") or 15)
        log(f"\ncrash test seed={seed} (replay: SLUICE_CRASH_SEED={seed})")
        rng = random.Random(seed)
        schema = self.path("events.schema.yaml")
        with open(schema, "w") as f:
            f.write(EVENTS_SCHEMA)
        pristine, per_file, expected = self.generate(rng)
        log(f"{len(per_file)} files, {expected} rows")

        # Calibration: how long does a clean full load take here?
        cal = self.path("calibration")
        self.copy_into(pristine, os.path.join(cal, "data"))
        t0 = time.monotonic()
        res = self.sluice("once", "--source", os.path.join(cal, "data"),
                          "--sink", "sqlite:" + os.path.join(cal, "out.db"),
                          "--ledger", os.path.join(cal, "ledger.db"),
                          "--processed", os.path.join(cal, "processed"),
                          "--quarantine", os.path.join(cal, "quarantine"),
                          "--settle-ms", "50", "--workers", "2", "--schema", schema,
                          timeout=300)
        full = time.monotonic() - t0
        self.assertExit(res, 0)
        self.assertEqual(self.count("events", db=os.path.join(cal, "out.db")), expected,
                         "calibration load is incomplete")
        shutil.rmtree(cal)
        log(f"full clean load: {full:.2f}s")

        # The files arrive in waves, so that kills keep landing on work in progress
        # (a full load takes only a second or two).
        names = sorted(per_file)
        waves = [names[k::WAVES] for k in range(WAVES)]
        # The kills are the test's, not the files' fault: no file is quarantined for
        # being in flight at many of them (--max-crashes 0).
        args = self.paths_args() + ["--settle-ms", "50", "--rescan-seconds", "1",
                                    "--workers", "2", "--schema", schema, "--max-crashes", "0"]
        kills = 0
        for r in range(rounds):
            wave = r * WAVES // rounds
            if r == 0 or wave != (r - 1) * WAVES // rounds:
                for n in waves[wave]:
                    shutil.copy2(os.path.join(pristine, n), self.data)
                log(f"wave {wave}: {len(waves[wave])} more files")
            mode = rng.choice(["run", "run", "once"])
            # Aim inside the work still to do: the estimate shrinks as files finish,
            # so later kills still land mid-load rather than on an idle process.
            left = self.data_files()
            rows_left = sum(per_file.get(n, 0) for n in left)
            share = max(rows_left / expected, len(left) / FILES)
            delay = rng.uniform(0.01, 0.05 + share * full)
            if self.run_and_kill(mode, args, delay, f"round-{r}"):
                kills += 1
                outcome = "killed"
            else:
                outcome = "exited 0 before the kill"
            try:
                rows = self.count("events")
            except Exception as e:  # a locked/recovering db is fine to report
                rows = f"? ({e})"
            log(f"round {r:2d}: {mode:4s} {outcome} after {delay:.3f}s; "
                f"rows visible {rows}, files left {len(self.data_files())}")

        self.assertEqual(sum(len(w) for w in waves), FILES)
        res = self.once("--workers", "2", "--schema", schema, "--max-crashes", "0", settle_ms=50,
                        timeout=300)
        self.assertExit(res, 0)
        log(f"{kills} kills; final once done")

        got = self.query("SELECT COUNT(*), COUNT(DISTINCT id), MIN(id), MAX(id) FROM events")
        self.assertEqual(got, [(expected, expected, 1, expected)],
                         f"seed {seed}: rows lost or duplicated")
        per_batch = dict(self.query("SELECT batch, COUNT(*) FROM events GROUP BY batch"))
        want = {int(n[len("events_"):-len(".csv")]): c for n, c in per_file.items()}
        self.assertEqual(per_batch, want, f"seed {seed}: per-file row counts differ")
        self.assertEqual(self.data_files(), [], f"seed {seed}: files left in data/")
        self.assertEqual(self.quarantined_files(), [], f"seed {seed}: files quarantined")
        self.assertEqual(sorted(self.processed_files()), sorted(per_file),
                         f"seed {seed}: processed/ does not hold each file once")


class LeftoverTest(SluiceTestCase):
    """What a kill between the renames of an archive or a removal leaves under a
    pending name (.sluice-removing-*, .sluice-archiving-*) is settled at the next
    start: content the ledger knows is removed or archived, a newcomer is put back
    and loaded once."""

    def load_orders(self):
        self.put("orders.csv", csv_text(["id"], [[1], [2]]))
        self.assertExit(self.once("--after-load", "delete"), 0)
        self.assertEqual(self.count("orders"), 2)

    def hidden_left(self):
        pending = os.path.join(self.processed, ".sluice-pending")
        return [f for folder in (self.data, self.processed, pending) if os.path.isdir(folder)
                for f in os.listdir(folder)
                if f.startswith(".sluice-") and f != ".sluice-pending" or ".sluice-tmp-" in f]

    def test_loaded_content_left_by_a_removal_is_removed(self):
        self.load_orders()
        self.put(".sluice-removing-1-0-orders.csv", csv_text(["id"], [[1], [2]]))
        res = self.once("--after-load", "delete")
        self.assertExit(res, 0)
        self.assertIn("action=removed", res.stderr + res.stdout)
        self.assertEqual(self.count("orders"), 2, "not loaded twice")
        self.assertEqual(self.data_files(), [])

    def test_a_newcomer_left_by_a_removal_is_loaded_once(self):
        self.load_orders()
        self.put(".sluice-removing-1-1-orders.csv", csv_text(["id"], [[3]]))
        self.assertExit(self.once("--after-load", "delete"), 0)
        self.assertEqual(self.query("SELECT id FROM orders ORDER BY id"), [(1,), (2,), (3,)])
        self.assertEqual(self.data_files(), [])
        self.assertExit(self.once("--after-load", "delete"), 0)
        self.assertEqual(self.count("orders"), 3)

    def test_a_newcomer_left_in_processed_goes_back_and_is_loaded_once(self):
        self.load_orders()
        # In processed/.sluice-pending/, the name records the path (sub/orders.csv).
        pending = os.path.join(self.processed, ".sluice-pending")
        os.makedirs(pending, exist_ok=True)
        self.put(".sluice-archiving-1-2-sub%2Forders.csv", csv_text(["id"], [[3]]),
                 folder=pending)
        os.makedirs(os.path.join(self.data, "sub"))
        self.assertExit(self.once("--recursive", "--table", "orders"), 0)
        self.assertEqual(self.query("SELECT id FROM orders ORDER BY id"), [(1,), (2,), (3,)])
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.processed_files(), ["sub/orders.csv"])
        self.assertEqual(self.hidden_left(), [])

    def test_earlier_versions_names_are_settled_at_the_first_start(self):
        """Names an earlier version left: .sluice-removing-<pid>-<n> (no name), an
        archive move's pending name and an unpublished Parquet archive beside the
        archived files. Known content is removed, the rest put back once (a removal
        name without a name comes back as recovered-<pid>-<n>: no format extension,
        so it is quarantined as of unknown type, never lost nor loaded twice)."""
        os.makedirs(os.path.join(self.processed, "sub"))
        self.put(".sluice-archiving-1-2-orders.csv", csv_text(["id"], [[3]]),
                 folder=os.path.join(self.processed, "sub"))
        self.put(".orders.parquet.sluice-tmp-1-3", "PAR1", folder=os.path.join(self.processed, "sub"))
        self.put(".sluice-removing-1-4", csv_text(["id"], [[4]]))
        os.makedirs(os.path.join(self.data, "sub"))
        res = self.once("--recursive", "--table", "orders")
        self.assertExit(res, 2)  # a file quarantined
        out = res.stderr + res.stdout
        self.assertIn("recovered-1-4", out)
        self.assertIn("removed unpublished archive file", out)
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.hidden_left(), [])
        self.assertEqual(self.processed_files(), ["sub/orders.csv"])
        self.assertEqual(self.quarantined_files(), ["recovered-1-4"])
        self.assertEqual(self.query("SELECT id FROM orders ORDER BY id"), [(3,)])
        # Content a later start finds under an earlier removal name, already settled.
        self.put(".sluice-removing-1-5", csv_text(["id"], [[4]]))
        res = self.once("--recursive", "--table", "orders")
        self.assertExit(res, 0)
        self.assertIn("action=removed", res.stderr + res.stdout)
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.quarantined_files(), ["recovered-1-4"])
        self.assertEqual(self.count("orders"), 1)


class ReadAfterCrashTest(SluiceTestCase):
    """The tests read the sink and the ledger between kills: a database left with
    a hot journal by a killed writer must still be readable (a read-only
    connection cannot roll the journal back: "attempt to write a readonly
    database", seen once in the aggregates kill loop)."""

    def test_query_reads_a_database_left_with_a_hot_journal(self):
        writer = (
            "import os, sqlite3, sys\n"
            "con = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "con.execute('CREATE TABLE t(x)')\n"
            "con.execute('INSERT INTO t VALUES (1)')\n"
            "con.execute('PRAGMA cache_size=1')\n"
            "con.execute('BEGIN')\n"
            "con.execute('INSERT INTO t SELECT randomblob(1000) FROM (WITH RECURSIVE "
            "r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 1000) SELECT i FROM r)')\n"
            "os._exit(0)  # dies inside the transaction, its pages already spilled\n")
        subprocess.run([sys.executable, "-c", writer, self.db], check=True)
        self.assertTrue(os.path.exists(self.db + "-journal"), "the writer left no hot journal")
        self.assertEqual(self.query("SELECT count(*) FROM t"), [(1,)])


if __name__ == "__main__":
    unittest.main()
