"""The live-commerce dashboard: `lcw dashboard [--published FILE] [--port N]` serves this script.

Reads only the published copy (LCW_PUBLISHED), read-only, one short connection per query
(queries.py), so every rerun sees the latest publish. Every figure is a mart's value, written
with formatting.py; tests/test_dashboard.py checks each page against the marts.
"""

from __future__ import annotations

import os
from datetime import date, timedelta, timezone
from pathlib import Path

import pandas as pd
import streamlit as st

from orchestration.dashboard import PUBLISHED_ENV
from orchestration.dashboard import queries as q
from orchestration.dashboard.formatting import count, money, rate, rate_with_parts
from orchestration.settings import REPO_ROOT

SHANGHAI = timezone(timedelta(hours=8))
PAGES = (
    "GMV",
    "Repurchase",
    "Private domain",
    "Livestream",
    "Fan tiers",
    "Trust card",
    "Festivals",
    "Enforcement",
    "Data quality",
)


def published_path() -> Path:
    default = REPO_ROOT / "data" / "published" / "live_commerce.duckdb"
    return Path(os.environ.get(PUBLISHED_ENV, default))


def sidebar(published: Path) -> tuple[str, q.Filters]:
    first, last = q.loaded_range(published)
    built = q.published_at(published).astimezone(SHANGHAI)
    st.sidebar.caption(f"published at {built:%Y-%m-%d %H:%M:%S} (Asia/Shanghai)")
    st.sidebar.caption(f"paid days loaded: {first} .. {last}")
    page = st.sidebar.radio("Page", PAGES, key="page")
    period = st.sidebar.date_input(
        "Period (reporting days)",
        value=(first, last),
        min_value=first,
        max_value=last,
        # Keyed by the loaded range: when a new publish brings new days, the period starts again
        # as everything loaded instead of staying clipped to the old last day.
        key=f"period {first} {last}",
    )
    # While the user picks the second date, the range has one end only.
    start, end = (period[0], period[-1]) if isinstance(period, tuple | list) else (period, period)
    choices = q.options(published)
    picked = {
        name: st.sidebar.selectbox(label, [q.ALL, *choices[name]], key=name)
        for name, label in (
            ("shop", "Shop"),
            ("streamer", "Streamer"),
            ("category", "Category"),
            ("traffic_domain", "Traffic domain"),
        )
    }
    return page, q.Filters(start=start, end=end, **picked)


def month_label(day: date) -> str:
    return f"{day:%Y-%m}"


def period_label(grain: str, start: date) -> str:
    """2020-06, 2020 Q2 or 2020."""
    if grain == "month":
        return month_label(start)
    if grain == "quarter":
        return f"{start:%Y} Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y}"


def applies(filters: str) -> None:
    st.caption(f"Filters that apply here: {filters}.")


def page_gmv(published: Path, f: q.Filters) -> None:
    st.header("GMV")
    applies("period, shop, streamer, category, traffic domain")
    totals = q.gmv_totals(published, f)
    cols = st.columns(3)
    cols[0].metric("GMV (paid)", money(totals["gmv"]))
    cols[1].metric("Net GMV", money(totals["net_gmv"]))
    cols[2].metric("Placed GMV", money(totals["placed_gmv"]))
    cols = st.columns(3)
    cols[0].metric("Private-domain GMV", money(totals["private_gmv"]))
    cols[1].metric("Public-domain GMV", money(totals["public_gmv"]))
    cols[2].metric("Orders", count(totals["orders"]))
    if f.slices():
        st.caption(
            "With a shop, streamer, category or traffic-domain filter the figures are sums of "
            "fct_orders; placed GMV (orders created, paid or not) exists per day only "
            "(gmv_daily), so it shows – here."
        )
    daily = q.gmv_by_day(published, f)
    st.subheader("By day")
    st.line_chart(daily, x="day", y=[c for c in daily.columns if c != "day"])
    label, monthly = q.gmv_by_month(published, f)
    st.subheader(f"By month, with growth ({label})")
    if len(f.slices()) > 1:
        st.caption("Growth is published per single dimension: showing the platform's.")
    st.bar_chart(
        daily.assign(month=pd.to_datetime(daily["day"]).dt.strftime("%Y-%m"))
        .groupby("month")[["private_gmv", "public_gmv"]]
        .sum(),
        stack=True,
    )
    st.dataframe(monthly, hide_index=True)


REPURCHASE_DEFINITIONS = """
- **Repeat-purchase rate** (复购率, `repurchase_rate`): of the buyers with a counted order in the
  period, the share with two or more in it. Needs the grain: a month's rate and a year's rate are
  different figures, and monthly rates never add up to a year's.
- **Returning-buyer share** (`returning_buyers_monthly`): of the buyers of the month, the share
  who had a counted order in the 12 months before it.
- **Cohort retention** (`cohort_retention`): of the buyers whose first counted order falls in the
  month, the share who ordered again within 30, 90 and 180 days (empty until the window has
  fully elapsed).
"""


