"""Parquet files load like any other format: typed columns from the file, bad rows
rejected, nested and damaged files quarantined with a report naming the column or
the structure and byte offset; the PAR1 magic is recognised without the extension."""

import os
import shutil
import unittest

from sluice_e2e import TEST_DATA, SluiceTestCase

DATA = os.path.join(TEST_DATA, "conformance", "parquet-testing", "data")


class ParquetLoadTest(SluiceTestCase):

    def land(self, name, as_name=None):
        dst = self.path("data", as_name or name)
        shutil.copyfile(os.path.join(DATA, name), dst)
        os.utime(dst, (0, 0))  # settled
        return dst

    def test_alltypes_plain_loads_typed(self):
        self.land("alltypes_plain.parquet")
        res = self.once()
        self.assertExit(res, 0)
        rows = self.query("SELECT id, bool_col, int_col, bigint_col, double_col, "
                          "date_string_col, timestamp_col FROM alltypes_plain ORDER BY id")
        self.assertEqual(len(rows), 8)
        self.assertEqual(rows[0], (0, 1, 0, 0, 0.0, "01/01/09", "2009-01-01 00:00:00"))
        self.assertEqual(rows[1], (1, 0, 1, 10, 10.1, "01/01/09", "2009-01-01 00:01:00"))
        self.assertEqual(self.column_types("alltypes_plain")["timestamp_col"].lower(), "timestamp")

    def test_magic_is_recognised_without_extension(self):
        self.land("alltypes_dictionary.parquet", "exported_dictionary.dat")
        res = self.once()
        self.assertExit(res, 0)
        self.assertEqual(self.count("exported_dictionary"), 2)

    def test_nested_file_is_quarantined_naming_the_column(self):
        self.land("nested_lists.snappy.parquet")
        res = self.once()
        self.assertExit(res, 2)
        report = self.error_report("nested_lists.snappy.parquet")
        self.assertIn("'a.list.element.list.element.list.element' is nested", str(report))

    def test_truncated_file_is_quarantined_naming_the_structure(self):
        dst = self.path("data", "cut.parquet")
        with open(os.path.join(DATA, "alltypes_plain.parquet"), "rb") as f:
            data = f.read()
        with open(dst, "wb") as f:
            f.write(data[:-100])
        os.utime(dst, (0, 0))
        res = self.once()
        self.assertExit(res, 2)
        self.assertIn("magic at byte", str(self.error_report("cut.parquet")))


if __name__ == "__main__":
    unittest.main()
