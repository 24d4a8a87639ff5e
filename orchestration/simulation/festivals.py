"""The shopping-festival calendar on which both simulators plant their volume peaks.

The windows are those of `seeds/reference/shopping_festivals.csv`, the calendar the marts use.
The seed lists 2020-2022 only and the package must not read dbt seeds, so the simulators keep
this table, which recurs every year and adds the festival's own day (6/16, 11/16), the peak.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Festival:
    name: str
    month: int
    first_day: int
    peak_day: int
    last_day: int


FESTIVALS = (
    Festival("616 quality shopping festival", month=6, first_day=1, peak_day=16, last_day=18),
    Festival("116 shopping carnival", month=11, first_day=1, peak_day=16, last_day=16),
)


def festival_on(d: date) -> Festival | None:
    """The festival whose window holds `d`, if any."""
    for festival in FESTIVALS:
        if d.month == festival.month and festival.first_day <= d.day <= festival.last_day:
            return festival
    return None
