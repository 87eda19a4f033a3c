#!/usr/bin/python3
"""The pandas pipeline people write to load CSV files into PostgreSQL or MySQL:
the baseline of bench/postgres.sh and bench/mysql.sh.

    bench/pandas_to_sql.py URL TABLE FILE...

URL is a postgresql:// URL (driven by psycopg2) or a mysql:// or mariadb:// one
(driven by PyMySQL). Each FILE is read with pandas.read_csv (ts parsed as a
timestamp) and appended to TABLE, which must exist, with
DataFrame.to_sql(method='multi', chunksize=10000): multi-row INSERTs through
SQLAlchemy, one transaction per file, one connection for all.
"""

import sys

import pandas
import sqlalchemy


# URL scheme -> SQLAlchemy's dialect and driver.
DRIVERS = {"postgresql": "postgresql+psycopg2", "mysql": "mysql+pymysql",
           "mariadb": "mysql+pymysql"}


def main():
    url, table, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    scheme, rest = url.split("://", 1)
    engine = sqlalchemy.create_engine(DRIVERS[scheme] + "://" + rest)
    with engine.connect() as connection:
        for path in files:
            frame = pandas.read_csv(path, parse_dates=["ts"])
            with connection.begin():
                frame.to_sql(table, connection, if_exists="append", index=False,
                             method="multi", chunksize=10000)
    engine.dispose()


if __name__ == "__main__":
    main()
