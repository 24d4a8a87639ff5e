"""What `lcw` prints: the run summary and the headline figures, as plain text tables."""

from __future__ import annotations

from decimal import Decimal

from orchestration.cli.runner import RunSummary


def format_value(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return f"{value:,.2f} CNY"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def percent(numerator: object, denominator: object, rate: object) -> str:
    if rate is None:
        return "-"
    return f"{float(rate):.1%}  ({numerator:,} / {denominator:,})"


def run_report(summary: RunSummary, warehouse: str, published: str) -> str:
    lines = [
        f"Export dates {summary.first_dt} .. {summary.last_dt} into {warehouse}",
        f"Published marts for BI: {published}",
        f"{'source':<22}{'read':>12}{'loaded':>12}{'rejected':>12}",
    ]
    for source, counts in summary.loads.items():
        lines.append(
            f"{source:<22}{counts['read']:>12,}{counts['loaded']:>12,}{counts['rejected']:>12,}"
        )
    if summary.reject_reasons:
        lines.append("rejected rows by reason (raw.rejected_rows has file, row and record):")
        lines += [f"  {reason:<50}{count:>10,}" for reason, count in summary.reject_reasons.items()]
    if summary.nothing_changed:
        lines.append(f"Nothing changed since the last build; {summary.seconds:.1f} s in all")
        return "\n".join(lines)
    lines.append(
        f"dbt: {summary.models_built} models and seeds built; checks: {summary.checks_passed} "
        f"passed, {len(summary.checks_warned)} warnings, {len(summary.checks_failed)} failed; "
        f"{summary.seconds:.1f} s in all"
    )
    lines += [f"  warning: {warning}" for warning in summary.checks_warned]
    return "\n".join(lines)


def headline_table(h: dict[str, object]) -> str:
    rows = [
        ("Period (paid days)", f"{h['first_day']} .. {h['last_day']}"),
        ("GMV", format_value(h["gmv"])),
        ("Net GMV (after refunds)", format_value(h["net_gmv"])),
        (
            f"Repeat-purchase rate ({h['repeat_purchase_year_start']:%Y}, "
            f"{h['repeat_purchase_covered_days']} of {h['repeat_purchase_period_days']} days)",
            percent(h["repeat_buyers"], h["repeat_purchase_buyers"], h["repeat_purchase_rate"]),
        ),
        (
            f"Returning-buyer share ({h['returning_month_start']:%Y-%m})",
            percent(h["returning_buyers"], h["returning_month_buyers"], h["returning_buyer_share"]),
        ),
        (
            "Private-domain share of GMV",
            f"{float(h['private_domain_share'] or 0):.1%}  "
            f"({format_value(h['private_gmv'])} of {format_value(h['gmv'])})",
        ),
        (
            "Repurchase private share",
            percent(
                h["private_repurchase_orders"],
                h["repurchase_orders"],
                h["repurchase_private_share"],
            ),
        ),
        ("Brushing interceptions per day", format_value(h["brushing_interceptions_per_day"])),
        ("Live rooms banned (private orders)", format_value(h["live_rooms_banned_private_order"])),
        (
            "Gangs cleared (accounts)",
            f"{h['gangs_cleared']:,}  ({h['accounts_cleared']:,} accounts)",
        ),
        (
            "Police referrals (cases, amount)",
            f"{h['police_referrals']:,}  ({h['referral_cases']:,} cases, "
            f"{format_value(h['referral_amount'])})",
        ),
        (
            "Pinocchio sessions / users / penalties",
            f"{h['pinocchio_sessions']:,} / {h['pinocchio_reporters']:,} / "
            f"{h['pinocchio_penalties']:,}",
        ),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{'Headline figures':<{width}}  value", "-" * (width + 40)]
    lines += [f"{label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)