def page_repurchase(published: Path, f: q.Filters) -> None:
    st.header("Repurchase")
    scope, scope_id = f.scope()
    applies(f"period; scope {scope} {scope_id} (shop, else streamer, else platform)")
    st.markdown(REPURCHASE_DEFINITIONS)
    grain = st.radio(
        "Repeat-purchase period", ("month", "quarter", "year"), key="grain", horizontal=True
    )
    repeat = q.repeat_purchase(published, f, grain)
    returning = q.returning_buyers(published, f)
    cohorts = q.cohort_retention(published, f)
    cols = st.columns([2, 1, 1])
    if len(repeat):
        last = repeat.iloc[-1]
        partial = (
            f", partial: {int(last.covered_days)} of {int(last.period_days)} days"
            if bool(last.is_partial)
            else ""
        )
        cols[0].metric(
            f"Repeat-purchase rate ({period_label(grain, last.period_start)}{partial})",
            rate_with_parts(int(last.repeat_buyers), int(last.buyers), last.repeat_purchase_rate),
        )
    if len(returning):
        last = returning.iloc[-1]
        cols[1].metric(
            f"Returning-buyer share ({last.month_start:%Y-%m})",
            rate_with_parts(
                int(last.returning_buyers), int(last.buyers), last.returning_buyer_share
            ),
        )
    complete = cohorts.dropna(subset=["retention_30d"])
    if len(complete):
        last = complete.iloc[-1]
        cols[2].metric(
            f"30-day retention (cohort {last.cohort_month:%Y-%m})",
            rate_with_parts(int(last.retained_30d), int(last.cohort_buyers), last.retention_30d),
        )
    st.subheader("Side by side")
    st.line_chart(
        pd.concat(
            [
                repeat.set_index("period_start")["repeat_purchase_rate"],
                returning.set_index("month_start")["returning_buyer_share"],
                cohorts.set_index("cohort_month")["retention_30d"],
            ],
            axis=1,
        ).rename(index=str)
    )
    st.dataframe(repeat, hide_index=True)
    st.dataframe(returning, hide_index=True)
    st.dataframe(cohorts, hide_index=True)


def page_private_domain(published: Path, f: q.Filters) -> None:
    st.header("Private domain (私域)")
    scope, scope_id = f.scope()
    applies(f"period; scope {scope} {scope_id}")
    st.markdown(
        "An order is **private-domain** when its buyer followed the selling streamer at the "
        "moment of payment. **Private-domain share** = private GMV / GMV; **repurchase private "
        "share** = private-domain repurchase orders / repurchase orders (the published 84%)."
    )
    totals = q.private_domain_totals(published, f)
    cols = st.columns(2)
    cols[0].metric(
        "Private-domain share of GMV",
        rate_with_parts(totals["private_gmv"], totals["gmv"], totals["private_domain_share"]),
    )
    cols[1].metric(
        "Repurchase private share",
        rate_with_parts(
            totals["private_repurchase_orders"],
            totals["repurchase_orders"],
            totals["repurchase_private_share"],
        ),
    )
    monthly = q.private_domain(published, f)
    st.line_chart(
        monthly.assign(month=monthly["month_start"].map(month_label)),
        x="month",
        y=["private_domain_share", "repurchase_private_share"],
    )
    st.dataframe(monthly, hide_index=True)


def page_livestream(published: Path, f: q.Filters) -> None:
    st.header("Livestream sessions")
    applies("period, streamer")
    totals = q.session_totals(published, f)
    cols = st.columns(4)
    cols[0].metric("Sessions", count(totals["sessions"]))
    cols[1].metric("Viewers (UV)", count(totals["viewers"]))
    cols[2].metric("Watch minutes", f"{totals['watch_minutes']:,.1f}")
    cols[3].metric("Session GMV", money(totals["gmv"]))
    sessions = q.sessions(published, f)
    # Followers and the public stack up to the viewers (UV) of each day.
    st.bar_chart(sessions, x="session_date", y=["follower_viewers", "public_viewers"])
    st.dataframe(sessions, hide_index=True)
    st.subheader("GMV decomposition")
    st.markdown(
        "GMV = viewers × watch minutes per viewer × buyers per watch minute × average order "
        "value × orders per buyer (per streamer and month of session start)."
    )
    st.dataframe(q.decomposition(published, f), hide_index=True)


