"""marts.period_coverage on the sample: counted orders are paid from 2021-06-01 to 2021-07-05."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from helpers import query


def test_partial_periods_are_marked(sample_warehouse: Path) -> None:
    rows = {
        (grain, start): rest
        for grain, start, *rest in query(
            sample_warehouse,
            """select period_grain, period_start::varchar, period_days, covered_from,
                      covered_to, covered_days, is_partial
               from marts.period_coverage""",
        )
    }
    assert sorted(rows) == [
        ("month", "2021-06-01"), ("month", "2021-07-01"), ("quarter", "2021-04-01"),
        ("quarter", "2021-07-01"), ("year", "2021-01-01"),
    ]  # fmt: skip
    # June is whole: 30 of 30 days.
    assert rows[("month", "2021-06-01")] == [30, date(2021, 6, 1), date(2021, 6, 30), 30, False]
    # July: 07-01 .. 07-05 = 5 of 31.
    assert rows[("month", "2021-07-01")] == [31, date(2021, 7, 1), date(2021, 7, 5), 5, True]
    # Q2 (91 days) holds June only: 30 days.
    assert rows[("quarter", "2021-04-01")] == [91, date(2021, 6, 1), date(2021, 6, 30), 30, True]
    # 2021: 06-01 .. 07-05 = 30 + 5 = 35 of 365 days.
    assert rows[("year", "2021-01-01")] == [365, date(2021, 6, 1), date(2021, 7, 5), 35, True]


def test_the_headline_says_how_much_of_the_year_is_covered(published_sample: Path) -> None:
    from orchestration.cli.report import headline_table
    from orchestration.warehouse.queries import headline_figures

    table = headline_table(headline_figures(published_sample))
    # 2021 holds 06-01 .. 07-05 only: the rate is 4 / 4 over 35 of the year's 365 days.
    assert "Repeat-purchase rate (2021, 35 of 365 days)  100.0%  (4 / 4)" in table
