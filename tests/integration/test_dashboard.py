"""The Streamlit dashboard (orchestration/dashboard) driven headless by AppTest over a published
copy of the sample: every page renders, every figure equals its mart, the filters change the
figures as the marts say, and a new publish shows without a restart.

Sample figures by hand (integration/test_dbt_sample.py has the details): counted orders o1..o7, o9,
o10; GMV 390.00 in June + 55.50 in July = 445.50; refund 30.00 (o1) -> net 415.50; placed
475.50 (445.50 paid + o8's 30.00 never paid); private o1 + o2 + o6 = 210.00.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from helpers import dashboard_warehouse, open_app, publish_copy, query, query_dicts
from streamlit.testing.v1 import AppTest

from orchestration.dashboard.formatting import count, money, rate, rate_with_parts
from orchestration.dashboard.queries import published_at
from orchestration.warehouse.publish import publish_marts

D = Decimal
CHART = "vega_lite_chart"


@pytest.fixture(scope="module")
def warehouse(sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dashboard_warehouse(sample_warehouse, tmp_path_factory.mktemp("dashboard"))


@pytest.fixture(scope="module")
def published(warehouse: Path) -> Path:
    return publish_copy(warehouse)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# Each table on a page, by a column only it has.
TABLES = {
    "gmv_monthly": "mom_growth",
    "repeat_purchase": "repeat_purchase_rate",
    "returning_buyers": "returning_buyer_share",
    "cohort_retention": "cohort_buyers",
    "decomposition": "product_of_factors",
    "fan_tiers": "gmv_share",
    "top_streamers": "follower_count",
    "festivals": "festival_id",
    "enforcement_commerce": "penalised_gmv",
    "load_quality": "rows_read",
    "rejected_rows": "reason_code",
}


def table(at: AppTest, name: str) -> list[dict]:
    [element] = [d for d in at.dataframe if TABLES[name] in d.value.columns]
    return element.value.to_dict("records")


def charts(at: AppTest) -> int:
    return len(at.get(CHART))


def test_gmv_page_equals_gmv_daily(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(published, monkeypatch)
    [totals] = query_dicts(
        published,
        """select sum(gmv) as gmv, sum(net_gmv) as net, sum(placed_gmv) as placed,
                  sum(private_gmv) as private, sum(public_gmv) as public, sum(orders) as orders
           from marts.gmv_daily""",
    )
    assert metrics(at) == {
        "GMV (paid)": money(totals["gmv"]),
        "Net GMV": money(totals["net"]),
        "Placed GMV": money(totals["placed"]),
        "Private-domain GMV": money(totals["private"]),
        "Public-domain GMV": money(totals["public"]),
        "Orders": count(totals["orders"]),
    }
    # ... and the marts hold the hand-worked figures.
    assert metrics(at)["GMV (paid)"] == "445.50"
    assert metrics(at)["Net GMV"] == "415.50"
    assert metrics(at)["Placed GMV"] == "475.50"
    assert metrics(at)["Private-domain GMV"] == "210.00"
    assert charts(at) >= 2
    # Monthly growth, both periods' values beside it, equals gmv_monthly_by_dimension.
    monthly = table(at, "gmv_monthly")
    mart = query_dicts(
        published,
        """select gmv, prior_month_gmv, mom_growth from marts.gmv_monthly_by_dimension
           where dimension = 'platform' order by month_start""",
    )
    assert [(r["gmv"], r["prior_month_gmv"]) for r in monthly][1] == (55.5, 390.0)
    assert [r["gmv"] for r in monthly] == [float(r["gmv"]) for r in mart]
    assert monthly[1]["mom_growth"] == pytest.approx(mart[1]["mom_growth"])
    # The page says which build it shows.
    built = published_at(published).astimezone(datetime.now().astimezone().tzinfo)
    captions = [c.value for c in at.sidebar.caption]
    assert any(c.startswith("published at ") for c in captions), captions
    assert built.year > 2000


@pytest.mark.parametrize(
    ("widget", "value", "gmv", "placed", "sql_filter"),
    [
        # sh2: o3 40 + o5 60 + o6 60 + o7 25.50
        ("shop", "sh2", "185.50", "–", "shop_id = 'sh2'"),
        # s1: o1 100 + o2 50 + o4 80 + o9 20 + o10 10
        ("streamer", "s1", "260.00", "–", "streamer_id = 's1'"),
        # food: o3, o5, o6, o7
        ("category", "food", "185.50", "–", "category = 'food'"),
        ("traffic_domain", "private", "210.00", "–", "traffic_domain = 'private'"),
    ],
)
def test_gmv_filters_equal_fct_orders(
    published: Path,
    monkeypatch: pytest.MonkeyPatch,
    widget: str,
    value: str,
    gmv: str,
    placed: str,
    sql_filter: str,
) -> None:
    at = open_app(published, monkeypatch)
    at.sidebar.selectbox(key=widget).set_value(value).run()
    assert not at.exception
    [mart] = query(
        published,
        f"select sum(gmv), sum(net_gmv), count(*) from marts.fct_orders where {sql_filter}",
    )
    shown = metrics(at)
    assert (shown["GMV (paid)"], shown["Placed GMV"]) == (gmv, placed)
    assert (shown["GMV (paid)"], shown["Net GMV"], shown["Orders"]) == (
        money(mart[0]), money(mart[1]), count(mart[2])
    )  # fmt: skip
    # Growth for the one selected slice.
    dimension = {"traffic_domain": "traffic_domain"}.get(widget, widget)
    growth = query(
        published,
        f"""select gmv from marts.gmv_monthly_by_dimension
            where dimension = '{dimension}' and dimension_value = '{value}' order by month_start""",
    )
    assert [r["gmv"] for r in table(at, "gmv_monthly")] == [float(g) for (g,) in growth]


def test_period_filter(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(published, monkeypatch)
    [period] = at.sidebar.date_input
    period.set_value((date(2021, 7, 1), date(2021, 7, 5))).run()
    # July: o7 25.50 + o9 20 + o10 10; placed the same (o7, o9, o10 created in July).
    assert metrics(at)["GMV (paid)"] == "55.50"
    assert metrics(at)["Placed GMV"] == "55.50"
    assert metrics(at)["Orders"] == "3"


def test_repurchase_page_shows_three_measures_with_partial_periods(
    published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_app(published, monkeypatch, "Repurchase")
    shown = metrics(at)
    # July, platform: b4 repeats, b2 does not -> 1 / 2; July has 5 of 31 days loaded.
    assert shown["Repeat-purchase rate (2021-07, partial: 5 of 31 days)"] == ("50.0% (1 / 2)")
    # Returning in July: b2 bought in June -> 1 of b2, b4.
    assert shown["Returning-buyer share (2021-07)"] == "50.0% (1 / 2)"
    assert "Repeat-purchase rate" in at.markdown[0].value
    assert "Returning-buyer share" in at.markdown[0].value
    assert "Cohort retention" in at.markdown[0].value
    assert charts(at) >= 1
    mart = query_dicts(
        published,
        """select buyers, repeat_buyers from marts.repurchase_rate
           where period_grain = 'month' and scope = 'platform' order by period_start""",
    )
    assert [(r["buyers"], r["repeat_buyers"]) for r in table(at, "repeat_purchase")] == [
        (r["buyers"], r["repeat_buyers"]) for r in mart
    ]
    assert len(table(at, "returning_buyers")) == 2
    assert len(table(at, "cohort_retention")) == 2

    at.radio(key="grain").set_value("year").run()
    # 2021: all four buyers bought twice; 06-01 .. 07-05 is 35 of 365 days.
    assert metrics(at)["Repeat-purchase rate (2021, partial: 35 of 365 days)"] == ("100.0% (4 / 4)")
    at.sidebar.selectbox(key="shop").set_value("sh2").run()
    # Shop sh2 in 2021: b3 (o5, o6) repeats; b1 (o3) and b2 (o7) do not -> 1 / 3.
    assert metrics(at)["Repeat-purchase rate (2021, partial: 35 of 365 days)"] == ("33.3% (1 / 3)")


def test_private_domain_page(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(published, monkeypatch, "Private domain")
    [m] = query_dicts(
        published,
        """select sum(private_gmv) as p, sum(gmv) as g, sum(private_repurchase_orders) as pr,
                  sum(repurchase_orders) as r
           from marts.private_domain_share_monthly where scope = 'platform'""",
    )
    assert metrics(at) == {
        "Private-domain share of GMV": rate_with_parts(m["p"], m["g"], float(m["p"] / m["g"])),
        "Repurchase private share": rate_with_parts(m["pr"], m["r"], m["pr"] / m["r"]),
    }
    # Repurchase orders: o2, o3 (b1), o6 (b3), o7 (b2), o9 (b4); private: o2, o6.
    assert metrics(at)["Repurchase private share"] == "40.0% (2 / 5)"
    assert metrics(at)["Private-domain share of GMV"] == "47.1% (210.00 / 445.50)"
    assert charts(at) >= 1


def test_livestream_page(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(published, monkeypatch, "Livestream")
    [m] = query(
        published,
        "select count(*), sum(viewers), sum(gmv) from marts.fct_livestream_sessions",
    )
    shown = metrics(at)
    assert (shown["Sessions"], shown["Viewers (UV)"], shown["Session GMV"]) == (
        count(m[0]), count(m[1]), money(m[2])
    )  # fmt: skip
    # sess1 1,000 + sess2 800 viewers; o1 (sess1) 100.00 + o2 (sess2) 50.00.
    assert (shown["Sessions"], shown["Viewers (UV)"], shown["Session GMV"]) == (
        "2", "1,800", "150.00"
    )  # fmt: skip
    [row] = table(at, "decomposition")
    assert row["product_of_factors"] == pytest.approx(row["gmv"])
    at.sidebar.selectbox(key="streamer").set_value("s2").run()
    assert metrics(at)["Sessions"] == "0"


def test_fan_tier_page(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(published, monkeypatch, "Fan tiers")
    tiers = table(at, "fan_tiers")
    assert [t["fan_tier_order"] for t in tiers] == sorted(t["fan_tier_order"] for t in tiers)
    assert len(tiers) == query(published, "select count(*) from marts.fan_tier_monthly")[0][0]
    top = table(at, "top_streamers")
    assert [(r["streamer_id"], r["fan_tier"], r["gmv"]) for r in top] == [
        ("s1", "100k-1M", 260.0), ("s2", "<10k", 160.0)
    ]  # fmt: skip
    assert charts(at) >= 1


def test_trust_card_page(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(published, monkeypatch, "Trust card")
    [m] = query_dicts(published, "select * from marts.trust_card_impact")
    assert metrics(at) == {
        "Before (sh1, return_shipping_comp)": rate(m["before_rate"]),
        "After": rate(m["after_rate"]),
        "Control before → after": f"{rate(m['control_before_rate'])} → "
        f"{rate(m['control_after_rate'])}",
    }
    # sh1 before 06-05: b1's o1 only -> 0 / 1; after: b1 (o2), b2 (o4), b4 (o9, o10) -> 1 / 3;
    # control (sh2) before: nobody -> no rate.
    assert metrics(at)["After"] == "33.3%"
    assert metrics(at)["Control before → after"] == "– → 33.3%"


def test_festival_page(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(published, monkeypatch, "Festivals")
    [row] = table(at, "festivals")
    # 616 festival 06-01 .. 06-18: o1 100 + o5 60 + o4 80 + o2 50 + o3 40 = 330.00.
    assert (row["festival_id"], row["gmv"]) == ("616_2021", 330.0)
    assert float(query(published, "select gmv from marts.festival_gmv")[0][0]) == row["gmv"]
    assert charts(at) == 1


def test_enforcement_page(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(published, monkeypatch, "Enforcement")
    [h] = query_dicts(published, "select * from marts.headline_figures")
    shown = metrics(at)
    assert shown["Brushing interceptions per day"] == f"{h['brushing_interceptions_per_day']:,.2f}"
    assert shown["Live rooms banned (private orders)"] == count(
        h["live_rooms_banned_private_order"]
    )
    assert shown["Amount involved"] == money(h["referral_amount"]) == "1,000.50"
    assert shown["Pinocchio sessions / users / penalties"] == "1 / 1 / 1"
    assert charts(at) == 1
    assert len(table(at, "enforcement_commerce")) == 2


def test_data_quality_page(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(published, monkeypatch, "Data quality")
    loads = table(at, "load_quality")
    assert [(r["source"], r["rows_read"], r["rows_loaded"], r["rows_rejected"]) for r in loads] == [
        ("follows", 2, 2, 0), ("orders", 3, 2, 1)
    ]  # fmt: skip
    assert loads[1]["reject_ratio"] == pytest.approx(1 / 3)
    [rejected] = table(at, "rejected_rows")
    assert (rejected["reason_code"], rejected["rows_rejected"]) == ("paid_at_missing", 1)
    # Published with descriptions and without any rejected row's content.
    comments = dict(query(published, "select table_name, comment from duckdb_tables()"))
    assert comments["load_quality_daily"] and comments["rejected_rows_daily"]
    columns = {c for (c,) in query(published, "select column_name from duckdb_columns()")}
    assert "raw_record" not in columns


def test_data_quality_page_says_what_is_missing(
    published_sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_app(published_sample, monkeypatch, "Data quality")
    [warning] = at.warning
    assert "marts.load_quality_daily" in warning.value


def test_every_page_renders_under_every_filter(
    published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_app(published, monkeypatch)
    for widget, value in (("shop", "sh1"), ("streamer", "s1"), ("category", "food"),
                          ("traffic_domain", "public")):  # fmt: skip
        at.sidebar.selectbox(key=widget).set_value(value).run()
        for page in at.sidebar.radio(key="page").options:
            at.sidebar.radio(key="page").set_value(page).run()
            assert not at.exception, (widget, page, at.exception)
            assert at.header, page


def test_a_new_publish_shows_without_a_restart(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy2(warehouse, copy)
    path = tmp_path / "published" / "live_commerce.duckdb"
    with duckdb.connect(str(copy)) as conn:
        publish_marts(conn, path)
    at = open_app(path, monkeypatch)
    assert metrics(at)["GMV (paid)"] == "445.50"
    with duckdb.connect(str(copy)) as conn:
        # The next build: every day's GMV doubled, and one more day (07-06, GMV 1.00) loaded.
        conn.execute("update marts.gmv_daily set gmv = gmv * 2")
        conn.execute(
            "insert into marts.gmv_daily values "
            "('2021-07-06', 1, 1, 1.00, 0, 1.00, 0, 1.00, 1, 1.00, 0)"
        )
        publish_marts(conn, path)
    at.run()  # the next interaction: same app session, no restart
    # 445.50 * 2 + 1.00: the period widened to the new last day by itself.
    assert metrics(at)["GMV (paid)"] == "892.00"
    assert "paid days loaded: 2021-06-01 .. 2021-07-06" in [c.value for c in at.sidebar.caption]


def test_lcw_dashboard_refuses_a_missing_copy(tmp_path: Path) -> None:
    from helpers import lcw

    result = lcw("dashboard", "--published", str(tmp_path / "absent.duckdb"), "--port", "8599")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"lcw dashboard: error: no published copy at {tmp_path / 'absent.duckdb'}"
    )


def test_the_server_command_is_headless_and_local() -> None:
    from orchestration.dashboard import streamlit_command

    command = streamlit_command(8600)
    assert command[-12:] == [
        "--server.port", "8600", "--server.address", "127.0.0.1", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--client.toolbarMode", "viewer",
    ]  # fmt: skip
