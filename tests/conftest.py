"""Session fixtures: the dbt manifest, the shared sample build, the simulated e2e landing and its
warehouse. Tests under tests/e2e/ are marked `e2e` here (the fast tier is `-m "not e2e"`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import E2E_DAYS, E2E_SCALE, E2E_SEED, E2E_START, REPO_ROOT, build_sample, lcw

E2E_DIR = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def isolated_dagster_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs the tests start record into a throwaway Dagster instance, never the project's."""
    import os

    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text(
        "concurrency:\n  pools:\n    default_limit: 1\ntelemetry:\n  enabled: false\n"
    )
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("DAGSTER_HOME", None)
    else:
        os.environ["DAGSTER_HOME"] = previous


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """The dbt manifest, prepared explicitly as `lcw prepare` does (never at import time)."""
    result = lcw("prepare")
    assert result.returncode == 0, result.stderr
    return REPO_ROOT / "dbt_project" / "target" / "manifest.json"


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample seeds built once per test run (seed, build, docs generate) in a scratch project
    dir whose target/ holds the sample's manifests; the warehouse is `sample_warehouse`."""
    project = tmp_path_factory.mktemp("sample") / "project"
    build_sample(project, ("seed", "build", "docs generate"))
    return project


@pytest.fixture(scope="session")
def sample_warehouse(sample_project: Path) -> Path:
    return sample_project.parent / "warehouse.duckdb"


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


@pytest.fixture(scope="session")
def published_sample(sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's marts published by `publish_marts`, as BI users get them."""
    import duckdb

    from orchestration.warehouse.publish import publish_marts

    published = tmp_path_factory.mktemp("published") / "live_commerce.duckdb"
    with duckdb.connect(str(sample_warehouse)) as conn:
        publish_marts(conn, published)
    return published
