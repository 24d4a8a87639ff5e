"""Where things live: the repository's paths and the defaults a fresh checkout runs with.

Environment variables are read when a function is called, never at import, so tests and the CLI
can pass explicit paths instead.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

# DuckDB allows one writer: every asset that writes the warehouse runs in this pool, whose limit
# is 1 (dagster.yaml).
WAREHOUSE_POOL = "duckdb_warehouse"


def default_warehouse_path() -> Path:
    """LCW_WAREHOUSE, else data/warehouse.duckdb in the repository."""
    return Path(os.environ.get("LCW_WAREHOUSE", REPO_ROOT / "data" / "warehouse.duckdb")).resolve()


def default_landing_root() -> Path:
    """LCW_LANDING, else data/landing in the repository."""
    return Path(os.environ.get("LCW_LANDING", REPO_ROOT / "data" / "landing")).resolve()
