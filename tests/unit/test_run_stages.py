"""How `lcw run` names the stage of its one job that failed (pure helpers)."""

from __future__ import annotations

from orchestration.cli.runner import failure_reason, stage_of


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
