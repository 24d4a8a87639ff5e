"""Session fixtures: the dbt manifest, the shared sample build, the simulated e2e landing and its
warehouse. Tests under tests/e2e/ are marked `e2e` here (the fast tier is `-m "not e2e"`).

The tiers run in the order unit, integration, e2e. The two dbt steps that many tests share (the
sample build and the manifest parse) start in the background at the first test of a session
that needs them, so that they run while the unit tests, which need neither, do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import (
    E2E_DAYS,
    E2E_SCALE,
    E2E_SEED,
    E2E_START,
    REPO_ROOT,
    Started,
    lcw,
    sample_build,
)

from orchestration.dagster_storage import storage_config

TESTS_DIR = Path(__file__).parent
E2E_DIR = TESTS_DIR / "e2e"
TIERS = [TESTS_DIR / "unit", TESTS_DIR / "integration", E2E_DIR]


def tier_of(item: pytest.Item) -> int:
    parents = Path(item.path).parents
    return next((n for n, tier in enumerate(TIERS) if tier in parents), len(TIERS))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)
    items.sort(key=tier_of)  # stable: the order within a tier stays


@pytest.fixture(scope="session", autouse=True)
def isolated_dagster_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs the tests start record into a throwaway Dagster instance, never the project's: in
    memory (/dev/shm) where the machine has it, with the project's storage, as `lcw` uses it
    without DAGSTER_HOME (orchestration/dagster_storage.py). Its SQLite event log commits each
    of a run's events, one per asset and export date, thousands for a run over weeks; on disk
    the syncs took a third of such an `lcw run`."""
    import os
    import shutil
    import tempfile

    shm = Path("/dev/shm")
    in_memory = shm.is_dir() and os.access(shm, os.W_OK)
    if in_memory:
        home = Path(tempfile.mkdtemp(prefix="lcw-tests-dagster-home-", dir=shm))
    else:
        home = tmp_path_factory.mktemp("dagster_home")
    instance = {
        "concurrency": {"pools": {"default_limit": 1}},
        "telemetry": {"enabled": False},
        "storage": storage_config(str(home / "storage")),
    }
    (home / "dagster.yaml").write_text(json.dumps(instance))  # JSON is YAML
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("DAGSTER_HOME", None)
    else:
        os.environ["DAGSTER_HOME"] = previous
    if in_memory:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def background_steps(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    isolated_dagster_home: Path,
):
    """The shared dbt steps this session's tests need, started in the background: the manifest
    parse (as `lcw prepare`, unless the manifest is already current) and the sample build."""
    from orchestration.defs.dbt.project import manifest_is_current, parse_key
    from orchestration.settings import Settings

    needed = {name for item in request.session.items for name in item.fixturenames}
    root = tmp_path_factory.mktemp("background")
    started: dict[str, Started] = {}
    if "dbt_manifest" in needed and not manifest_is_current(parse_key(Settings.from_env())):
        started["dbt_manifest"] = Started(["lcw", "prepare"], root / "prepare")
    if "sample_project" in needed:
        project = root / "sample" / "project"
        started["sample_project"] = Started(
            sample_build(project, ("build", "docs generate")), root / "sample" / "logs"
        )
    yield started, root
    for step in started.values():
        step.stop()


@pytest.fixture(autouse=True)
def background_steps_done_outside_unit_tests(request: pytest.FixtureRequest, background_steps):
    """Only unit tests run beside the background steps: a test of another tier may run dbt or
    `lcw` itself (into the same dbt target), so it starts once they are done."""
    if tier_of(request.node) != 0:
        for step in background_steps[0].values():
            step.wait()


@pytest.fixture(scope="session")
def dbt_manifest(background_steps) -> Path:
    """The dbt manifest, prepared explicitly (never at import time): parsed from scratch by `lcw
    prepare`, unless it was already current for these settings (newer than every file dbt
    parses, same vars and target)."""
    started, _ = background_steps
    if "dbt_manifest" in started:
        started["dbt_manifest"].wait()
    return REPO_ROOT / "dbt_project" / "target" / "manifest.json"


@pytest.fixture(scope="session")
def sample_project(background_steps) -> Path:
    """The sample seeds built once per test run (build, docs generate) in a scratch project
    dir whose target/ holds the sample's manifests; the warehouse is `sample_warehouse`."""
    started, root = background_steps
    started["sample_project"].wait()
    return root / "sample" / "project"


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
