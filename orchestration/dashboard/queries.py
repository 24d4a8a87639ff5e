"""Every figure the dashboard shows, as a query over the published copy (no Streamlit here).

Each function opens the published file read-only for that one query and closes it, so a new
publish (an atomic replace of the file) is picked up on the next query, with no restart and no
connection ever holding the file open. The figures are the marts' own: a single mart row, or a
sum of a mart's additive columns (money, counts), and rates are re-aggregated as sum of
numerator / sum of denominator, never averaged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

ALL = "All"
# The one-dimension slices of gmv_monthly_by_dimension the filters map to, in priority order.
SLICE_FILTERS = ("shop", "streamer", "category", "traffic_domain")


@dataclass(frozen=True)
class Filters:
    """What the sidebar selects. ALL (or None for the period) means no filter."""

    start: date
    end: date
    shop: str = ALL
    streamer: str = ALL
    category: str = ALL
    traffic_domain: str = ALL

    def slices(self) -> dict[str, str]:
        """The dimension filters that are set: {'shop': 'sh1', ...}."""
        return {name: getattr(self, name) for name in SLICE_FILTERS if getattr(self, name) != ALL}

    def scope(self) -> tuple[str, str]:
        """(scope, scope_id) of the scoped marts (repurchase, private domain): the shop if one
        is chosen, else the streamer, else the platform."""
        if self.shop != ALL:
            return "shop", self.shop
        if self.streamer != ALL:
            return "streamer", self.streamer
        return "platform", "all"


def connect(published: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(published), read_only=True)


def rows(published: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    with connect(published) as conn:
        cursor = conn.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def frame(published: Path, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    """A query's rows as a DataFrame; DATE columns stay dates (pandas would make them
    midnight timestamps)."""
    with connect(published) as conn:
        cursor = conn.execute(sql, params or [])
        dates = [name for name, type_code, *_ in cursor.description if str(type_code) == "DATE"]
        result = cursor.df()
    for name in dates:
        result[name] = result[name].dt.date
    return result


def published_at(published: Path) -> datetime:
    """When the copy was published: the file's modification time (each publish writes a new
    file and renames it into place)."""
    return datetime.fromtimestamp(published.stat().st_mtime, tz=UTC)


def has_table(published: Path, table: str) -> bool:
    found = rows(
        published,
        "select count(*) as n from duckdb_tables() where schema_name = 'marts' and table_name = ?",
        [table],
    )
    return found[0]["n"] > 0


def loaded_range(published: Path) -> tuple[date, date]:
    [row] = rows(published, "select min(day) as first, max(day) as last from marts.gmv_daily")
    return row["first"], row["last"]


def options(published: Path) -> dict[str, list[str]]:
    """The values each filter offers."""
    return {
        "shop": [
            r["v"] for r in rows(published, "select shop_id as v from marts.dim_shops order by 1")
        ],
        "streamer": [
            r["v"]
            for r in rows(published, "select streamer_id as v from marts.dim_streamers order by 1")
        ],
        "category": [
            r["v"]
            for r in rows(
                published, "select distinct category as v from marts.fct_orders order by 1"
            )
            if r["v"] is not None
        ],
        "traffic_domain": ["private", "public"],
    }


def headline(published: Path) -> dict[str, Any]:
    [row] = rows(published, "select * from marts.headline_figures")
    return row


def coverage(published: Path, grain: str, period_start: date) -> dict[str, Any] | None:
    found = rows(
        published,
        "select * from marts.period_coverage where period_grain = ? and period_start = ?",
        [grain, period_start],
    )
    return found[0] if found else None


# GMV ------------------------------------------------------------------------------------------


def gmv_totals(published: Path, f: Filters) -> dict[str, Decimal | int | None]:
    """Paid, net, placed, private and public GMV and orders over the period. Without dimension
    filters: sums of gmv_daily. With them: sums of fct_orders (placed GMV is per day only, so
    it is None then)."""
    if not f.slices():
        [row] = rows(
            published,
            """select coalesce(sum(gmv), 0) as gmv, coalesce(sum(net_gmv), 0) as net_gmv,
                      coalesce(sum(placed_gmv), 0) as placed_gmv,
                      coalesce(sum(private_gmv), 0) as private_gmv,
                      coalesce(sum(public_gmv), 0) as public_gmv,
                      coalesce(sum(orders), 0) as orders
               from marts.gmv_daily where day between ? and ?""",
            [f.start, f.end],
        )
        return row
    where, params = order_filter(f)
    [row] = rows(
        published,
        f"""select coalesce(sum(gmv), 0) as gmv, coalesce(sum(net_gmv), 0) as net_gmv,
                   null as placed_gmv,
                   coalesce(sum(case when traffic_domain = 'private' then gmv end), 0)
                       as private_gmv,
                   coalesce(sum(case when traffic_domain = 'public' then gmv end), 0)
                       as public_gmv,
                   count(*) as orders
            from marts.fct_orders where {where}""",
        params,
    )
    return row


def order_filter(f: Filters) -> tuple[str, list[Any]]:
    """The WHERE clause of fct_orders for the filters."""
    clauses, params = ["paid_date between ? and ?"], [f.start, f.end]
    columns = {"shop": "shop_id", "streamer": "streamer_id", "category": "category"}
    columns["traffic_domain"] = "traffic_domain"
    for name, value in f.slices().items():
        clauses.append(f"{columns[name]} = ?")
        params.append(value)
    return " and ".join(clauses), params


def gmv_by_day(published: Path, f: Filters) -> pd.DataFrame:
    if not f.slices():
        return frame(
            published,
            """select day, gmv, net_gmv, placed_gmv, private_gmv, public_gmv
               from marts.gmv_daily where day between ? and ? order by day""",
            [f.start, f.end],
        )
    where, params = order_filter(f)
    return frame(
        published,
        f"""select paid_date as day, sum(gmv) as gmv, sum(net_gmv) as net_gmv,
                   sum(case when traffic_domain = 'private' then gmv else 0 end) as private_gmv,
                   sum(case when traffic_domain = 'public' then gmv else 0 end) as public_gmv
            from marts.fct_orders where {where} group by paid_date order by paid_date""",
        params,
    )


def gmv_by_month(published: Path, f: Filters) -> tuple[str, pd.DataFrame]:
    """Monthly GMV with growth (prior month, prior year, both values shown) from
    gmv_monthly_by_dimension: the platform, or the one dimension a filter selects."""
    slices = f.slices()
    dimension, value = ("platform", "all")
    if len(slices) == 1:
        dimension, value = next(iter(slices.items()))
    label = "platform" if dimension == "platform" else f"{dimension} = {value}"
    return label, frame(
        published,
        """select month_start, gmv, net_gmv, orders, prior_month_gmv, mom_growth,
                  prior_year_gmv, yoy_growth
           from marts.gmv_monthly_by_dimension
           where dimension = ? and dimension_value = ?
             and month_start between date_trunc('month', ?::date) and ?
           order by month_start""",
        [dimension, value, f.start, f.end],
    )


# Repurchase -----------------------------------------------------------------------------------


def repeat_purchase(published: Path, f: Filters, grain: str) -> pd.DataFrame:
    scope, scope_id = f.scope()
    return frame(
        published,
        """select r.period_start, r.buyers, r.repeat_buyers, r.repeat_purchase_rate,
                  c.covered_days, c.period_days, c.is_partial
           from marts.repurchase_rate as r
           left join marts.period_coverage as c
             on c.period_grain = r.period_grain and c.period_start = r.period_start
           where r.period_grain = ? and r.scope = ? and r.scope_id = ?
             and r.period_start between date_trunc(?, ?::date) and ?
           order by r.period_start""",
        [grain, scope, scope_id, grain, f.start, f.end],
    )


# The monthly marts kept per scope (platform, shop, streamer) that the dashboard shows as they
# are: each one's month column, and the columns shown beside it.
SCOPED_MONTHLY_MARTS = {
    "marts.returning_buyers_monthly": (
        "month_start",
        "buyers, returning_buyers, returning_buyer_share",
    ),
    "marts.cohort_retention": (
        "cohort_month",
        "cohort_buyers, retained_30d, retention_30d, retained_90d, retention_90d, "
        "retained_180d, retention_180d",
    ),
    "marts.private_domain_share_monthly": (
        "month_start",
        "gmv, private_gmv, private_domain_share, orders, private_orders, repurchase_orders, "
        "private_repurchase_orders, repurchase_private_share",
    ),
}


def scoped_months(published: Path, f: Filters, mart: str) -> pd.DataFrame:
    """A mart of SCOPED_MONTHLY_MARTS (by its qualified name) for the filters' scope, over the
    months the period touches, in month order."""
    month_column, columns = SCOPED_MONTHLY_MARTS[mart]
    scope, scope_id = f.scope()
    return frame(
        published,
        f"""select {month_column}, {columns}
            from {mart}
            where scope = ? and scope_id = ?
              and {month_column} between date_trunc('month', ?::date) and ?
            order by {month_column}""",
        [scope, scope_id, f.start, f.end],
    )


def returning_buyers(published: Path, f: Filters) -> pd.DataFrame:
    return scoped_months(published, f, "marts.returning_buyers_monthly")


def cohort_retention(published: Path, f: Filters) -> pd.DataFrame:
    return scoped_months(published, f, "marts.cohort_retention")


# Private domain -------------------------------------------------------------------------------


def private_domain(published: Path, f: Filters) -> pd.DataFrame:
    return scoped_months(published, f, "marts.private_domain_share_monthly")


def private_domain_totals(published: Path, f: Filters) -> dict[str, Any]:
    """Over the selected months: sums of the numerators and denominators, and their ratios."""
    scope, scope_id = f.scope()
    [row] = rows(
        published,
        """select coalesce(sum(gmv), 0) as gmv, coalesce(sum(private_gmv), 0) as private_gmv,
                  coalesce(sum(repurchase_orders), 0) as repurchase_orders,
                  coalesce(sum(private_repurchase_orders), 0) as private_repurchase_orders
           from marts.private_domain_share_monthly
           where scope = ? and scope_id = ?
             and month_start between date_trunc('month', ?::date) and ?""",
        [scope, scope_id, f.start, f.end],
    )
    row["private_domain_share"] = ratio(row["private_gmv"], row["gmv"])
    row["repurchase_private_share"] = ratio(
        row["private_repurchase_orders"], row["repurchase_orders"]
    )
    return row


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


# Livestream -----------------------------------------------------------------------------------


def session_filter(f: Filters) -> tuple[str, list[Any]]:
    clauses, params = ["session_date between ? and ?"], [f.start, f.end]
    if f.streamer != ALL:
        clauses.append("streamer_id = ?")
        params.append(f.streamer)
    return " and ".join(clauses), params


def session_totals(published: Path, f: Filters) -> dict[str, Any]:
    where, params = session_filter(f)
    [row] = rows(
        published,
        f"""select count(*) as sessions, coalesce(sum(viewers), 0) as viewers,
                   coalesce(sum(watch_minutes), 0) as watch_minutes,
                   coalesce(sum(gmv), 0) as gmv
            from marts.fct_livestream_sessions where {where}""",
        params,
    )
    return row


def sessions(published: Path, f: Filters) -> pd.DataFrame:
    where, params = session_filter(f)
    return frame(
        published,
        f"""select session_id, streamer_id, session_date, viewers, follower_viewers,
                   public_viewers, watch_minutes, peak_concurrent, interactions, orders, buyers,
                   gmv, private_gmv
            from marts.fct_livestream_sessions where {where}
            order by started_at""",
        params,
    )


def decomposition(published: Path, f: Filters) -> pd.DataFrame:
    """The five factors per streamer and month, and their product beside GMV."""
    clauses = ["month_start between date_trunc('month', ?::date) and ?"]
    params: list[Any] = [f.start, f.end]
    if f.streamer != ALL:
        clauses.append("streamer_id = ?")
        params.append(f.streamer)
    return frame(
        published,
        f"""select month_start, streamer_id, viewers, watch_minutes_per_viewer,
                   buyers_per_watch_minute, avg_order_value, orders_per_buyer,
                   viewers * watch_minutes_per_viewer * buyers_per_watch_minute
                       * avg_order_value * orders_per_buyer as product_of_factors,
                   gmv
            from marts.gmv_decomposition_monthly where {" and ".join(clauses)}
            order by month_start, streamer_id""",
        params,
    )


# Fan tiers ------------------------------------------------------------------------------------


def fan_tiers(published: Path, f: Filters) -> pd.DataFrame:
    return frame(
        published,
        """select m.month_start, m.fan_tier, t.fan_tier_order, m.streamers, m.sessions, m.gmv,
                  m.gmv_share, m.session_share
           from marts.fan_tier_monthly as m
           left join marts.dim_fan_tiers as t on t.fan_tier = m.fan_tier
           where m.month_start between date_trunc('month', ?::date) and ?
           order by m.month_start, t.fan_tier_order""",
        [f.start, f.end],
    )


def top_streamers(published: Path, f: Filters, limit: int = 20) -> pd.DataFrame:
    clauses, params = ["true"], []
    if f.shop != ALL:
        clauses.append("shop_id = ?")
        params.append(f.shop)
    if f.category != ALL:
        clauses.append("category = ?")
        params.append(f.category)
    return frame(
        published,
        f"""select streamer_id, fan_tier, follower_count, shop_id, category, sessions, orders,
                   gmv
            from marts.dim_streamers where {" and ".join(clauses)}
            order by gmv desc, streamer_id limit {int(limit)}""",
        params,
    )


# Trust card, festivals, enforcement, data quality ---------------------------------------------


def trust_card_impact(published: Path, f: Filters) -> pd.DataFrame:
    clauses, params = ["true"], []
    if f.shop != ALL:
        clauses.append("shop_id = ?")
        params.append(f.shop)
    return frame(
        published,
        f"""select shop_id, trust_right, enabled_at, before_buyers, before_repeat_buyers,
                   before_rate, after_buyers, after_repeat_buyers, after_rate,
                   control_before_rate, control_after_rate, diff_in_diff, after_window_complete
            from marts.trust_card_impact where {" and ".join(clauses)}
            order by enabled_at, shop_id, trust_right""",
        params,
    )


def festivals(published: Path) -> pd.DataFrame:
    return frame(
        published,
        """select festival_id, festival_name, name_zh, start_date, end_date, gmv, orders,
                  festival_daily_gmv, baseline_daily_gmv, uplift, prior_year_gmv, yoy_growth
           from marts.festival_gmv order by start_date""",
    )


def enforcement_monthly(published: Path, f: Filters) -> pd.DataFrame:
    return frame(
        published,
        """select month_start, action_type, sum(actions) as actions
           from marts.enforcement_monthly
           where month_start between date_trunc('month', ?::date) and ?
           group by month_start, action_type order by month_start, action_type""",
        [f.start, f.end],
    )


def enforcement_commerce(published: Path, f: Filters) -> pd.DataFrame:
    return frame(
        published,
        """select month_start, gmv, penalised_gmv, penalised_gmv_share
           from marts.enforcement_commerce_monthly
           where month_start between date_trunc('month', ?::date) and ?
           order by month_start""",
        [f.start, f.end],
    )


DATA_QUALITY_TABLES = ("load_quality_daily", "rejected_rows_daily")


def load_quality(published: Path, f: Filters) -> pd.DataFrame:
    return frame(
        published,
        """select partition_dt, source, files, rows_read, rows_loaded, rows_rejected,
                  reject_ratio
           from marts.load_quality_daily where partition_dt between ? and ?
           order by partition_dt, source""",
        [f.start, f.end],
    )


def rejected_rows(published: Path, f: Filters) -> pd.DataFrame:
    return frame(
        published,
        """select partition_dt, source, reason_code, rows_rejected
           from marts.rejected_rows_daily where partition_dt between ? and ?
           order by partition_dt, source, reason_code""",
        [f.start, f.end],
    )
