"""A file's identity holds for the whole of its job: the bytes hashed are the bytes
loaded and the bytes archived, and nothing outside the landing folder is opened.

The races are made deterministic, not timed: the test holds the SQLite sink's
write lock (BEGIN IMMEDIATE from Python), so a worker that has claimed a file
(the ledger says `processing`: it is opened and hashed) waits in the sink until
the test has replaced, appended to or swapped the file and let go of the lock.

The oracle for the ledger's hashes is independent of sluice: XXH3-128 of the
bytes, computed with libxxhash (the library sluice links) through ctypes.
"""

import ctypes
import json
import os
import sqlite3
import unittest

from sluice_e2e import SluiceTestCase, backdate, csv_text, files_under, free_port, http_get, \
    open_sqlite, read_bytes


class _Xxh128(ctypes.Structure):
    _fields_ = [("low64", ctypes.c_uint64), ("high64", ctypes.c_uint64)]


_LIB = ctypes.CDLL("libxxhash.so.0")
_LIB.XXH3_128bits.restype = _Xxh128
_LIB.XXH3_128bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]


def xxh128(data):
    """XXH3-128 as sluice writes it: canonical (big-endian) 32 hex digits."""
    h = _LIB.XXH3_128bits(data, len(data))
    return f"{h.high64:016x}{h.low64:016x}"


def rows_of(content):
    """The (id, v) rows of a CSV text written by `csv_bytes`."""
    lines = content.decode().splitlines()[1:]
    return sorted(tuple(int(x.strip('"')) for x in line.split(",")) for line in lines if line)


def csv_bytes(ids):
    return csv_text(["id", "v"], [(i, i * 7) for i in ids]).encode()


