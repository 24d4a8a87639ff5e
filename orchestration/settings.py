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


def duckdb_memory_limit() -> str:
    """LCW_DUCKDB_MEMORY_LIMIT, else 60% of this machine's memory.

    DuckDB's own default (80%) leaves too little beside it for the Python, dbt and Dagster
    processes of a run; above the limit DuckDB spills to its temp directory instead of failing.
    """
    configured = os.environ.get("LCW_DUCKDB_MEMORY_LIMIT")
    if configured:
        return configured
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{int(total * 0.6) // 2**20}MB"


def duckdb_temp_directory(warehouse_path: Path) -> Path:
    """LCW_DUCKDB_TEMP_DIR, else `<warehouse>.spill` beside the warehouse file: where DuckDB
    spills what does not fit in memory (on the same disk as the warehouse, never /tmp)."""
    configured = os.environ.get("LCW_DUCKDB_TEMP_DIR")
    return Path(configured) if configured else warehouse_path.with_suffix(".spill")


def duckdb_config(warehouse_path: Path) -> dict[str, str]:
    """The settings every connection that writes the warehouse uses (ingestion, dbt, publish)."""
    return {
        "memory_limit": duckdb_memory_limit(),
        "temp_directory": str(duckdb_temp_directory(warehouse_path)),
    }
