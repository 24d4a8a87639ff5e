"""The dashboard's dbt exposure lists exactly the dbt marts the dashboard reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

from orchestration.dashboard import queries
from orchestration.warehouse.publish import DATA_QUALITY_TABLES


def test_dashboard_exposure_depends_on_every_mart_it_reads(sample_project: Path) -> None:
    manifest = json.loads((sample_project / "target" / "manifest.json").read_text())
    exposure = manifest["exposures"]["exposure.live_commerce_warehouse.live_commerce_dashboard"]
    listed = {node.rsplit(".", 1)[-1] for node in exposure["depends_on"]["nodes"]}
    read = set(re.findall(r"marts\.([a-z_]+)", Path(queries.__file__).read_text()))
    # The load statistics are written by publish, not by dbt.
    assert listed == read - set(DATA_QUALITY_TABLES)
    assert exposure["type"] == "dashboard"
