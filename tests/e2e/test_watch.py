"""`sluice run`: start-up scan, inotify, settling, signals, ignored names,
sub-folders and filters."""

import os
import signal
import threading
import time
import unittest

from sluice_e2e import SluiceTestCase, csv_text


def rows_csv(ids, prefix="r"):
    return csv_text(["id", "name"], [[i, f"{prefix}{i}"] for i in ids])


class WatchTest(SluiceTestCase):

    def wait_rows(self, table, n, proc, timeout=10):
        self.wait_for(lambda: self.count(table) >= n, timeout,
                      f"{n} rows in table {table}", proc=proc)
        self.assertEqual(self.count(table), n)

    def wait_processed(self, names, proc, timeout=10):
        self.wait_for(lambda: set(names) <= set(self.processed_files()), timeout,
                      f"{names} in processed/", proc=proc)

    def test_startup_scan_and_inotify(self):
        self.put("before.csv", rows_csv(range(1, 4)))
        # A long rescan period: the file added later can only be found by inotify.
        proc = self.start_run(rescan_seconds=300)
        self.wait_rows("before", 3, proc)
        self.wait_processed(["before.csv"], proc)

        start = time.monotonic()
        tmp = self.path("after.csv")
        with open(tmp, "w") as f:
            f.write(rows_csv(range(1, 6)))
        os.rename(tmp, os.path.join(self.data, "after.csv"))  # same file system: IN_MOVED_TO
        self.wait_rows("after", 5, proc, timeout=5)
        # A file written in place (IN_CLOSE_WRITE, then settle).
        self.put("written.csv", rows_csv(range(1, 8)), settled=False)
        self.wait_rows("written", 7, proc, timeout=5)
        elapsed = time.monotonic() - start
        self.wait_processed(["after.csv", "written.csv"], proc)
        self.assertEqual(self.quarantined_files(), [])
        self.assertEqual(self.stop(proc), 0)
        print(f"\ninotify: two new files loaded in {elapsed:.2f}s")

    def test_slow_writer_loaded_once_complete(self):
        total = 400
        proc = self.start_run(settle_ms=1000, rescan_seconds=1)
        target = os.path.join(self.data, "slow.csv")
        done = threading.Event()
        errors = []

        def writer():
            try:
                with open(target, "w") as f:
                    f.write("id,name\n")
                    # ~4 s: 20 chunks of 20 rows, a flush every 0.2 s (< settle time).
                    for chunk in range(20):
                        for i in range(chunk * 20, chunk * 20 + 20):
                            f.write(f"{i},row{i}\n")
                        f.flush()
                        os.fsync(f.fileno())
                        time.sleep(0.2)
            except Exception as e:  # noqa: BLE001 - reported by the test
                errors.append(e)
            finally:
                done.set()

        t = threading.Thread(target=writer)
        t.start()
        t.join(timeout=30)
        self.assertTrue(done.is_set() and not errors, f"writer failed: {errors}")
        self.wait_processed(["slow.csv"], proc, timeout=15)
        self.assertEqual(self.count("slow"), total, "file loaded before it was complete")
        rows = self.query("SELECT COUNT(DISTINCT id), MIN(id), MAX(id) FROM slow")
        self.assertEqual(rows, [(total, 0, total - 1)])
        self.assertEqual(self.processed_files(), ["slow.csv"])
        self.assertEqual(self.quarantined_files(), [])
        # And it stays loaded once: another rescan period changes nothing.
        time.sleep(1.5)
        self.assertEqual(self.count("slow"), total)
        self.assertEqual(self.stop(proc), 0)

    def test_sigterm_exits_zero(self):
        self.put("a.csv", rows_csv(range(1, 3)))
        proc = self.start_run()
        self.wait_rows("a", 2, proc)
        self.assertEqual(self.stop(proc, signal.SIGTERM), 0, self.log_tail(proc))

    def test_sigint_exits_zero(self):
        self.put("a.csv", rows_csv(range(1, 3)))
        proc = self.start_run()
        self.wait_rows("a", 2, proc)
        self.assertEqual(self.stop(proc, signal.SIGINT), 0, self.log_tail(proc))

    def test_sigterm_while_loading_is_clean(self):
        """A signal during a load: exit 0, and the file is either fully loaded or
        not at all; the next run completes it."""
        n = 1_500_000  # about a second of loading
        self.put("big.csv", "id,name\n" + "".join(f"{i},r{i}\n" for i in range(n)))
        proc = self.start_run()
        self.wait_for(lambda: "started" in self.log_tail(proc), 10, "start-up", proc=proc)
        # The load is in flight now (rows become visible only at commit, so there is
        # no condition to poll for): signal a moment into it.
        time.sleep(0.3)
        in_flight = self.count("big") == 0
        self.assertEqual(self.stop(proc, signal.SIGTERM, timeout=60), 0, self.log_tail(proc))
        self.assertIn(self.count("big"), (0, n), "partial load visible after SIGTERM")
        self.assertExit(self.once(), 0)
        self.assertEqual(self.count("big"), n)
        self.assertEqual(self.processed_files(), ["big.csv"])
        print(f"\nSIGTERM landed {'during' if in_flight else 'after'} the load")

    def test_rename_from_hidden_part_name(self):
        proc = self.start_run()
        hidden = os.path.join(self.data, ".x.csv.part")
        with open(hidden, "w") as f:
            f.write(rows_csv(range(1, 5)))
        # Give the watcher a chance to see the temporary name (and ignore it).
        self.put("marker.csv", rows_csv([1]), settled=False)
        self.wait_rows("marker", 1, proc)
        self.assertEqual(self.count("x"), 0)
        self.assertTrue(os.path.exists(hidden), "the hidden .part file was touched")
        os.rename(hidden, os.path.join(self.data, "x.csv"))
        self.wait_rows("x", 4, proc, timeout=5)
        self.wait_processed(["x.csv"], proc)
        self.assertEqual(self.stop(proc), 0)

    def test_ignored_names_not_loaded(self):
        ignored = [".hidden.csv", "x.tmp", "x.part", "y.csv.part", "z.csv.tmp"]
        for name in ignored:
            self.put(name, rows_csv(range(1, 4)))
        proc = self.start_run(rescan_seconds=1)
        self.put("sentinel.csv", rows_csv([1]))
        self.wait_rows("sentinel", 1, proc)
        # One more full rescan period after the sentinel was loaded.
        time.sleep(1.5)
        self.assertEqual(sorted(self.data_files()), sorted(ignored))
        self.assertEqual(self.processed_files(), ["sentinel.csv"])
        self.assertEqual(self.quarantined_files(), [])
        self.assertEqual(self.tables(), ["sentinel"])
        self.assertEqual(self.stop(proc), 0)

    def test_recursive(self):
        self.put(os.path.join("north", "site_a.csv"), rows_csv(range(1, 4)))
        self.put(os.path.join("north", "deep", "site_b.csv"), rows_csv(range(1, 3)))
        proc = self.start_run("--recursive")
        self.wait_rows("site_a", 3, proc)
        self.wait_rows("site_b", 2, proc)
        # A folder created while running is watched too.
        os.makedirs(os.path.join(self.data, "south", "new"))
        self.put(os.path.join("south", "new", "site_c.csv"), rows_csv(range(1, 6)),
                 settled=False)
        self.wait_rows("site_c", 5, proc, timeout=5)
        self.wait_for(lambda: self.data_files() == [], 10, "data/ emptied", proc=proc)
        archived = [os.path.basename(p) for p in self.processed_files()]
        self.assertEqual(sorted(archived), ["site_a.csv", "site_b.csv", "site_c.csv"])
        self.assertEqual(self.stop(proc), 0)

    def test_not_recursive_by_default(self):
        self.put(os.path.join("sub", "inner.csv"), rows_csv(range(1, 4)))
        proc = self.start_run()
        self.put("top.csv", rows_csv([1]))
        self.wait_rows("top", 1, proc)
        time.sleep(1.5)
        self.assertEqual(self.count("inner"), 0)
        self.assertEqual(self.data_files(), [os.path.join("sub", "inner.csv")])
        self.assertEqual(self.stop(proc), 0)

    def test_include_exclude(self):
        self.put("keep_me.csv", rows_csv(range(1, 4)))
        self.put("orders_draft.csv", rows_csv(range(1, 4)))
        self.put("other.jsonl", '{"id": 1}\n')
        self.put("gz_ok.csv.gz", b"")  # excluded by the include list; content irrelevant
        proc = self.start_run("--include", "*.csv", "--exclude", "*_draft*")
        self.wait_rows("keep_me", 3, proc)
        self.wait_processed(["keep_me.csv"], proc)
        time.sleep(1.5)
        self.assertEqual(self.processed_files(), ["keep_me.csv"])
        self.assertEqual(sorted(self.data_files()),
                         ["gz_ok.csv.gz", "orders_draft.csv", "other.jsonl"])
        self.assertEqual(self.tables(), ["keep_me"])
        self.assertEqual(self.stop(proc), 0)

    def test_include_repeatable(self):
        self.put("a.csv", rows_csv([1]))
        self.put("b.jsonl", '{"id": 1}\n{"id": 2}\n')
        self.put("c.tsv", "id\tname\n1\tx\n")
        res = self.once("--include", "*.csv", "--include", "*.jsonl")
        self.assertExit(res, 0)
        self.assertEqual(self.tables(), ["a", "b"])
        self.assertEqual(self.count("b"), 2)
        self.assertEqual(self.data_files(), ["c.tsv"])


if __name__ == "__main__":
    unittest.main()
