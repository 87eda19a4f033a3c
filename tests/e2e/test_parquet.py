"""Parquet files load like any other format: typed columns from the file, nested
columns as JSON text, bad rows rejected, damaged files (and nestings without a JSON
form) quarantined with a report naming the structure and byte offset (or the
column); the PAR1 magic is recognised without the extension."""

import json
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
        types = {k: v.lower() for k, v in self.column_types("alltypes_plain").items()}
        self.assertEqual(types["timestamp_col"], "timestamp")
        # string_col is a byte array of digits: the file's type (string) wins.
        self.assertEqual(types["string_col"], types["date_string_col"])
        self.assertEqual(self.query("SELECT typeof(string_col) FROM alltypes_plain LIMIT 1"),
                         [("text",)])

    def test_infer_prints_the_files_types(self):
        path = self.land("alltypes_plain.parquet")
        res = self.sluice("infer", path)
        self.assertExit(res, 0)
        self.assertIn("name: string_col\n    type: string", res.stdout)
        self.assertIn("name: timestamp_col\n    type: timestamp", res.stdout)

    def test_magic_is_recognised_without_extension(self):
        self.land("alltypes_dictionary.parquet", "exported_dictionary.dat")
        res = self.once()
        self.assertExit(res, 0)
        self.assertEqual(self.count("exported_dictionary"), 2)

    def test_nested_columns_load_as_json_equal_to_duckdbs(self):
        # DuckDB writes lists (null, empty, with null elements), maps with integer
        # keys, structs with nested lists, and strings that need escaping.
        dst = self.path("data", "nested.parquet")
        select = ("SELECT * FROM (VALUES "
                  "(1, [1, NULL, 3], MAP {1: 'a\"b', 2: NULL}, {'x': 'new\nline', 'y': [1.5]}), "
                  "(2, [], MAP {}, {'x': NULL, 'y': []}), "
                  "(3, NULL, NULL, NULL), "
                  "(4, [NULL], MAP {3: ''}, {'x': '', 'y': NULL})"
                  ") t(id, l, m, s)")
        select = select.replace("\n", "' || chr(10) || '")
        self.duckdb("COPY (%s) TO '%s' (FORMAT parquet)" % (select, dst))
        os.utime(dst, (0, 0))
        want = self.duckdb("SELECT id, to_json(l)::VARCHAR, to_json(m)::VARCHAR, "
                           "to_json(s)::VARCHAR FROM read_parquet('%s') ORDER BY id" % dst)[0]
        res = self.once()
        self.assertExit(res, 0)
        got = self.query("SELECT id, l, m, s FROM nested ORDER BY id")
        self.assertEqual(len(got), 4)
        for g, w in zip(got, want):
            self.assertEqual(g[0], int(w[0]))
            for cell, expected in zip(g[1:], w[1:]):
                if expected is None:
                    self.assertIsNone(cell, g)
                else:
                    self.assertEqual(json.loads(cell), json.loads(expected), g)
        # NULL list, empty list and list of one NULL stay distinct.
        self.assertEqual([r[1] for r in got], ["[1,null,3]", "[]", None, "[null]"])

    def test_typed_columns_reject_rows_with_their_text_past_the_first_batch(self):
        # Typed columns skip their text after the first batch; a rejected row's
        # text is made again, as the reader gives it, and the good rows load.
        dst = self.path("data", "typed.parquet")
        self.duckdb("COPY (SELECT i AS id, CASE WHEN i = 700 THEN 9000 ELSE i END AS n, "
                    "CASE WHEN i = 800 THEN 'nan'::DOUBLE ELSE i / 8.0 END AS f, "
                    "TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_microseconds(i * 1500001) AS ts, "
                    "DATE '2000-01-01' + i::INTEGER AS d, i %% 2 = 0 AS b "
                    "FROM range(1000) t(i)) TO '%s' (FORMAT parquet)" % dst)
        os.utime(dst, (0, 0))
        schema = self.path("typed.schema.yaml")
        with open(schema, "w") as f:
            f.write("columns:\n"
                    "  - {name: id, type: integer, nullable: false}\n"
                    "  - {name: n, type: integer, max: 5000}\n"
                    "  - {name: f, type: float}\n"
                    "  - {name: ts, type: timestamp}\n"
                    "  - {name: d, type: date}\n"
                    "  - {name: b, type: boolean}\n")
        self.assertExit(self.once("--schema", schema, "--max-rejects", "5"), 0)
        self.assertEqual(self.count("typed"), 998)
        self.assertEqual(self.query("SELECT n, f, ts, d, b FROM typed WHERE id = 701"),
                         [(701, 87.625, "2026-01-01 00:17:31.500701", "2001-12-02", 0)])
        rejects = self.rejects("typed.parquet")
        self.assertEqual([(r["line"], r["column"], r["kind"]) for r in rejects],
                         [(701, "n", "range"), (801, "f", "type")])
        self.assertEqual(rejects[0]["reason"], 'column "n": 9000 is above max 5000')
        self.assertEqual(rejects[0]["raw"],
                         "700,9000,87.5,2026-01-01T00:17:30.000700Z,2001-12-01,true")
        self.assertEqual(rejects[1]["reason"], 'column "f": "NaN" is not a float')
        self.assertEqual(rejects[1]["raw"],
                         "800,800,NaN,2026-01-01T00:20:00.000800Z,2002-03-11,true")

    def test_a_file_of_page_sized_column_chunks_loads_and_archives_within_200_mib(self):
        # DuckDB writes a row group's chunk of long strings as one page: here two
        # row groups of 122,880 512-character values, a 63 MiB page each (33 MiB
        # compressed). Held whole in both forms, beside the archive's row group
        # and SQLite's cache, the load took 279 MiB; the page is now decompressed
        # as it is read and the archive's row group is at most 32 MiB of pages.
        dst = self.path("data", "long.parquet")
        md5s = ", ".join("md5(i::VARCHAR || '-%d')" % k for k in range(16))
        self.duckdb("COPY (SELECT i AS id, concat(%s) AS payload FROM range(245760) t(i)) "
                    "TO '%s' (FORMAT parquet, COMPRESSION zstd)" % (md5s, dst))
        os.utime(dst, (0, 0))
        code, peak = self.peak_rss_mib("once", *self.paths_args(), "--settle-ms", "0",
                                       "--after-load", "parquet")
        print(f"\n2 row groups of one 63 MiB page, into SQLite and the archive: "
              f"peak RSS {peak:.0f} MiB")
        self.assertEqual(code, 0)
        self.assertEqual(self.count("long"), 245760)
        self.assertEqual(self.query("SELECT length(payload), substr(payload, 1, 32) FROM long "
                                    "WHERE id = 245759"),
                         [tuple(r) for r in self.duckdb("SELECT 512, md5('245759-0')")[0]])
        archived = os.path.join(self.processed, "long.parquet")
        self.assertTrue(os.path.exists(archived), os.listdir(self.processed))
        self.assertEqual(self.duckdb("SELECT count(*), count(DISTINCT payload) FROM "
                                     "read_parquet('%s')" % archived)[0], [["245760", "245760"]])
        self.assert_peak_below(peak, 200, "a file of page-sized column chunks")

    def test_map_without_values_is_quarantined_naming_the_column(self):
        self.land("map_no_value.parquet")
        res = self.once()
        self.assertExit(res, 2)
        report = self.error_report("map_no_value.parquet")
        self.assertIn("column 'my_map_no_v' is nested in a form sluice cannot load as JSON",
                      str(report))

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
