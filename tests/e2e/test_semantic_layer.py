"""The semantic layer (dbt semantic models + metrics, queried with MetricFlow's `mf` CLI) on the
hand-checkable sample in seeds/sample.

`mf` reads `<dbt project>/target/semantic_manifest.json` (a fixed path, whatever --target-path
dbt was given) and must run from a directory holding dbt_project.yml. So the sample is built with
its own target path inside a scratch "project" directory holding copies of dbt_project.yml and
profiles.yml, and `mf` runs there: the production dbt_project/target is never touched.

Sample in short (integration/test_dbt_sample.py has the details), counted orders by paid day:
  June 2021: o1 b1 100.00 (refund 30.00, private), o2 b1 50.00 (private), o3 b1 40.00,
             o4 b2 80.00, o5 b3 60.00, o6 b3 60.00 (private)
  July 2021: o7 b2 25.50 (no streamer), o9 b4 20.00, o10 b4 10.00 (b4 never followed)
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from helpers import BIN_DIR, REPO_ROOT, query

from orchestration.warehouse.publish import publish_marts

D = Decimal
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


@pytest.fixture(scope="module")
def semantic_project(sample_project: Path) -> Path:
    """The shared sample build's scratch project dir: its target/ holds the semantic manifest,
    and `mf` runs there."""
    return sample_project


def warehouse_of(project: Path) -> Path:
    return project.parent / "warehouse.duckdb"


def mf_query(project: Path, metrics: list[str], **env: str) -> dict[str, dict[str, str]]:
    """Run the real `mf query ... --group-by metric_time__month --csv FILE` from `project`;
    return {month 'YYYY-MM-DD': {column: value as text}}."""
    out = project.parent / "mf_out.csv"
    out.unlink(missing_ok=True)
    base_env = {
        k: v for k, v in os.environ.items() if k not in ("DBT_PROFILES_DIR", "DBT_PROJECT_DIR")
    }
    completed = subprocess.run(
        [
            str(BIN_DIR / "mf"), "query",
            "--metrics", ",".join(metrics),
            "--group-by", "metric_time__month",
            "--order", "metric_time__month",
            "--csv", str(out),
        ],
        cwd=project,
        env={**base_env, "LCW_WAREHOUSE": str(warehouse_of(project)), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0 and out.exists(), completed.stdout + completed.stderr
    with out.open(newline="") as handle:
        return {row["metric_time__month"][:10]: row for row in csv.DictReader(handle)}


def test_gmv_and_repeat_purchase_rate_by_month(semantic_project: Path) -> None:
    """The issue's query: `mf query --metrics gmv,repeat_purchase_rate --group-by
    metric_time__month`."""
    rows = mf_query(semantic_project, ["gmv", "repeat_purchase_rate"])
    # Only the two months with counted orders: the repurchase_rate mart's quarter and year rows
    # (period_start 2021-04-01, 2021-01-01) must not show up as extra months.
    assert sorted(rows) == ["2021-06-01", "2021-07-01"]
    # June GMV: o1..o6 = 100 + 50 + 40 + 80 + 60 + 60 = 390.00 (o1's refund does not change GMV).
    assert D(rows["2021-06-01"]["gmv"]) == D("390.00")
    # July GMV: o7 25.50 + o9 20.00 + o10 10.00 = 55.50 (o8 was never paid, so never counted).
    assert D(rows["2021-07-01"]["gmv"]) == D("55.50")
    # June repeat buyers: b1 (o1, o2, o3) and b3 (o5, o6) of buyers b1, b2, b3 -> 2 / 3.
    assert float(rows["2021-06-01"]["repeat_purchase_rate"]) == pytest.approx(2 / 3, rel=1e-12)
    # July: b4 (o9, o10) of buyers b2 (o7 only), b4 -> 1 / 2.
    assert float(rows["2021-07-01"]["repeat_purchase_rate"]) == pytest.approx(1 / 2, rel=1e-12)


def publish_sample(warehouse: Path, published: Path) -> None:
    """The published copy of the sample, made as the pipeline makes it."""
    with duckdb.connect(str(warehouse)) as conn:
        publish_marts(conn, published)


ALL_METRICS = [
    "gmv",
    "net_gmv",
    "refund_amount",
    "orders",
    "private_gmv",
    "private_domain_share",
    "repeat_purchase_rate",
    "returning_buyer_share",
]


def test_every_metric_on_the_published_copy_matches_the_marts(semantic_project: Path) -> None:
    """Every metric through the read-only published profile (dbt_project/published_profile),
    against a published copy of the sample: hand-computed, and equal to the marts' own figures."""
    published = semantic_project.parent / "published" / "live_commerce.duckdb"
    published.parent.mkdir()
    publish_sample(warehouse_of(semantic_project), published)
    rows = mf_query(
        semantic_project,
        ALL_METRICS,
        DBT_PROFILES_DIR=str(DBT_PROJECT_DIR / "published_profile"),
        LCW_PUBLISHED=str(published),
        # The manifest names the marts "warehouse"."marts"."…" (the sample file's stem), the
        # profile's default catalog. A warehouse path that cannot be opened proves mf reads only
        # the published copy.
        LCW_WAREHOUSE=str(semantic_project.parent / "absent" / "never_opened.duckdb"),
    )
    june, july = rows["2021-06-01"], rows["2021-07-01"]
    # June: refunds o1 30.00 -> net 390 - 30 = 360; 6 orders; private o1 + o2 + o6 = 210.
    assert [D(june[m]) for m in ("gmv", "net_gmv", "refund_amount", "orders", "private_gmv")] == [
        D("390.00"), D("360.00"), D("30.00"), 6, D("210.00")
    ]  # fmt: skip
    assert float(june["private_domain_share"]) == pytest.approx(210 / 390, rel=1e-12)
    assert float(june["repeat_purchase_rate"]) == pytest.approx(2 / 3, rel=1e-12)
    # June is the first month with orders: no buyer returns -> 0 / 3.
    assert float(june["returning_buyer_share"]) == 0
    # July: no refunds; o7, o9, o10; none private (o7 has no streamer, b4 never followed) -> 0,
    # not NULL. Returning: b2 bought in June, b4 is new -> 1 / 2.
    assert [D(july[m]) for m in ("gmv", "net_gmv", "refund_amount", "orders", "private_gmv")] == [
        D("55.50"), D("55.50"), D("0.00"), 3, D("0.00")
    ]  # fmt: skip
    assert float(july["private_domain_share"]) == 0
    assert float(july["repeat_purchase_rate"]) == pytest.approx(1 / 2, rel=1e-12)
    assert float(july["returning_buyer_share"]) == pytest.approx(1 / 2, rel=1e-12)

    # One definition: the semantic layer answers what the marts publish (platform scope, months).
    marts = {
        month: values
        for month, *values in query(
            warehouse_of(semantic_project),
            """select d.month_start::varchar, d.gmv, d.private_domain_share,
                      r.repeat_purchase_rate, b.returning_buyer_share
               from marts.private_domain_share_monthly d
               join marts.repurchase_rate r
                 on r.period_grain = 'month' and r.period_start = d.month_start
                and r.scope = 'platform'
               join marts.returning_buyers_monthly b
                 on b.month_start = d.month_start and b.scope = 'platform'
               where d.scope = 'platform'""",
        )
    }
    assert sorted(marts) == sorted(rows)
    for month, (gmv, private_share, repeat_rate, returning_share) in marts.items():
        assert D(rows[month]["gmv"]) == gmv
        assert float(rows[month]["private_domain_share"]) == pytest.approx(private_share)
        assert float(rows[month]["repeat_purchase_rate"]) == pytest.approx(repeat_rate)
        assert float(rows[month]["returning_buyer_share"]) == pytest.approx(returning_share)


def test_everything_in_the_semantic_layer_is_described(semantic_project: Path) -> None:
    manifest = json.loads((semantic_project / "target" / "semantic_manifest.json").read_text())
    undescribed = [
        metric["name"] for metric in manifest["metrics"] if not metric.get("description")
    ]
    for model in manifest["semantic_models"]:
        if not model.get("description"):
            undescribed.append(model["name"])
        for kind in ("entities", "dimensions", "measures"):
            undescribed += [
                f"{model['name']}.{item['name']}"
                for item in model[kind]
                if not item.get("description")
            ]
    assert undescribed == []
    assert set(ALL_METRICS) <= {metric["name"] for metric in manifest["metrics"]}
    # The time spine MetricFlow needs, at day grain.
    [spine] = manifest["project_configuration"]["time_spines"]
    assert (spine["primary_column"]["name"], spine["primary_column"]["time_granularity"]) == (
        "date_day",
        "day",
    )
