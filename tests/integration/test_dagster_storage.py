"""The project's Dagster storage records a range run's asset events exactly as Dagster's own
SQLite storage does, and writes them as one batch (orchestration/dagster_storage.py)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.ref import InstanceRef

from orchestration.cli.runner import EVENT_BATCH_SIZE_VARIABLE
from orchestration.dagster_storage import (
    EVENT_BATCH_SIZE,
    BatchingSqliteEventLogStorage,
    storage_config,
)
from orchestration.defs.partitions import partition_range_tags

DAYS = dg.DailyPartitionsDefinition(start_date="2021-06-01", end_date="2021-06-11")
KEY = dg.AssetKey(["raw", "sample"])


@dg.asset(key=KEY, partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def sample(context):
    # As the ingestion assets do: one result for the range, recorded on each of its partitions.
    return dg.MaterializeResult(
        metadata={"days": len(context.partition_keys)}, data_version=dg.DataVersion("v1")
    )


def _what_the_instance_holds(base: Path, storage: dict) -> dict:
    base.mkdir()
    ref = InstanceRef.from_dir(str(base), overrides={"storage": storage})
    with dg.DagsterInstance.from_ref(ref) as instance:
        result = dg.materialize(
            [sample], instance=instance, tags=partition_range_tags("2021-06-02", "2021-06-09")
        )
        assert result.success
        records = instance.fetch_materializations(KEY, limit=100).records
        latest = instance.get_latest_materialization_event(KEY)
        return {
            "partitions": sorted(instance.get_materialized_partitions(KEY)),
            "events": sorted(
                (r.partition_key, dict(r.asset_materialization.metadata)) for r in records
            ),
            "data_versions": sorted(
                (r.partition_key, r.asset_materialization.tags.get("dagster/data_version"))
                for r in records
            ),
            "latest": latest.dagster_event.partition if latest else None,
            "run_log": sorted(str(e.dagster_event_type) for e in instance.all_logs(result.run_id)),
            "asset_keys": instance.get_asset_keys(),
            "indexed_tags": sorted(
                sorted(tags.items()) for tags in instance.get_event_tags_for_asset(KEY)
            ),
        }


def test_a_range_runs_asset_events_are_stored_as_dagster_stores_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(EVENT_BATCH_SIZE_VARIABLE, EVENT_BATCH_SIZE)
    one_by_one = []
    original = BatchingSqliteEventLogStorage.store_event

    def store_event(self, event):  # counts the asset events that miss the batch
        if event.is_dagster_event and event.dagster_event.asset_key == KEY:
            one_by_one.append(event.dagster_event_type)
        return original(self, event)

    monkeypatch.setattr(BatchingSqliteEventLogStorage, "store_event", store_event)
    ours = _what_the_instance_holds(
        tmp_path / "ours", storage_config(str(tmp_path / "ours" / "storage"))
    )
    dagsters = _what_the_instance_holds(
        tmp_path / "dagster", {"sqlite": {"base_dir": str(tmp_path / "dagster" / "storage")}}
    )

    assert ours["partitions"] == [f"2021-06-{d:02d}" for d in range(2, 10)]
    assert ours == dagsters
    # The planned events and the 8 materialisations were all stored as batches, none alone.
    assert one_by_one == []
