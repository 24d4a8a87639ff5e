"""The Dagster code location (`[tool.dagster]` in pyproject.toml): what `dagster dev` shows and
what `lcw` runs, one code path. Loading is lazy: importing this module does no work."""

import dagster as dg

from orchestration.defs import build_definitions
from orchestration.settings import Settings


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(Settings.from_env())
