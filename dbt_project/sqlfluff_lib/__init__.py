"""Stand-ins for dbt's Jinja context when sqlfluff lints the models (README.md here): sqlfluff
loads this package and puts its members in the context."""

from types import SimpleNamespace

from . import adapter, api, dbt, modules  # noqa: F401

# dbt's `target`: the DuckDB target the models are written for.
target = SimpleNamespace(type="duckdb", name="dev", schema="main")
