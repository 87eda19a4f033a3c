#!/usr/bin/env python3
"""Regenerates tests/data/conformance/parquet-expected/: DuckDB's reading of every
Parquet file in tests/data/conformance/parquet-testing/data/, the oracle that
tests/format/parquet_conformance_test.cc compares sluice's reading with.

One JSON file per Parquet file: {"types": [DuckDB type per column],
"columns": [...], "rows": [[cell as DuckDB's VARCHAR text, or null], ...]}; a nested
column (list, map, struct) as DuckDB's to_json of it.
DuckDB comes from npm through scripts/duckdb.sh (installed into a cache folder on
first use). Files DuckDB cannot read (encrypted ones) get no JSON.

    scripts/parquet-expected.py
"""
import json
import pathlib
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
data = root / "tests/data/conformance/parquet-testing/data"
out = root / "tests/data/conformance/parquet-expected"
out.mkdir(parents=True, exist_ok=True)



def duckdb(sql):
    run = subprocess.run([str(root / "scripts/duckdb.sh"), "-c", sql], capture_output=True,
                         text=True)
    if run.returncode == 77:
        sys.exit(run.stderr)
    return run


def nested(type_):
    return type_.endswith("]") or type_.startswith(("STRUCT(", "MAP("))


for path in sorted(data.glob("*.parquet")):
    source = "read_parquet('%s')" % str(path).replace("'", "''")
    run = duckdb("DESCRIBE SELECT * FROM %s;" % source)
    if run.returncode != 0:
        print("%s: DuckDB cannot read it: %s" % (path.name, run.stderr.strip()[:200]))
        continue
    described = json.loads(run.stdout)["results"][0]
    cells = []
    for name, type_ in ((r[0], r[1]) for r in described["rows"]):
        quoted = '"%s"' % name.replace('"', '""')
        cells.append(("to_json(%s)::VARCHAR" if nested(type_) else "%s::VARCHAR") % quoted)
    run = duckdb("SELECT %s FROM %s;" % (", ".join(cells), source))
    if run.returncode != 0:
        print("%s: DuckDB cannot read it: %s" % (path.name, run.stderr.strip()[:200]))
        continue
    rows = json.loads(run.stdout)["results"][0]
    expected = {
        "columns": [r[0] for r in described["rows"]],
        "types": [r[1] for r in described["rows"]],
        "rows": rows["rows"],
    }
    (out / (path.stem + ".json")).write_text(json.dumps(expected, ensure_ascii=False) + "\n")
    print("%s: %d rows" % (path.name, len(rows["rows"])))
