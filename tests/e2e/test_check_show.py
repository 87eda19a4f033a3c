"""`sluice check FILE --show N`: the first rows as they would load (after
normalize, validation, derive, filter and drop) as an aligned table, the rows the
filter skips and the bad rows, with the exact text printed; nothing is loaded."""

import os
import unittest

from sluice_e2e import SluiceTestCase
from test_transforms import RULE, SENSORS


class CheckShowTest(SluiceTestCase):

    def config(self, body):
        p = self.path("sluice.yaml")
        with open(p, "w") as f:
            f.write(f"sink: sqlite:{self.db}\nledger: {self.ledger}\n" + body)
        return p

    def check(self, cfg, name, content, *extra):
        path = self.put(name, content)
        res = self.sluice("check", "-c", cfg, path, *extra, cwd=self.ws)
        return res, path

    def test_the_issues_example_shows_the_rows_as_loaded(self):
        cfg = self.config(RULE)
        res, f = self.check(cfg, "sensors_1.csv", SENSORS, "--show", "2")
        self.assertExit(res, 0)
        self.assertEqual(res.stdout, f"""\
{f}: table sensors, the first 2 of the 3 rows that would load:
line  sensor_id  ts                   temperature  status       event_ms  temperature_k  day         event_date
      string     timestamp                  float  string        integer          float  date        date
----  ---------  -------------------  -----------  ------  -------------  -------------  ----------  ----------
   2  s1         2026-11-01 10:00:00         20.5  ok      1764000000000         293.65  2026-11-01  2025-11-24
   5  s4         2026-11-01 23:00:00           10  fail    1764028800000         283.15  2026-11-01  2025-11-25
{f}: 2 rows skipped by the filter:
{f}:3: s2,2026-11-01T23:59:59Z,NA,ok,1764000000000,bbb
{f}:4: s3,2026-11-02T00:00:00Z,-3,maintenance,1764000000000,ccc
{f}: 5 rows read, 0 bad, 2 skipped by the filter; would load
""")  # noqa: E501
        # Nothing was loaded, created or moved.
        self.assertFalse(os.path.exists(self.db))
        self.assertFalse(os.path.exists(self.ledger))
        self.assertEqual(self.data_files(), ["sensors_1.csv"])

    def test_only_n_of_each_are_listed(self):
        cfg = self.config(RULE)
        res, f = self.check(cfg, "sensors_1.csv", SENSORS, "--show", "1")
        self.assertExit(res, 0)
        lines = res.stdout.splitlines()
        self.assertEqual(lines[0],
                         f"{f}: table sensors, the first 1 of the 3 rows that would load:")
        self.assertTrue(lines[4].startswith("   2  s1 "), lines)
        self.assertEqual(lines[5:], [
            f"{f}: 2 rows skipped by the filter, the first 1:",
            f"{f}:3: s2,2026-11-01T23:59:59Z,NA,ok,1764000000000,bbb",
            f"{f}: 5 rows read, 0 bad, 2 skipped by the filter; would load"])

    def test_nulls_empty_strings_multibyte_text_and_control_characters(self):
        cfg = self.config("""defaults:
  max_rejects: 5
  normalize: {null_values: ["NA"]}
  derive:
    - name: per_unit
      expr: "price / qty"
    - name: shout
      expr: "upper(name)"
  filter: "qty >= 0"
  drop: [note]
""")
        long = "x" * 60
        content = ('name,qty,price,note\n'
                   'caf\u00e9,2,5,a\n'
                   '\u65e5\u672c\u8a9e,4,1,b\n'
                   'NA,1,1,c\n'
                   '"",1,2,d\n'
                   '"tab\there",1,3,e\n'
                   f'{long},1,4,f\n'
                   'zero,0,1,g\n'
                   'neg,-1,1,h\n')
        res, f = self.check(cfg, "items.csv", content, "--show", "10")
        self.assertExit(res, 0)
        cut = "x" * 39 + "\u2026"  # 40 columns
        # upper() changes ASCII letters only (docs/transforms.md).
        self.assertEqual(res.stdout, f"""\
{f}: table items, the first 6 of the 6 rows that would load:
line  name                                          qty    price  per_unit  shout
      string                                    integer  integer   integer  string
----  ----------------------------------------  -------  -------  --------  ----------------------------------------
   2  caf\u00e9                                            2        5         2  CAF\u00e9
   3  \u65e5\u672c\u8a9e                                          4        1         0  \u65e5\u672c\u8a9e
   4  NULL                                            1        1         1  NULL
   5  ""                                              1        2         2  ""
   6  tab\\there                                       1        3         3  TAB\\tHERE
   7  {cut}        1        4         4  {cut.upper()}
{f}: 1 row skipped by the filter:
{f}:9: neg,-1,1,h
{f}:8: per_unit: {cfg}: defaults: derive 'per_unit' "price / qty": division by zero [transform: correct the value, or make the expression handle it (case when, nullif, coalesce)]
{f}: 8 rows read, 1 bad, 1 skipped by the filter; would load
""")  # noqa: E501

    def test_bad_rows_past_the_threshold_would_not_load(self):
        cfg = self.config('defaults:\n  derive: [{name: r, expr: "a / b"}]\n')
        res, f = self.check(cfg, "t.csv", "a,b\n1,1\n1,0\n", "--show", "5")
        self.assertExit(res, 2)
        self.assertIn(f"{f}:3: r: ", res.stdout)
        self.assertIn("division by zero [transform: ", res.stdout)
        self.assertTrue(res.stdout.endswith(f"{f}: 2 rows read, 1 bad; would NOT load\n"),
                        res.stdout)

    def test_a_declared_schema_types_the_table(self):
        schema = self.path("t.schema.yaml")
        with open(schema, "w") as fh:
            fh.write("columns:\n  - name: id\n    type: string\n  - name: at\n    type: date\n")
        cfg = self.config(f'defaults:\n  schema: {schema}\n'
                          '  derive: [{name: next, expr: "at + 1"}]\n')
        res, f = self.check(cfg, "t.csv", "id,at\n007,2026-02-28\n", "--show", "5")
        self.assertExit(res, 0)
        self.assertEqual(res.stdout.splitlines()[1:5], [
            "line  id      at          next",
            "      string  date        date",
            "----  ------  ----------  ----------",
            "   2  007     2026-02-28  2026-03-01"])


if __name__ == "__main__":
    unittest.main()
