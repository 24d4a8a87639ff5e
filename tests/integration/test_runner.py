"""How `lcw run` reads the outcome of a Dagster run it executed in process."""

from __future__ import annotations

from dagster import DagsterInstance, In, Nothing, Out, job, op

from orchestration.cli.runner import skipped_steps


@op(out=Out(Nothing, is_required=False))
def dbt_without_an_event():
    """Like dagster-dbt when one model's event never reached it: that output is not yielded."""
    yield from ()


@op(ins={"start": In(Nothing)})
def publish() -> None:
    raise AssertionError("never runs: its input never came")


@job
def build() -> None:
    publish(dbt_without_an_event())


def test_a_successful_run_that_skipped_its_publish_is_noticed() -> None:
    with DagsterInstance.ephemeral() as instance:
        result = build.execute_in_process(instance=instance)
    assert result.success  # Dagster calls it a success ...
    (skipped,) = skipped_steps(result)  # ... but the publish never ran
    assert "publish" in skipped
