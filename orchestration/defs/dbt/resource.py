"""The dbt resource: dagster-dbt's `DbtCliResource`, without two steps it takes before every dbt
command that this project has no use for.

Before each `cli()` call dagster-dbt
- runs `dbt --version` in a subprocess, to tell dbt Core from the Fusion engine (about 2 s here);
- loads the dbt adapter and its macros into the Dagster process (1.5 to 3.5 s), for
  `fetch_row_counts` and `fetch_column_metadata` only.

This environment installs dbt Core (`uv.lock`), so its version is read from the installed
package, and no asset here fetches row counts or column metadata, so no adapter is loaded. Both
costs are fixed per run, a large share of a daily run's (`docs/benchmarks.md`).
`tests/unit/test_dbt_resource.py` fails if a dagster-dbt upgrade renames what is overridden.
"""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource
from packaging.version import Version


class WarehouseDbt(DbtCliResource):
    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: object) -> None:
        return None
