"""Finding partitions in the landing zone: `<root>/<source>/dt=YYYY-MM-DD/<files>`.

Symlinked folders and files are never followed: they could point anywhere on the machine.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from orchestration.landing.contract import SOURCES

PARTITION_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")


def list_partitions(landing_root: Path, source: str) -> list[date]:
    """Export dates that have a `dt=YYYY-MM-DD` folder for this source (other folders ignored)."""
    source_dir = landing_root / source
    if not source_dir.is_dir():
        return []
    found = []
    for child in source_dir.iterdir():
        match = PARTITION_DIR.match(child.name)
        # A symlinked folder could point anywhere on the machine: it is not a partition.
        if child.is_dir() and not child.is_symlink() and match:
            try:
                found.append(date.fromisoformat(match.group(1)))
            except ValueError:
                continue
    return sorted(found)


def invalid_partition_folders(landing_root: Path, source: str) -> list[str]:
    """Folders under a source that are not `dt=<a real date>`: never loaded, always reported."""
    source_dir = landing_root / source
    if not source_dir.is_dir():
        return []
    valid = {f"dt={dt.isoformat()}" for dt in list_partitions(landing_root, source)}
    return sorted(p.name for p in source_dir.iterdir() if p.is_dir() and p.name not in valid)


def partition_files(landing_root: Path, source: str, dt: date) -> list[Path]:
    folder = landing_root / source / f"dt={dt.isoformat()}"
    # A symlinked source or partition folder could point anywhere: it is never read.
    if not folder.is_dir() or folder.is_symlink() or (landing_root / source).is_symlink():
        return []
    # Names starting with '.' or '_' are markers (_SUCCESS, .crc), not data.
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "_")))


def landing_export_dates(landing_root: Path) -> list[date]:
    """Every export date that has a partition folder in any source."""
    return sorted({dt for source in SOURCES for dt in list_partitions(landing_root, source)})


def first_export_date(landing_root: Path, configured: date) -> date:
    """The first export date the partitions start at: the configured one, or the landing zone's
    own earliest `dt=` folder when that is earlier (so data from any year loads)."""
    found = landing_export_dates(landing_root)
    return min(found[0], configured) if found else configured
