"""How `lcw run` names the stage of its one job that failed, and how the landing sensor groups
the dates it requests (pure helpers)."""

from __future__ import annotations

from orchestration.cli.runner import (
    EVENT_BATCH_SIZE_VARIABLE,
    PLANNED_EVENT_PER_ASSET,
    cause_line,
    failure_reason,
    range_run_environment,
    stage_of,
)
from orchestration.defs.automation import consecutive_ranges, landing_run_requests


def test_each_step_of_the_one_job_has_its_stage() -> None:
    assert stage_of("raw__orders", "published__marts") == "ingestion"
    assert stage_of("warehouse_dbt", "published__marts") == "dbt build"
    assert stage_of("published__marts", "published__marts") == "publishing"


def test_the_reason_names_failed_checks_before_the_step_error() -> None:
    step = "step warehouse_dbt failed: dbt exited with 1"
    assert failure_reason("dbt build", ["marts/gmv_daily:unique_day"], step) == (
        "dbt tests failed: marts/gmv_daily:unique_day"
    )
    assert failure_reason(
        "ingestion", ["raw/orders:reject_ratio_within_threshold (x=1)"], step
    ) == ("checks failed: raw/orders:reject_ratio_within_threshold (x=1)")
    assert failure_reason("publishing", [], step) == step


def test_a_failed_dbt_process_is_named_by_its_errors_not_its_command() -> None:
    """The shape of dagster-dbt's error (as the 100 M build that filled the disk logged it): the
    line keeps the model and DuckDB's message, drops the command, and says what to do."""
    message = (
        'The dbt CLI process with command\n\n`dbt build --vars {"warehouse_path": "/w.duckdb"}'
        " --exclude-resource-type unit_test`\n\nfailed with exit code `1`. Check the stdout in "
        "the Dagster compute logs.\n\nErrors parsed from dbt logs:\n\n66 of 160 ERROR creating "
        "sql incremental model intermediate.int_order_sequences\n  IO Error: Could not write "
        'file "/w.spill/duckdb_temp_1.tmp": No space left on device'
    )
    line = cause_line(message)
    assert line.startswith("66 of 160 ERROR creating sql incremental model intermediate.")
    assert "No space left on device (DuckDB ran out of memory or of room to spill" in line
    assert "LCW_DUCKDB_MAX_SPILL" in line and "--vars" not in line
    assert cause_line("Binder Error: column x not found") == "Binder Error: column x not found"


def test_new_dates_are_requested_as_ranges_of_consecutive_days() -> None:
    assert consecutive_ranges(["2021-06-04", "2021-06-01", "2021-06-02", "2021-07-01"]) == [
        ("2021-06-01", "2021-06-02"), ("2021-06-04", "2021-06-04"), ("2021-07-01", "2021-07-01"),
    ]  # fmt: skip
    assert consecutive_ranges(["2020-12-31", "2021-01-01"]) == [("2020-12-31", "2021-01-01")]
    versions = {"2021-06-01": "a", "2021-06-02": "b", "2021-06-03": "c"}
    # Only the date whose version changed since it was requested; the key names its version.
    [request] = landing_run_requests(versions, {**versions, "2021-06-02": "old"})
    assert request.tags["dagster/asset_partition_range_start"] == "2021-06-02"
    assert request.tags["dagster/asset_partition_range_end"] == "2021-06-02"
    assert landing_run_requests(versions, versions) == []


def test_a_range_of_dates_plans_one_event_per_asset_and_stores_events_in_batches(
    monkeypatch,
) -> None:
    monkeypatch.delenv(PLANNED_EVENT_PER_ASSET, raising=False)
    monkeypatch.delenv(EVENT_BATCH_SIZE_VARIABLE, raising=False)
    assert range_run_environment(1) == {}  # a day's run: Dagster's defaults
    assert range_run_environment(2) == {
        PLANNED_EVENT_PER_ASSET: "true",
        EVENT_BATCH_SIZE_VARIABLE: "10000",
    }
    monkeypatch.setenv(PLANNED_EVENT_PER_ASSET, "false")  # the user's own choice stands
    monkeypatch.setenv(EVENT_BATCH_SIZE_VARIABLE, "0")
    assert range_run_environment(365) == {}
