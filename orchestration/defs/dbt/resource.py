"""The dbt resource: dagster-dbt's `DbtCliResource`, without two steps it takes before every dbt
command that this project has no use for.

Before each `cli()` call dagster-dbt
- runs `dbt --version` in a subprocess, to tell dbt Core from the Fusion engine (about 2 s here);
- loads the dbt adapter and its macros into the Dagster process (1.5 to 3.5 s), for
  `fetch_row_counts` and `fetch_column_metadata` only.

This environment installs dbt Core (`uv.lock`), so its version is read from the installed
package, and no asset here fetches row counts or column metadata, so no adapter is loaded. Both
costs are fixed per run, a large share of a daily run's (`docs/benchmarks.md`).

dagster-dbt also gives every dbt command its own target folder (`target/<op>-<run>-<id>`: the
manifest, run results and dbt.log, about 11 MB here) and never removes one; a daily run would
fill the disk by a few GB a year. The resource keeps the newest `KEPT_INVOCATIONS` of them.
`tests/unit/test_dbt_resource.py` fails if a dagster-dbt upgrade renames what is overridden.
"""

from __future__ import annotations

import re
import shutil
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging.version import Version

# How many per-command target folders to keep: enough to read the last runs' dbt.log.
KEPT_INVOCATIONS = 10

# The name dagster-dbt gives a command's target folder: `<op>-<run id[:7]>-<uuid[:7]>`, or the
# uuid part alone outside a run.
INVOCATION_FOLDER = re.compile(r"(\w+-[0-9a-f]{7}-)?[0-9a-f]{7}")


class WarehouseDbt(DbtCliResource):
    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: object) -> None:
        return None

    def _get_unique_target_path(self, *, context: object) -> Path:
        path = super()._get_unique_target_path(context=context)  # type: ignore[arg-type]
        parent = path.parent if path.is_absolute() else Path(self.project_dir) / path.parent
        remove_old_invocations(parent, keep=KEPT_INVOCATIONS - 1)
        return path


def remove_old_invocations(target: Path, keep: int) -> None:
    """Remove all but the newest `keep` per-command target folders under `target`."""
    if not target.is_dir():
        return
    folders = [p for p in target.iterdir() if p.is_dir() and INVOCATION_FOLDER.fullmatch(p.name)]
    folders.sort(key=lambda folder: folder.stat().st_mtime, reverse=True)
    for folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)  # a folder another process removed first