def page_fan_tiers(published: Path, f: q.Filters) -> None:
    st.header("Fan tiers")
    applies("period (tiers); shop, category (top streamers)")
    tiers = q.fan_tiers(published, f)
    order = tiers.drop_duplicates("fan_tier").sort_values("fan_tier_order")["fan_tier"].tolist()
    # Tiers stacked and in the legend in their natural order (fan_tier_order), not by label.
    st.vega_lite_chart(
        tiers.assign(month=tiers["month_start"].map(month_label)),
        {
            "mark": "bar",
            "encoding": {
                "x": {"field": "month", "type": "ordinal", "title": "month"},
                "y": {"field": "gmv_share", "type": "quantitative", "title": "share of GMV"},
                "color": {"field": "fan_tier", "type": "nominal", "sort": order},
                "order": {"field": "fan_tier_order", "type": "quantitative"},
            },
        },
    )
    st.dataframe(tiers, hide_index=True)
    st.subheader("Top streamers by lifetime GMV, with their fan tier")
    st.dataframe(q.top_streamers(published, f), hide_index=True)


def page_trust_card(published: Path, f: q.Filters) -> None:
    st.header("Trust card (小店信任卡)")
    applies("shop")
    st.markdown(
        "For each enablement: the shop's repeat-purchase rate in the 90 days before and after, "
        "beside the same windows for shops that never held the right (difference in "
        "differences)."
    )
    impact = q.trust_card_impact(published, f)
    if len(impact):
        first = impact.iloc[0]
        cols = st.columns(3)
        cols[0].metric(f"Before ({first.shop_id}, {first.trust_right})", rate(first.before_rate))
        cols[1].metric("After", rate(first.after_rate))
        cols[2].metric(
            "Control before → after",
            f"{rate(first.control_before_rate)} → {rate(first.control_after_rate)}",
        )
        st.bar_chart(
            impact.set_index("shop_id")[
                ["before_rate", "after_rate", "control_before_rate", "control_after_rate"]
            ]
        )
    st.dataframe(impact, hide_index=True)


def page_festivals(published: Path, f: q.Filters) -> None:
    st.header("Shopping festivals")
    applies("none (whole festivals)")
    festivals = q.festivals(published)
    st.bar_chart(festivals, x="festival_id", y="gmv")
    st.dataframe(festivals, hide_index=True)


def page_enforcement(published: Path, f: q.Filters) -> None:
    st.header("Enforcement")
    applies("period (trends); headline over everything loaded")
    h = q.headline(published)
    cols = st.columns(3)
    cols[0].metric("Brushing interceptions per day", f"{h['brushing_interceptions_per_day']:,.2f}")
    cols[1].metric(
        "Live rooms banned (private orders)", count(h["live_rooms_banned_private_order"])
    )
    cols[2].metric(
        "Gangs cleared (accounts)", f"{count(h['gangs_cleared'])} ({count(h['accounts_cleared'])})"
    )
    cols = st.columns(3)
    cols[0].metric(
        "Police referrals (cases)", f"{count(h['police_referrals'])} ({count(h['referral_cases'])})"
    )
    cols[1].metric("Amount involved", money(h["referral_amount"]))
    cols[2].metric(
        "Pinocchio sessions / users / penalties",
        f"{count(h['pinocchio_sessions'])} / {count(h['pinocchio_reporters'])} / "
        f"{count(h['pinocchio_penalties'])}",
    )
    trend = q.enforcement_monthly(published, f)
    st.bar_chart(
        trend.assign(month=trend["month_start"].map(month_label)),
        x="month",
        y="actions",
        color="action_type",
    )
    st.subheader("Enforcement beside commerce")
    st.dataframe(q.enforcement_commerce(published, f), hide_index=True)


def page_data_quality(published: Path, f: q.Filters) -> None:
    st.header("Data quality")
    applies("period (export dates)")
    missing = [t for t in q.DATA_QUALITY_TABLES if not q.has_table(published, t)]
    if missing:
        st.warning(
            "This published copy has no load statistics (missing: "
            + ", ".join(f"marts.{t}" for t in missing)
            + "). It was built without ingestion (for example from the sample seeds)."
        )
        return
    loads = q.load_quality(published, f)
    st.bar_chart(loads, x="partition_dt", y=["rows_loaded", "rows_rejected"])
    st.dataframe(loads, hide_index=True)
    st.dataframe(q.rejected_rows(published, f), hide_index=True)


RENDER = {
    "GMV": page_gmv,
    "Repurchase": page_repurchase,
    "Private domain": page_private_domain,
    "Livestream": page_livestream,
    "Fan tiers": page_fan_tiers,
    "Trust card": page_trust_card,
    "Festivals": page_festivals,
    "Enforcement": page_enforcement,
    "Data quality": page_data_quality,
}


def main() -> None:
    st.set_page_config(page_title="Live-commerce warehouse", layout="wide")
    published = published_path()
    if not published.is_file():
        st.error(f"No published copy at {published}: run `lcw run` or `lcw demo` first.")
        return
    page, filters = sidebar(published)
    RENDER[page](published, filters)


main()
