"""How the dashboard writes figures: one place, so that tests can write the marts' values the
same way and compare them to what the page shows."""

from __future__ import annotations

from decimal import Decimal

NONE = "–"


def money(value: Decimal | float | int | None) -> str:
    """CNY with two decimals and thousands separators: 26,983,349.45."""
    return NONE if value is None else f"{Decimal(str(value)):,.2f}"


def count(value: int | None) -> str:
    return NONE if value is None else f"{int(value):,}"


def rate(value: float | None) -> str:
    """A fraction in [0, 1] as a percentage with one decimal: 62.8%."""
    return NONE if value is None or value != value else f"{float(value):.1%}"  # NaN: no value


def rate_with_parts(
    numerator: int | Decimal, denominator: int | Decimal, value: float | None
) -> str:
    """62.8% (30,077 / 47,878): a rate beside its numerator and denominator."""
    parts = (
        f"{money(numerator)} / {money(denominator)}"
        if isinstance(numerator, Decimal)
        else f"{count(numerator)} / {count(denominator)}"
    )
    return f"{rate(value)} ({parts})"
