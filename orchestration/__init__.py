"""Live-commerce warehouse: ingestion, Dagster definitions, CLI and simulator."""