class IdentityTestCase(SluiceTestCase):
    def start_and_wait_ready(self, *extra, rescan_seconds=None):
        """`sluice run` with one worker, once its sink database is in place."""
        proc = self.start_run("--workers", "1", *extra, rescan_seconds=rescan_seconds)
        self.wait_for(lambda: self.query(
            "SELECT name FROM sqlite_master WHERE name = '_sluice_loads'"), 30,
            "the sink's marker table", proc=proc)
        return proc

    def hold_sink(self):
        """Takes the sink database's write lock; sluice's next write waits for it."""
        con = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        self.addCleanup(con.close)
        return con

    def land(self, name, content):
        """Puts a complete file into the landing folder by rename (ready at once)."""
        tmp = os.path.join(self.data, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(content)
        backdate(tmp)
        os.rename(tmp, os.path.join(self.data, name))

    def ledger_rows(self):
        con = open_sqlite(self.ledger)
        try:
            return con.execute("SELECT path, hash, state FROM files ORDER BY id").fetchall()
        finally:
            con.close()

    def state_of(self, name):
        path = os.path.join(os.path.realpath(self.data), name)
        return [state for p, _h, state in self.ledger_rows() if p == path]

    def settled(self):
        """Nothing left to do: the landing folder is empty and no record is claimed
        or waiting (each file that was ever seen is finished)."""
        rows = self.ledger_rows()
        return (not self.data_files() and rows
                and all(state not in ("processing", "pending") for _p, _h, state in rows))

    def assert_loaded_exactly_once(self, table, contents):
        """Every content in `contents` was loaded once under its own hash: the
        ledger's loaded hashes are theirs, processed/ holds each of them, the
        table holds each one's rows once, and nothing is left claimed."""
        expected_hashes = sorted(xxh128(c) for c in contents)
        rows = self.ledger_rows()
        loaded = sorted(h for _p, h, state in rows if state == "loaded")
        self.assertEqual(loaded, expected_hashes, f"ledger: {rows}")
        self.assertEqual([r for r in rows if r[2] in ("processing", "pending")], [],
                         "records left claimed")
        archived = sorted(xxh128(read_bytes(os.path.join(self.processed, f)))
                          for f in self.processed_files())
        self.assertEqual(archived, expected_hashes, f"processed/: {self.processed_files()}")
        want = sorted(r for c in contents for r in rows_of(c))
        got = sorted(self.query(f'SELECT id, v FROM "{table}"') or [])
        self.assertEqual(got, want)
        # The sink's commit marker of each hash counts that content's rows.
        markers = dict(self.query('SELECT load_id, rows FROM "_sluice_loads"') or [])
        self.assertEqual(markers, {xxh128(c): len(rows_of(c)) for c in contents})


class ChangedDuringLoadTest(IdentityTestCase):
    def test_replaced_during_load_loads_both_contents_once(self):
        # No periodic rescan comes to help: the newcomer's own event came while
        # a.csv was busy, so sluice must look at the path again by itself.
        proc = self.start_and_wait_ready(rescan_seconds=3600)
        lock = self.hold_sink()
        old, new = csv_bytes(range(1, 6)), csv_bytes(range(100, 103))
        self.land("a.csv", old)
        self.wait_for(lambda: self.state_of("a.csv") == ["processing"], 30,
                      "a.csv claimed", proc=proc)
        self.land("a.csv", new)  # mv a.csv.tmp a.csv while a.csv loads
        lock.rollback()
        self.wait_for(self.settled, 60, "every file finished", proc=proc)
        self.assert_loaded_exactly_once("a", [old, new])

    def test_appended_during_load_loads_the_grown_file_once(self):
        proc = self.start_and_wait_ready()
        lock = self.hold_sink()
        first = csv_bytes(range(1, 6))
        self.land("a.csv", first)
        self.wait_for(lambda: self.state_of("a.csv") == ["processing"], 30,
                      "a.csv claimed", proc=proc)
        more = b"".join(f"{i},{i * 7}\n".encode() for i in range(6, 9))
        with open(os.path.join(self.data, "a.csv"), "ab") as f:
            f.write(more)
        backdate(os.path.join(self.data, "a.csv"))
        lock.rollback()
        self.wait_for(self.settled, 60, "every file finished", proc=proc)
        self.assert_loaded_exactly_once("a", [first + more])
        self.assertIn("changed_while_loading", self.log_tail(proc, 100000))


    def test_a_record_cut_off_by_a_writer_is_not_quarantined(self):
        # The table exists (a0.csv), so the worker reads the first batch, then
        # waits in the sink's Begin; more than one batch, so it reads the
        # cut-off record only after the test has let the writer finish it.
        proc = self.start_and_wait_ready()
        before = csv_bytes([0])
        self.land("a0.csv", before)
        self.wait_for(lambda: self.state_of("a0.csv") == ["loaded"], 30, "a0.csv", proc=proc)
        head = b"id,v\n" + b"".join(f'{i},"{i * 7}"\n'.encode() for i in range(1, 10001))
        lock = self.hold_sink()
        self.land("a.csv", head + b'10001,"7')  # the writer is not done
        self.wait_for(lambda: self.state_of("a.csv") == ["processing"], 30,
                      "a.csv claimed", proc=proc)
        with open(os.path.join(self.data, "a.csv"), "ab") as f:
            f.write(b'0007"\n')
        backdate(os.path.join(self.data, "a.csv"))
        lock.rollback()
        self.wait_for(self.settled, 60, "every file finished", proc=proc)
        self.assertEqual(self.quarantined_files(), [])
        self.assert_loaded_exactly_once("a", [before, head + b'10001,"70007"\n'])


    def test_a_group_member_appended_during_load_loads_once_grown(self):
        # The sink database exists but the worker finds the lock taken at once,
        # with the three files of one table claimed together as one group.
        self.assertExit(self.once(), 0)
        lock = self.hold_sink()
        contents = {f"g{n}.csv": csv_bytes(range(10 * n, 10 * n + 3)) for n in (1, 2, 3)}
        for name, content in contents.items():
            self.put(name, content)
        proc = self.start_run("--workers", "1")
        self.wait_for(lambda: all(self.state_of(n) == ["processing"] for n in contents), 30,
                      "the group claimed", proc=proc)
        more = b"".join(f"{i},{i * 7}\n".encode() for i in range(23, 26))
        with open(os.path.join(self.data, "g2.csv"), "ab") as f:
            f.write(more)
        backdate(os.path.join(self.data, "g2.csv"))
        contents["g2.csv"] += more
        lock.rollback()
        self.wait_for(self.settled, 60, "every file finished", proc=proc)
        self.assert_loaded_exactly_once("g", list(contents.values()))


class SymlinkSwapTest(IdentityTestCase):
    def backlog(self, base):
        status, body = http_get(base + "/api/status")
        return json.loads(body).get("backlog_files", 0) if status == 200 else 0

    def test_symlink_swapped_in_after_the_watcher_checked_is_not_followed(self):
        secret_dir = self.path("secret")
        os.makedirs(secret_dir)
        secret = csv_bytes([999])
        with open(os.path.join(secret_dir, "passwd.csv"), "wb") as f:
            f.write(secret)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = self.start_and_wait_ready("--http", f"127.0.0.1:{port}")
        lock = self.hold_sink()
        busy = csv_bytes([1])
        self.land("w.csv", busy)  # keeps the one worker waiting in the sink
        self.wait_for(lambda: self.state_of("w.csv") == ["processing"], 30,
                      "w.csv claimed", proc=proc)
        self.land("z.csv", csv_bytes([2]))
        # In flight (w) plus queued (z): the watcher has checked z.csv.
        self.wait_for(lambda: self.backlog(base) >= 2, 30, "z.csv queued", proc=proc)
        link = os.path.join(self.data, ".x")
        os.symlink(os.path.join(secret_dir, "passwd.csv"), link)
        os.rename(link, os.path.join(self.data, "z.csv"))  # ln -s ... .x && mv -T .x z.csv
        lock.rollback()
        self.wait_for(lambda: self.state_of("w.csv") == ["loaded"], 60, "w.csv loaded", proc=proc)
        self.wait_for(lambda: self.state_of("z.csv") or "not_opened" in self.log_tail(proc, 100000),
                      60, "z.csv dealt with", proc=proc)
        self.assertNotIn(xxh128(secret), [h for _p, h, _s in self.ledger_rows()])
        self.assertEqual(self.count("z"), 0, "rows from outside the landing folder were loaded")
        self.assertEqual(read_bytes(os.path.join(secret_dir, "passwd.csv")), secret)
        self.assertTrue(os.path.islink(os.path.join(self.data, "z.csv")))
        self.assertEqual(files_under(self.processed), ["w.csv"])


if __name__ == "__main__":
    unittest.main()
