"""dbt's `modules` for linting (macros read dates with modules.datetime)."""

import datetime  # noqa: F401
