"""Parsing landing values, Asia/Shanghai calendar arithmetic and ratios: what every oracle mart
shares. Dates are ``datetime.date`` (Shanghai calendar days), money is ``Decimal`` quantized to
0.01, rates are ``float`` (or ``None``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

Record = dict[str, Any]
Key = tuple[Any, ...]
Mart = dict[Key, Record]


# --------------------------------------------------------------------------------------------
# Value parsing
# --------------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def parse_id(value: Any) -> str | None:
    """Ids are opaque strings; None and empty strings are null."""
    return None if _blank(value) else str(value)


def parse_ts(value: Any) -> datetime | None:
    """An aware datetime; values without an offset are Asia/Shanghai time."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    return parsed


def parse_money(value: Any) -> Decimal:
    """Decimal CNY quantized to 0.01; null is 0.00."""
    if _blank(value):
        return ZERO
    return Decimal(str(value).strip()).quantize(CENT)


def parse_int(value: Any) -> int | None:
    """Integers may arrive as text (CSV), int (JSON/Parquet); null is None."""
    if _blank(value):
        return None
    return int(str(value).strip())


def required_int(value: Any) -> int:
    parsed = parse_int(value)
    assert parsed is not None
    return parsed


# --------------------------------------------------------------------------------------------
# Calendar (Asia/Shanghai)
# --------------------------------------------------------------------------------------------


def shanghai_date(value: datetime) -> date:
    return value.astimezone(SHANGHAI).date()


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def year_start(day: date) -> date:
    return date(day.year, 1, 1)


def months_before(month: date, months: int) -> date:
    """The first day of the month ``months`` calendar months before ``month``."""
    index = month.year * 12 + (month.month - 1) - months
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of the month that starts on ``month``."""
    return months_before(month, -1) - timedelta(days=1)


# --------------------------------------------------------------------------------------------
# Ratios
# --------------------------------------------------------------------------------------------


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> float | None:
    if denominator == 0:
        return None
    return float(Decimal(numerator) / Decimal(denominator))
