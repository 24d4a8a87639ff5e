"""The project's Dagster storage: Dagster's SQLite storage, except that a batch of asset events
is written in one transaction per database file instead of one connection per event.

Why: a run over a range of export dates materialises each ingestion asset once per date, so a
year's backfill stores 6 × 365 materialisation events. Dagster's SQLite event log opens a new
database engine, and commits, twice for each of them (the run's file, then the cross-run index),
about 30 ms an event here: 13 s for one asset's 365 dates, against 3 s in one batch.

Dagster buffers a step's asset events and hands them to `store_event_batch` when the
environment variable DAGSTER_EVENT_BATCH_SIZE is above 0 (`EVENT_BATCH_SIZE`: `lcw run` sets it
for a range of dates; set it for `dagster dev` too). Dagster's SQLite storage inherits a
`store_event_batch` that stores the events one by one; this one writes the same rows, the way
its `store_event` does, with one transaction for the index and one for the run's file. Events
of any other kind, or a batch that mixes runs, go through Dagster's own path unchanged.

`dagster.yaml` names `ProjectSqliteStorage` as the instance's storage. Its files are Dagster's
SQLite layout under the same `base_dir`, so an instance written before keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster._core.events import ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlalchemy_compat import db_result
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory

# The value `lcw run` gives DAGSTER_EVENT_BATCH_SIZE: more than the asset events of any step
# (one per export date), so a step's events are one batch.
EVENT_BATCH_SIZE = "10000"


class BatchingSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log, with a `store_event_batch` that writes a batch of asset events
    in two transactions (see the module docstring)."""

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        if len({event.run_id for event in events}) != 1 or not all(
            event.is_dagster_event and event.dagster_event_type in ASSET_EVENTS for event in events
        ):
            super().store_event_batch(events)
            return
        inserts = [self.prepare_insert_event(event) for event in events]
        # The index first: should it fail, nothing is written, and Dagster falls back to storing
        # the events one by one. The run's file follows, as `store_event` writes both.
        with self.index_transaction() as conn:
            event_ids = []
            for insert in inserts:
                with db_result(conn, insert) as result:
                    event_ids.append(result.inserted_primary_key[0])
            self._store_asset_event_tags(conn, events, event_ids)
            for event, event_id in zip(events, event_ids, strict=True):
                self._store_asset_event(conn, event, event_id)
        with self.run_connection(events[0].run_id) as conn:
            for insert in inserts:
                conn.execute(insert)


class ProjectSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (runs, event log, schedules under `base_dir`) with the batching
    event log."""

    def __init__(self, base_dir: str, inst_data=None) -> None:
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = BatchingSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> ProjectSqliteStorage:  # ty: ignore[invalid-method-override]
        return cls(inst_data=inst_data, **config_value)


def storage_config(base_dir: str) -> dict:
    """The instance's `storage` entry for this storage under `base_dir` (as in dagster.yaml)."""
    return {
        "custom": {
            "module": __name__,
            "class": ProjectSqliteStorage.__name__,
            "config": {"base_dir": base_dir},
        }
    }
