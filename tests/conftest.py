"""Shared fixtures: the real `lcw` CLI, the real dbt CLI and real DuckDB files under tmp dirs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = Path(sys.executable).parent

# A small simulated platform over the 616 festival and a month boundary (June → July 2021).
E2E_START = date(2021, 6, 10)
E2E_DAYS = 22
E2E_SEED = 11
E2E_SCALE = 0.08


def run_command(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command from the project's virtualenv (lcw, dbt, dagster) and capture its output."""
    completed = subprocess.run(
        [str(BIN_DIR / args[0]), *args[1:]],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
    )
    return completed


def lcw(*args: str) -> subprocess.CompletedProcess[str]:
    return run_command(["lcw", *args])


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """The dbt manifest, prepared explicitly as `lcw prepare` does (never at import time)."""
    result = lcw("prepare")
    assert result.returncode == 0, result.stderr
    return REPO_ROOT / "dbt_project" / "target" / "manifest.json"


@pytest.fixture(scope="session")
def simulated_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from orchestration.simulation.edge_cases import simulate

    landing = tmp_path_factory.mktemp("e2e") / "landing"
    simulate(landing, E2E_START, E2E_DAYS, seed=E2E_SEED, scale=E2E_SCALE)
    return landing


@pytest.fixture(scope="session")
def e2e_warehouse(simulated_landing: Path, dbt_manifest: Path) -> Path:
    """The simulated landing run once through `lcw run` into a fresh warehouse file."""
    warehouse = simulated_landing.parent / "warehouse.duckdb"
    result = lcw("run", "--landing", str(simulated_landing), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stdout + result.stderr
    return warehouse


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def query_dicts(warehouse: Path, sql: str) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        cursor = conn.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def dbt_sample_args(warehouse: Path, target_path: Path) -> list[str]:
    """dbt arguments that build the hand-checkable sample (seeds/sample) into `warehouse`, with
    their own target path so that the sample's vars never mix with the production manifest."""
    return [
        "--project-dir", str(REPO_ROOT / "dbt_project"),
        "--profiles-dir", str(REPO_ROOT / "dbt_project"),
        "--target-path", str(target_path),
        "--vars", f"{{sample_data: true, warehouse_path: '{warehouse}'}}",
    ]  # fmt: skip


@pytest.fixture(scope="session")
def sample_marts_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample seeds built by `dbt seed` + `dbt build` into a fresh warehouse, once per
    session; its manifest is in the `target` folder beside it. Treat it as read-only."""
    tmp = tmp_path_factory.mktemp("sample_marts")
    warehouse = tmp / "warehouse.duckdb"
    for command in ("seed", "build"):
        result = run_command(["dbt", command, *dbt_sample_args(warehouse, tmp / "target")])
        assert result.returncode == 0, result.stdout[-5000:]
    return warehouse


@pytest.fixture(scope="session")
def published_sample(
    sample_marts_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The sample's marts published by `publish_marts`, as BI users get them."""
    from orchestration.warehouse.publish import publish_marts

    published = tmp_path_factory.mktemp("published") / "live_commerce.duckdb"
    with duckdb.connect(str(sample_marts_warehouse)) as conn:
        publish_marts(conn, published)
    return published
