"""One small file must not crash, stall or blind sluice (issue 12, items 3, 4, 12).

- A regex rule on a huge cell (std::regex recursed per character: a segfault).
- A small JSONL file with thousands of distinct keys (every batch as wide as the
  file: hundreds of MiB, then std::bad_alloc aborted the process): quarantined
  for max_columns, and with max_columns raised its batches stay small.
- SIGTERM while a file is being read: honoured within a second or two, the file
  stays pending.
- A file name with terminal control characters: shown escaped in text logs.
"""

import gzip
import os
import signal
import sqlite3
import zlib

from sluice_e2e import SluiceTestCase, open_sqlite


def sparse_jsonl(keys):
    """One object a line, each with a key of its own: about 12 bytes a column."""
    return "".join(f'{{"k{i}":{i}}}\n' for i in range(keys))


class HostileInputTest(SluiceTestCase):
    def ledger_states(self):
        try:
            con = open_sqlite(self.ledger, timeout=1)
            try:
                return [r[0] for r in con.execute("SELECT state FROM files")]
            finally:
                con.close()
        except sqlite3.Error:
            return []

    def test_regex_rule_on_a_huge_cell_does_not_crash(self):
        schema = self.path("codes.yaml")
        with open(schema, "w") as f:
            f.write('columns:\n  - name: code\n    type: string\n    regex: "^[a-z]+$"\n')
        self.put("codes.csv", "code\n" + "a" * 200_000 + "\nabc\n")
        res = self.once("--schema", schema)
        self.assertExit(res, 0)
        self.assertEqual(self.query("SELECT length(code) FROM codes ORDER BY 1"),
                         [(3,), (200_000,)])

    def test_wide_sparse_jsonl_is_quarantined_with_bounded_memory(self):
        self.put("wide.jsonl", sparse_jsonl(8192))  # about 97 KB
        code, peak = self.peak_rss_mib("once", *self.paths_args(), "--settle-ms", "0")
        print(f"\n8,192 keys, default max_columns: exit {code}, peak RSS {peak:.0f} MiB")
        self.assertEqual(code, 2, "exit code of `once` with a quarantined file")
        self.assertEqual(self.quarantined_files(), ["wide.jsonl"])
        # The first batch (cut early: its cells count) fixes the table's columns;
        # keys seen later are bad rows, which end the load first.
        reason = self.error_report("wide.jsonl")["reason"]
        self.assertRegex(reason, r"not in the schema|max_columns")
        # Three batches in flight of at most 16 MiB of text and their typed rows
        # (it was 645 MiB, then std::bad_alloc).
        self.assert_peak_below(peak, 200, "a 97 KB file")

    def test_file_with_more_columns_than_max_columns_is_quarantined(self):
        self.put("wide.csv", ",".join(f"c{i}" for i in range(2000)) + "\n" +
                 ",".join("1" for _ in range(2000)) + "\n")
        self.put("keys.jsonl", "{" + ",".join(f'"k{i}":{i}' for i in range(1600)) + "}\n")
        self.put("narrow.csv", "a,b\n1,2\n")
        res = self.once()
        self.assertExit(res, 2)
        self.assertEqual(self.quarantined_files(), ["keys.jsonl", "wide.csv"])
        self.assertEqual(self.error_report("wide.csv")["reason"],
                         "line 1: 2000 columns, more than max_columns (1500)")
        self.assertEqual(self.error_report("keys.jsonl")["reason"],
                         "line 1: more than max_columns (1500) distinct keys; the next is \"k1500\"")
        self.assertEqual(self.count("narrow"), 1)
        # Raised, the CSV file loads (SQLite takes up to 2,000 columns a table).
        self.put("wide2.csv", ",".join(f"c{i}" for i in range(2000)) + "\n" +
                 ",".join("2" for _ in range(2000)) + "\n")
        res = self.once("--max-columns", "2000")
        self.assertExit(res, 0)
        self.assertEqual(self.count("wide"), 1)

    def test_wide_sparse_jsonl_with_max_columns_raised_stays_small(self):
        self.put("wide.jsonl", sparse_jsonl(8192))
        code, peak = self.peak_rss_mib("once", *self.paths_args(), "--settle-ms", "0",
                                   "--max-columns", "10000")
        print(f"\n8,192 keys, max_columns 10000: exit {code}, peak RSS {peak:.0f} MiB")
        # SQLite refuses a table of 8,192 columns: the file is quarantined by the
        # sink, with the process alive and its memory bounded by the batch budget.
        self.assertEqual(code, 2)
        self.assertEqual(self.quarantined_files(), ["wide.jsonl"])
        self.assert_peak_below(peak, 200, "a 97 KB file")

    def test_sigterm_during_a_long_read_exits_promptly_and_leaves_the_file_pending(self):
        # One JSON line of 16 GiB of 'x' (a gzip of concatenated members, 16 MiB):
        # far longer than max_record_bytes, so the reader skips it without holding
        # it, which takes many seconds of inflating.
        member = gzip.compress(b"x" * (64 << 20), compresslevel=9)
        path = os.path.join(self.data, "endless.jsonl.gz")
        with open(path, "wb") as f:
            for _ in range(256):
                f.write(member)
        os.utime(path, (0, 0))
        proc = self.start_run()
        self.wait_for(lambda: "processing" in self.ledger_states(), 30,
                      "the file to be claimed", proc=proc)
        code = self.stop(proc, signal.SIGTERM, timeout=5)
        self.assertEqual(code, 0, self.log_tail(proc))
        self.assertEqual(self.data_files(), ["endless.jsonl.gz"])
        self.assertEqual(self.quarantined_files(), [])
        self.assertEqual(self.ledger_states(), ["pending"])

    def test_text_log_shows_control_characters_escaped(self):
        self.put("evil\x1b[2J\x07.csv", "")  # empty: quarantined, and logged by name
        res = self.once()
        self.assertExit(res, 2)
        self.assertNotIn("\x1b", res.stderr)
        self.assertNotIn("\x07", res.stderr)
        self.assertIn("evil\\x1b[2J\\x07.csv", res.stderr)
