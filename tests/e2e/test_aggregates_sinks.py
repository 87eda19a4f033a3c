"""Per-file aggregates on the server sinks: PostgreSQL, ClickHouse and MySQL/MariaDB.
The tests of test_aggregates.py (statistics equal to Python's, `by` groups, filtered
and bad rows left out, none for a quarantined file, exactly once through kill -9),
run once per sink on a fresh database of the server its environment variable
names (skipped without it unless CI=true, like the sink's own module)."""

import unittest

from sluice_e2e import SluiceTestCase
from test_aggregates import AggregatesOnSinks
from test_transforms_sinks import (ClickHouseServer, MySQLServer, PostgresServer,
                                   TransformsOnSinks)


class PostgresAggregatesTest(AggregatesOnSinks, SluiceTestCase):
    SERVER = PostgresServer
    run_checked = TransformsOnSinks.run_checked  # what PostgresServer runs psql with


class ClickHouseAggregatesTest(AggregatesOnSinks, SluiceTestCase):
    SERVER = ClickHouseServer


class MySQLAggregatesTest(AggregatesOnSinks, SluiceTestCase):
    SERVER = MySQLServer
    QUOTE = "`"


if __name__ == "__main__":
    unittest.main()
