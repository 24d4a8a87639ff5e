"""A guard in front of MetricFlow's `mf query`: refuse a metric at a time grain it is wrong at.

MetricFlow computes a ratio metric as sum(numerator) / sum(denominator) at the queried grain.
That is right when numerator and denominator are additive (GMV, orders: private_domain_share by
year is private GMV of the year / GMV of the year). It is silently wrong when they are distinct
counts published per month (buyers, repeat buyers): asked by year, MetricFlow sums twelve monthly
distinct counts, so a buyer active in five months counts five times and the yearly
repeat_purchase_rate comes out far too low.

Such metrics say so in the dbt project (`config: meta: valid_time_grains: [month]` in
models/semantic/_metrics.yml). `lcw-mf query ...` takes the same arguments as `mf query`, checks
them against the semantic manifest and either runs `mf` or refuses with a message that names the
mart holding the right figure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SEMANTIC_MANIFEST = Path("target") / "semantic_manifest.json"
TIME_GRAINS = ("day", "week", "month", "quarter", "year")


class GrainError(ValueError):
    """A metric asked for at a time grain its numerator and denominator do not add up to."""


def valid_time_grains(manifest: dict) -> dict[str, list[str]]:
    """{metric: the only time grains it may be queried at}, for the metrics that declare them."""
    grains = {}
    for metric in manifest["metrics"]:
        declared = (metric.get("config") or {}).get("meta", {}).get("valid_time_grains")
        if declared:
            grains[metric["name"]] = list(declared)
    return grains


def requested_time_grains(group_by: list[str]) -> list[str]:
    """The time grains among `--group-by` items: `metric_time__year`, `order__paid_date__month`
    ...; a bare `metric_time` means MetricFlow's default, the finest grain (month here)."""
    grains = []
    for item in group_by:
        name = item.strip().lower()
        last = name.rsplit("__", 1)[-1]
        if last in TIME_GRAINS:
            grains.append(last)
        elif name == "metric_time":
            grains.append("month")
    return grains


def check_query(metrics: list[str], group_by: list[str], manifest: dict) -> None:
    """Raise GrainError when a metric with declared valid grains is asked for at another grain,
    or over all time (no time grain at all, which re-aggregates every month)."""
    declared = valid_time_grains(manifest)
    grains = requested_time_grains(group_by)
    for metric in metrics:
        allowed = declared.get(metric)
        if not allowed:
            continue
        wrong = [grain for grain in grains if grain not in allowed]
        if wrong or not grains:
            asked = f"by {', '.join(wrong)}" if wrong else "without a time grain (over all time)"
            raise GrainError(
                f"{metric} cannot be asked for {asked}: its numerator and denominator are "
                f"distinct buyers counted per {' / '.join(allowed)}, and adding them up across "
                f"{' / '.join(allowed)}s counts a buyer once per {' / '.join(allowed)} (a wrong "
                f"rate, not an approximation). Group by "
                f"{', '.join('metric_time__' + g for g in allowed)}, or read the right figure "
                "for a quarter or a year from the marts: repurchase_rate (period_grain "
                "'quarter' / 'year') and returning_buyers_monthly."
            )


def split_list(values: list[str]) -> list[str]:
    return [item for value in values for item in value.split(",") if item]


def arguments(argv: list[str], flag: str) -> list[str]:
    """The values of `flag` in an `mf` argument list (`--flag a,b` or `--flag=a,b`, repeated)."""
    found = []
    for index, arg in enumerate(argv):
        if arg == flag and index + 1 < len(argv):
            found.append(argv[index + 1])
        elif arg.startswith(flag + "="):
            found.append(arg.split("=", 1)[1])
    return split_list(found)


def main(argv: list[str] | None = None) -> int:
    """`lcw-mf query --metrics ... --group-by ...`: check, then run `mf` with the same arguments
    from the current directory (a dbt project whose target/ holds the semantic manifest)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["query"]:
        manifest = json.loads(SEMANTIC_MANIFEST.read_text())
        try:
            check_query(arguments(argv, "--metrics"), arguments(argv, "--group-by"), manifest)
        except GrainError as error:
            print(f"lcw-mf: refused: {error}", file=sys.stderr)
            return 2
    mf = Path(sys.executable).parent / "mf"
    return subprocess.run([str(mf), *argv]).returncode


if __name__ == "__main__":
    sys.exit(main())
