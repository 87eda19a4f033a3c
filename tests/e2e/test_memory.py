"""Memory stays bounded by the batch size, never by the file size, nor by the
number of small files a worker loads as a group.

A gzip file that decodes to about 1 GiB is validated with `sluice check` and a
smaller one (about 256 MiB decoded) is loaded with `sluice once`; the peak
resident memory of the sluice process (measured by GNU time, sluice_e2e's
peak_rss_mib) must stay far below the decoded size.
"""

import gzip
import os

from sluice_e2e import SluiceTestCase

# Rows are wide (a 200-character note) so that a big file has few rows and the
# test stays quick; the repeated block compresses to a few MiB.
NOTE = "n" * 200
BLOCK_ROWS = 10_000


def write_gzip_csv(path, decoded_bytes):
    block = "".join(f"{i},{i * 0.5},{NOTE}\n" for i in range(BLOCK_ROWS)).encode()
    rows = 0
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(b"id,value,note\n")
        written = 0
        while written < decoded_bytes:
            f.write(block)
            written += len(block)
            rows += BLOCK_ROWS
    os.utime(path, (0, 0))  # settled long ago
    return rows


class BoundedMemoryTest(SluiceTestCase):
    def test_check_of_a_1_gib_file_stays_small(self):
        path = self.path("big.csv.gz")
        rows = write_gzip_csv(path, 1 << 30)
        code, peak = self.peak_rss_mib("check", path)
        self.assertEqual(code, 0, "check of a clean file must exit 0")
        print(f"\ncheck: {rows} rows, ~1024 MiB decoded, peak RSS {peak:.0f} MiB")
        self.assert_peak_below(peak, 100, "a 1 GiB file")

    def test_load_of_a_256_mib_file_stays_small(self):
        rows = write_gzip_csv(os.path.join(self.data, "wide.csv.gz"), 256 << 20)
        code, peak = self.peak_rss_mib("once", *self.paths_args(), "--settle-ms", "0")
        self.assertEqual(code, 0)
        self.assertEqual(self.count("wide"), rows)
        print(f"\nonce: {rows} rows, ~256 MiB decoded, peak RSS {peak:.0f} MiB")
        # SQLite's page cache (up to 64 MiB) plus a few batches in flight.
        self.assert_peak_below(peak, 160, "a 256 MiB file")

    def test_a_group_of_small_gzip_files_costs_one_file(self):
        # The fixture: 64 gzip files of about 28 KiB that each decode to
        # 18 MB of 2 KB rows, so one batch of a file is 16 MiB. A worker used to
        # open every member and decode its first batch before the group began
        # (1.2 GiB peak); members are now sized by their decoded bytes (these go
        # alone) and read one at a time. Every row has the same key, so the
        # table stays one row and the database small.
        row = ("1," + "x" * 2000 + "\n").encode()
        body = b"id,note\n" + row * 9000
        for i in range(64):
            path = os.path.join(self.data, f"m{i:02d}.csv.gz")
            with gzip.open(path, "wb", compresslevel=9) as f:
                f.write(body)
            os.utime(path, (0, 0))
        packed = sum(os.path.getsize(os.path.join(self.data, n)) for n in os.listdir(self.data))
        code, peak = self.peak_rss_mib("once", *self.paths_args(), "--settle-ms", "0",
                                       "--workers", "1", "--key", "id")
        self.assertEqual(code, 0)
        self.assertEqual(len(self.processed_files()), 64)
        self.assertEqual(self.count("m"), 1)
        print(f"\nonce: 64 gzip files, {packed >> 10} KiB packed, "
              f"{64 * len(body) >> 20} MiB decoded, peak RSS {peak:.0f} MiB")
        # The bound of one file's load, as above.
        self.assert_peak_below(peak, 160, "64 small gzip files")
