"""The warehouse after the build: the published copy for BI, and queries over it (no Dagster)."""
