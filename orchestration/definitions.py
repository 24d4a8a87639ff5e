"""The Dagster code location (`[tool.dagster]` in pyproject.toml): what `dagster dev` shows and
what `lcw` runs, one code path. Loading is lazy: importing this module does no work."""

import dagster as dg

from orchestration.defs import build_definitions
from orchestration.landing.discovery import first_export_date
from orchestration.settings import Settings


@dg.definitions
def defs() -> dg.Definitions:
    settings = Settings.from_env()
    # The partitions start at the landing zone's earliest date when it is earlier than the
    # configured one, as for `lcw run`, so the UI shows every partition the CLI loaded.
    start = first_export_date(settings.landing_root, settings.first_export_date)
    return build_definitions(settings.with_changes(first_export_date=start))
