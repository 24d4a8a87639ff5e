"""dbt's `target` for linting: the DuckDB target the models are written for."""

type = "duckdb"
name = "dev"
schema = "main"
