"""One frozen `Settings` value: every path, DuckDB option and dbt var a run uses.

It is built once — from the command line's arguments or from the environment — and everything
else (Dagster resources, dbt vars, the published copy's path, the run log) is derived from it.
Defaults live here and nowhere else. Nothing is read from the environment at import time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = REPO_ROOT / "seeds"

# DuckDB allows one writer: every asset that writes the warehouse runs in this pool, whose limit
# is 1 (dagster.yaml).
WAREHOUSE_POOL = "duckdb_warehouse"

# The default first export date of the partitions. Data from earlier years loads when the
# setting (or the landing zone's own earliest date, for `lcw run`) says so.
DEFAULT_FIRST_EXPORT_DATE = date(2019, 1, 1)
EARLIEST_SUPPORTED_EXPORT_DATE = date(1990, 1, 1)

# Share of the machine's memory DuckDB may use. DuckDB's own default (80%) leaves too little
# beside it for the Python, dbt and Dagster processes of a run; above the limit DuckDB spills.
DEFAULT_MEMORY_SHARE = 0.6
DEFAULT_MAX_SPILL = "100GB"

# How much write-ahead log DuckDB gathers before it checkpoints on its own (its default is
# 16 MB). A daily run at 300 days of history writes about 100 MB of log; at 16 MB, DuckDB
# checkpointed in the middle of the dbt build, inside one model's commit, rewriting the tables
# the run had touched so far (3.2 s in `fct_orders`' COMMIT, a cost that grew with the history).
# With 1 GB, a daily run checkpoints once, when dbt closes the file (docs/benchmarks.md). A
# bigger build still checkpoints every 1 GB of log, so memory held for the log stays bounded.
CHECKPOINT_THRESHOLD = "1GB"

# The engine that builds the dbt models. Ingestion always validates and loads each partition
# with DuckDB; on `spark` it also writes the raw layer as Parquet under the lake root, and dbt
# builds the models with Spark (dbt-spark, the profile's `spark` target) over that lake.
ENGINES = ("duckdb", "spark")
DBT_TARGETS = {"duckdb": "dev", "spark": "spark"}

ENVIRONMENT = {
    "warehouse_path": "LCW_WAREHOUSE",
    "landing_root": "LCW_LANDING",
    "first_export_date": "LCW_FIRST_EXPORT_DATE",
    "duckdb_memory_limit": "LCW_DUCKDB_MEMORY_LIMIT",
    "duckdb_temp_directory": "LCW_DUCKDB_TEMP_DIR",
    "duckdb_max_temp_directory_size": "LCW_DUCKDB_MAX_SPILL",
    "engine": "LCW_ENGINE",
    "lake_root": "LCW_LAKE",
}

_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


@contextmanager
def environment_set(values: Mapping[str, str | None]) -> Iterator[None]:
    """These environment variables, for the block only (None: unset); the previous values come
    back afterwards. For settings that a library reads from the environment when it acts."""
    previous = {name: os.environ.get(name) for name in values}
    try:
        _put_in_environment(values)
        yield
    finally:
        _put_in_environment(previous)


def _put_in_environment(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


class SettingsError(ValueError):
    """A setting that cannot work; the message names the setting and how to fix it."""


def _memory_default() -> str:
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{int(total * DEFAULT_MEMORY_SHARE) // 2**20}MB"


def _check_size(name: str, value: str) -> str:
    if not _SIZE.match(value):
        raise SettingsError(
            f"{name}={value!r} is not a size DuckDB understands; use e.g. '8GB' or '512MB'"
        )
    return value.strip()


def _check_lake_path(lake: Path) -> None:
    """The spark engine writes the lake root into Spark SQL: string literals (the folders the
    marts are exported to), backquoted paths (the raw views over the Parquet) and the
    metastore's JDBC URL (dbt_project/macros/spark, profiles.yml). Refuse what would break
    them, naming the setting, before anything runs."""
    for character, name in (("'", "a quote"), ("`", "a backtick")):
        if character in str(lake):
            raise SettingsError(
                f"the lake root {lake} (LCW_LAKE, lcw run --lake; default lake/ beside the "
                f"warehouse) contains {name} ({character}), which the spark engine's SQL cannot "
                "take; choose a path without one"
            )


@dataclass(frozen=True)
class Settings:
    """Where a run reads and writes, and how DuckDB behaves while it does."""

    warehouse_path: Path = REPO_ROOT / "data" / "warehouse.duckdb"
    landing_root: Path = REPO_ROOT / "data" / "landing"
    first_export_date: date = DEFAULT_FIRST_EXPORT_DATE
    duckdb_memory_limit: str = field(default_factory=_memory_default)
    # Where DuckDB spills what does not fit in memory; None means `<warehouse>.spill` beside the
    # warehouse file (on the same disk as the warehouse, never /tmp).
    duckdb_temp_directory: Path | None = None
    # A cap on the spill, so a job too big for this machine fails with DuckDB's message instead
    # of filling the disk.
    duckdb_max_temp_directory_size: str = DEFAULT_MAX_SPILL
    # `duckdb` (default) or `spark`: which engine builds the dbt models.
    engine: str = "duckdb"
    # Where the spark engine keeps the raw Parquet, its tables and its metastore; None means
    # `lake/` beside the warehouse file.
    lake_root: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "warehouse_path", Path(self.warehouse_path).resolve())
        object.__setattr__(self, "landing_root", Path(self.landing_root).resolve())
        if self.lake_root is not None:
            object.__setattr__(self, "lake_root", Path(self.lake_root).resolve())
        if self.engine not in ENGINES:
            raise SettingsError(
                f"LCW_ENGINE={self.engine!r} is not an engine; use one of {', '.join(ENGINES)}"
            )
        if "'" in str(self.warehouse_path):
            raise SettingsError(
                f"the warehouse path {self.warehouse_path} contains a quote ('), which dbt's "
                "DuckDB adapter cannot open; choose a path without one"
            )
        if self.engine == "spark":
            _check_lake_path(self.lake_directory)
        _check_size("LCW_DUCKDB_MEMORY_LIMIT", self.duckdb_memory_limit)
        _check_size("LCW_DUCKDB_MAX_SPILL", self.duckdb_max_temp_directory_size)
        if self.first_export_date < EARLIEST_SUPPORTED_EXPORT_DATE:
            raise SettingsError(
                f"LCW_FIRST_EXPORT_DATE={self.first_export_date} is before "
                f"{EARLIEST_SUPPORTED_EXPORT_DATE}; export dates start in 1990 at the earliest"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from LCW_* environment variables, then `overrides` (e.g. CLI arguments that
        were given; None values are ignored), then the defaults above."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {
            name: environ[variable]
            for name, variable in ENVIRONMENT.items()
            if environ.get(variable)
        }
        if "first_export_date" in values:
            text = str(values["first_export_date"])
            try:
                values["first_export_date"] = date.fromisoformat(text)
            except ValueError as error:
                raise SettingsError(
                    f"LCW_FIRST_EXPORT_DATE={text!r} is not a date; use YYYY-MM-DD"
                ) from error
        values.update({name: value for name, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def spill_directory(self) -> Path:
        return self.duckdb_temp_directory or self.warehouse_path.with_suffix(".spill")

    @property
    def lake_directory(self) -> Path:
        """The spark engine's lake: raw Parquet (`raw/`), Spark's tables and metastore."""
        return self.lake_root or self.warehouse_path.parent / "lake"

    @property
    def dbt_target(self) -> str:
        """The output of dbt_project/profiles.yml that builds the models on this engine."""
        return DBT_TARGETS[self.engine]

    @property
    def published_path(self) -> Path:
        """BI reads `published/live_commerce.duckdb` beside the warehouse, never the warehouse.

        Not called marts.duckdb: DuckDB names the catalog after the file, and a catalog `marts`
        would make `marts.<table>` ambiguous with the schema `marts`."""
        return self.warehouse_path.parent / "published" / "live_commerce.duckdb"

    @property
    def run_log_path(self) -> Path:
        """dbt's detailed output of a run, beside the warehouse file."""
        return self.warehouse_path.with_suffix(".run.log")

    def duckdb_config(self) -> dict[str, str]:
        """The options every connection that writes the warehouse opens with (ingestion, dbt,
        publish)."""
        return {
            "memory_limit": self.duckdb_memory_limit,
            "temp_directory": str(self.spill_directory),
            "max_temp_directory_size": self.duckdb_max_temp_directory_size,
            "checkpoint_threshold": CHECKPOINT_THRESHOLD,
        }

    def dbt_vars(self) -> dict[str, str]:
        """The dbt vars of every invocation against this warehouse: its path and DuckDB options.

        They are the same for every run against one file, and the manifest is parsed with them,
        so each `dbt build` parses partially (dbt re-parses everything when its vars change).
        What changes from run to run (the export-date window) travels in environment variables.
        """
        dbt_vars = {"warehouse_path": str(self.warehouse_path)}
        dbt_vars.update({f"duckdb_{name}": value for name, value in self.duckdb_config().items()})
        if self.engine == "spark":
            dbt_vars["lake_root"] = str(self.lake_directory)
        return dbt_vars
