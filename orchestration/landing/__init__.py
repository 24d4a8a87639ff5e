"""The landing contract and the loader that enforces it. Pure: imports no Dagster."""
