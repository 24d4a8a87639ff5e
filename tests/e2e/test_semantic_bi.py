"""The semantic layer for BI users, through `lcw-mf` (mf behind the grain guard) on the sample:
shop, streamer and fan tier as dimensions, and ratios at grains they are or are not additive at.

Counted orders of the sample (integration/test_dbt_sample.py): June 2021 o1 b1 100.00 private, o2 b1
50.00 private, o3 b1 40.00, o4 b2 80.00, o5 b3 60.00, o6 b3 60.00 private (s1 sold o1, o2, o4;
s2 sold o3, o5, o6; shops sh1 and sh2 likewise); July o7 b2 sh2 25.50 (no streamer), o9 and o10
b4 sh1 s1 20.00 + 10.00. s1 has 150,000 followers (tier 100k-1M), s2 8,000 (<10k).
"""

from __future__ import annotations

import csv
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import BIN_DIR
from test_semantic_layer import semantic_project, warehouse_of  # noqa: F401 (a fixture)

from orchestration.warehouse.semantic_guard import GrainError, check_query, requested_time_grains

D = Decimal


def lcw_mf(project: Path, metrics: list[str], group_by: list[str]) -> subprocess.CompletedProcess:
    out = project.parent / "lcw_mf_out.csv"
    out.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DBT_PROFILES_DIR", "DBT_PROJECT_DIR")}
    return subprocess.run(
        [str(BIN_DIR / "lcw-mf"), "query", "--metrics", ",".join(metrics),
         "--group-by", ",".join(group_by), "--csv", str(out)],
        cwd=project, env={**env, "LCW_WAREHOUSE": str(warehouse_of(project))},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def rows(project: Path, metrics: list[str], group_by: list[str]) -> list[dict[str, str]]:
    completed = lcw_mf(project, metrics, group_by)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    with (project.parent / "lcw_mf_out.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_gmv_by_streamer_fan_tier_and_by_shop(semantic_project: Path) -> None:  # noqa: F811
    by_tier = {
        r["streamer__fan_tier"]: (D(r["gmv"]), r["streamer__fan_tier_order"])
        for r in rows(semantic_project, ["gmv"], ["streamer__fan_tier", "streamer__fan_tier_order"])
    }
    # s1 (100k-1M): o1 + o2 + o4 + o9 + o10 = 260.00; s2 (<10k): o3 + o5 + o6 = 160.00; o7 has
    # no streamer, so no tier (MetricFlow shows it under an empty tier).
    assert by_tier["100k-1M"] == (D("260.00"), "3")
    assert by_tier["<10k"] == (D("160.00"), "1")
    assert by_tier[""] == (D("25.50"), "")
    by_shop = {r["shop"]: D(r["gmv"]) for r in rows(semantic_project, ["gmv"], ["shop"])}
    # sh1 = s1's orders 260.00; sh2 = s2's 160.00 + o7 25.50.
    assert by_shop == {"sh1": D("260.00"), "sh2": D("185.50")}
    held = {
        r["shop__holds_trust_right"]: D(r["gmv"])
        for r in rows(semantic_project, ["gmv"], ["shop__holds_trust_right"])
    }
    assert held == {"true": D("260.00"), "false": D("185.50")} or held == {
        "True": D("260.00"), "False": D("185.50")
    }  # fmt: skip


def test_an_additive_ratio_by_year_is_computed_from_numerator_and_denominator(
    semantic_project: Path,  # noqa: F811
) -> None:
    [year] = rows(semantic_project, ["private_domain_share", "gmv"], ["metric_time__year"])
    # 2021: private GMV o1 + o2 + o6 = 210.00 of 445.50, not the mean of June's 210/390 and
    # July's 0/55.50.
    assert D(year["gmv"]) == D("445.50")
    assert float(year["private_domain_share"]) == pytest.approx(210 / 445.5, rel=1e-12)


def test_a_month_only_ratio_by_year_is_refused_with_a_clear_message(
    semantic_project: Path,  # noqa: F811
) -> None:
    completed = lcw_mf(semantic_project, ["repeat_purchase_rate"], ["metric_time__year"])
    assert completed.returncode == 2
    assert "repeat_purchase_rate cannot be asked for by year" in completed.stderr
    assert "repurchase_rate (period_grain 'quarter' / 'year')" in completed.stderr
    # What the guard protects from: plain mf answers 2021 with (2 + 1) / (3 + 2) = 0.6, summing
    # June's and July's distinct buyers, while the year's true rate is 4 / 4 = 1 (b1, b2, b3 and
    # b4 all bought twice in 2021; the repurchase_rate mart's year row).
    env = {k: v for k, v in os.environ.items() if k not in ("DBT_PROFILES_DIR", "DBT_PROJECT_DIR")}
    plain = subprocess.run(
        [str(BIN_DIR / "mf"), "query", "--metrics", "repeat_purchase_rate",
         "--group-by", "metric_time__year", "--csv", "plain.csv"],
        cwd=semantic_project, env={**env, "LCW_WAREHOUSE": str(warehouse_of(semantic_project))},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert plain.returncode == 0, plain.stdout + plain.stderr
    with (semantic_project / "plain.csv").open(newline="") as handle:
        [silently_wrong] = list(csv.DictReader(handle))
    assert float(silently_wrong["repeat_purchase_rate"]) == pytest.approx(0.6)
    # At month grain the guarded query runs.
    by_month = rows(semantic_project, ["repeat_purchase_rate"], ["metric_time__month"])
    rate = {r["metric_time__month"][:7]: float(r["repeat_purchase_rate"]) for r in by_month}
    assert rate == pytest.approx({"2021-06": 2 / 3, "2021-07": 1 / 2})


def test_the_guard_rules() -> None:
    manifest = {
        "metrics": [
            {"name": "repeat_purchase_rate", "config": {"meta": {"valid_time_grains": ["month"]}}},
            {"name": "gmv", "config": {"meta": {}}},
        ]
    }
    assert requested_time_grains(["metric_time__year", "shop", "order__paid_date__day"]) == [
        "year", "day"
    ]  # fmt: skip
    check_query(["repeat_purchase_rate", "gmv"], ["metric_time__month"], manifest)
    check_query(["repeat_purchase_rate"], ["metric_time"], manifest)  # default grain: month
    check_query(["gmv"], ["metric_time__year"], manifest)
    check_query(["gmv"], [], manifest)
    for group_by in (["metric_time__quarter"], ["metric_time__year"], [], ["shop"]):
        with pytest.raises(GrainError, match="repeat_purchase_rate cannot be asked for"):
            check_query(["gmv", "repeat_purchase_rate"], group_by, manifest)
