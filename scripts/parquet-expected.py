#!/usr/bin/env python3
"""Regenerates tests/data/conformance/parquet-expected/: DuckDB's reading of every
Parquet file in tests/data/conformance/parquet-testing/data/, the oracle that
tests/format/parquet_conformance_test.cc compares sluice's reading with.

One JSON file per Parquet file: {"types": [DuckDB type per column],
"columns": [...], "rows": [[cell as DuckDB's VARCHAR text, or null], ...]}.
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

for path in sorted(data.glob("*.parquet")):
    source = "read_parquet('%s')" % str(path).replace("'", "''")
    sql = "DESCRIBE SELECT * FROM %s; SELECT COLUMNS(*)::VARCHAR FROM %s;" % (source, source)
    run = subprocess.run([str(root / "scripts/duckdb.sh"), "-c", sql], capture_output=True,
                         text=True)
    if run.returncode == 77:
        sys.exit(run.stderr)
    if run.returncode != 0:
        print("%s: DuckDB cannot read it: %s" % (path.name, run.stderr.strip()[:200]))
        continue
    results = json.loads(run.stdout)["results"]
    described, rows = results[0], results[1]
    expected = {
        "columns": [r[0] for r in described["rows"]],
        "types": [r[1] for r in described["rows"]],
        "rows": rows["rows"],
    }
    (out / (path.stem + ".json")).write_text(json.dumps(expected, ensure_ascii=False) + "\n")
    print("%s: %d rows" % (path.name, len(rows["rows"])))
