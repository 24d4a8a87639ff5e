"""`lcw`, the thin command line: argument parsing, running the Dagster jobs in process, reports."""
