#!/usr/bin/python3
"""The reference pandas pipeline of bench/transforms.sh: one CSV file of the
sensor data transformed and loaded into SQLite or PostgreSQL with its per-file
metrics, as people write it without sluice.

    bench/pandas_transforms.py DB FILE

DB is the path of a SQLite database or a postgresql:// URL (driven by psycopg2).

Does the work of bench/transforms.sh's sluice configuration: read_csv (NA and the
empty string as missing), whitespace trimmed and status lower-cased, the derived
columns temperature_k = temperature + 273.15, day = date(ts) and
ratio = humidity / pressure, the rows with status 'maintenance' left out; then
groupby(...).describe() of temperature_k, humidity and pressure for the file, and
to_sql of the rows (table readings) and of the metrics (table readings_file_stats,
one row per column: count, min, max, mean, std) into DB in one transaction,
through SQLAlchemy, with to_sql's default settings (pandas makes both tables).
"""

import os
import sys

import pandas
import sqlalchemy

COLUMNS = ["temperature_k", "humidity", "pressure"]


def main():
    db, path = sys.argv[1], sys.argv[2]
    name = os.path.basename(path)
    frame = pandas.read_csv(path, na_values=["", "NA"], keep_default_na=False,
                            skipinitialspace=True)
    frame["status"] = frame["status"].str.strip().str.lower()
    frame["ts"] = pandas.to_datetime(frame["ts"], utc=True)
    frame["temperature_k"] = frame["temperature"] + 273.15
    frame["day"] = frame["ts"].dt.date
    frame["ratio"] = frame["humidity"] / frame["pressure"]
    frame = frame[frame["status"] != "maintenance"]
    frame["_file"] = name

    described = frame.groupby("_file")[COLUMNS].describe()
    metrics = described.stack(level=0).reset_index()
    metrics = metrics.rename(columns={"level_1": "column", "std": "stddev"})
    metrics = metrics[["_file", "column", "count", "min", "max", "mean", "stddev"]]
    metrics["count"] = metrics["count"].astype("int64")

    if db.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + db[len("postgresql://"):]
    else:
        url = "sqlite:///" + db
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        frame.to_sql("readings", connection, if_exists="append", index=False)
        metrics.to_sql("readings_file_stats", connection, if_exists="append", index=False)
    engine.dispose()


if __name__ == "__main__":
    main()
