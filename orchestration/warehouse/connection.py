"""Opening a DuckDB database with the project's options, the spill cap included.

DuckDB does not enforce a `max_temp_directory_size` given in the connect-time config (reported
for 1.5.4, checked here on 2.0.0): `current_setting` echoes it, but the buffer manager keeps its
default cap (90% of the free disk), so a too-big job fills the disk. A `SET` on the open database
is enforced. Every connection of ours that writes the warehouse gets the cap from here (Dagster's
resource through `set_after_open`, the Spark publish through `connect`); dbt gets it as a
profile `settings` entry, which dbt-duckdb SETs on each cursor.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

# Options that take effect only when SET on an open database.
SET_AFTER_OPEN = ("max_temp_directory_size",)


def set_after_open(conn: duckdb.DuckDBPyConnection, config: Mapping[str, str]) -> None:
    """SET the options of SET_AFTER_OPEN that `config` names on the open `conn`."""
    for name in SET_AFTER_OPEN:
        if name in config:
            conn.execute(f"SET {name} = $value", {"value": config[name]})


def connect(database: str, config: Mapping[str, str]) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect(database, config=config)`, with the options of SET_AFTER_OPEN enforced."""
    conn = duckdb.connect(database, config=dict(config))
    set_after_open(conn, config)
    return conn
