"""The lower-bound benchmark (benchmarks/lower_bound.py) is a guard, not a second check of the
marts: its script is generated from the compiled dbt models, so it shares their logic (and their
mistakes; the independent check is tests/oracle/). These tests keep the benchmark honest:
the script generated from the dbt project as it is now runs, and from the landing files alone it
computes every mart `lcw run` builds, row for row, so the pipeline is timed against the same
work."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import duckdb
import pytest
from helpers import REPO_ROOT, run_command


def load_benchmark():
    """benchmarks/ is a folder of scripts, not a package: load the runner from its file."""
    path = REPO_ROOT / "benchmarks" / "lower_bound.py"
    spec = importlib.util.spec_from_file_location("lower_bound", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mart_names(database: Path) -> set[str]:
    with duckdb.connect(str(database), read_only=True) as conn:
        rows = conn.execute("select table_name from duckdb_tables() where schema_name = 'marts'")
        return {name for (name,) in rows.fetchall()}


def columns_and_rows(database: Path, mart: str) -> tuple[list[tuple[str, str]], list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as conn:
        cursor = conn.execute(f"select * from marts.{mart}")
        rows = cursor.fetchall()
        columns = conn.execute(
            "select column_name, data_type from duckdb_columns() "
            "where schema_name = 'marts' and table_name = ? order by column_index",
            [mart],
        ).fetchall()
    return columns, rows


def sort_key(row: tuple) -> tuple:
    """Rows sorted by their non-double values (the grain is never a double), NULLs first."""
    return tuple((v is not None, v) for v in row if not isinstance(v, float))


def same_value(actual: object, expected: object) -> bool:
    """Money (Decimal), counts, dates and text exactly; doubles within 1e-9."""
    if isinstance(actual, float) and isinstance(expected, float):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)
    return type(actual) is type(expected) and actual == expected


@pytest.fixture(scope="module")
def lower_bound_database(simulated_landing: Path, tmp_path_factory: pytest.TempPathFactory):
    database = tmp_path_factory.mktemp("lower_bound") / "lower_bound.duckdb"
    figures = load_benchmark().run_lower_bound(simulated_landing, database, memory_limit="2GB")
    assert figures["wall_seconds"] > 0 and figures["peak_rss_bytes"] > 0
    return database


def test_smoke_run() -> None:
    """The CLI runs on a tiny simulated landing (its figures are not asserted)."""
    result = run_command(["python", "benchmarks/lower_bound.py", "--smoke"])
    assert result.returncode == 0, result.stderr
    assert "marts.headline_figures" in result.stdout
    assert "wall time (s)" in result.stdout and "peak RSS (MiB)" in result.stdout


def test_every_dbt_mart_is_computed(lower_bound_database: Path, e2e_warehouse: Path) -> None:
    assert mart_names(lower_bound_database) == mart_names(e2e_warehouse)


@pytest.mark.parametrize(
    "mart",
    [
        "fct_orders", "gmv_daily", "repurchase_rate", "returning_buyers_monthly",
        "private_domain_share_monthly", "cohort_retention", "fct_livestream_sessions",
        "gmv_decomposition_monthly", "enforcement_daily", "enforcement_monthly",
        "fan_tier_monthly", "trust_card_impact", "festival_gmv", "gmv_monthly_by_dimension",
        "enforcement_commerce_monthly", "headline_figures", "dim_shop_trust_rights",
        "fct_enforcement_actions", "dim_streamers", "dim_shops", "dim_fan_tiers",
        "period_coverage",
    ],
)  # fmt: skip
def test_mart_equals_dbt_mart(mart: str, lower_bound_database: Path, e2e_warehouse: Path) -> None:
    columns, actual = columns_and_rows(lower_bound_database, mart)
    expected_columns, expected = columns_and_rows(e2e_warehouse, mart)
    assert columns == expected_columns, f"{mart}: columns or types differ"
    assert expected, f"{mart}: the simulated data should exercise every mart"
    assert len(actual) == len(expected), f"{mart}: row counts differ"
    names = [name for name, _ in columns]
    for actual_row, expected_row in zip(
        sorted(actual, key=sort_key), sorted(expected, key=sort_key), strict=True
    ):
        for name, a, e in zip(names, actual_row, expected_row, strict=True):
            assert same_value(a, e), f"{mart} {expected_row}: {name} is {a!r}, dbt has {e!r}"
