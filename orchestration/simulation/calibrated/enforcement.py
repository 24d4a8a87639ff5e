"""Enforcement actions, one day at a time, scaled to the platform's size.

Targets are numbers (orders, accounts, shops, streamers, sessions), rendered as ids by
ACTIONS_SQL according to the target type.
"""

from __future__ import annotations

import numpy as np

from orchestration.simulation.calibrated.calibration import Calibration
from orchestration.simulation.calibrated.draws import DAY_SECONDS, times_of_day
from orchestration.simulation.calibrated.world import World
from orchestration.simulation.vocabulary import ACTION_TYPE, REASON, TARGET_TYPE

# governance actions drawn from a published yearly count; penalties never target a live room
GOVERNANCE = ("user_report", "warning", "penalty")
GOVERNANCE_REASONS = ("false_advertising", "counterfeit", "private_order", "other")
GOVERNANCE_REASON_SHARES = (0.55, 0.2, 0.1, 0.15)


class Enforcement:
    """Counters of actions, accounts, gangs and police cases across the run."""

    def __init__(
        self, rng: np.random.Generator, cal: Calibration, world: World, scale_to_platform: float
    ) -> None:
        self.rng = rng
        self.cal = cal
        self.world = world
        self.scale_to_platform = scale_to_platform
        self.next_action = 1
        self.next_account = 1
        self.next_gang = 1
        self.next_case = 1
        self.gang_accounts: tuple[int, np.ndarray] | None = None

    def _yearly(self, published: float) -> float:
        """Expected events a day for a published yearly count, scaled to this platform."""
        cal = self.cal
        return max(published * self.scale_to_platform, cal.min_yearly_events) / 365

    def day(
        self,
        day_us: int,
        orders_today: int,
        n_buyers: int,
        live: np.ndarray,
        s_start: np.ndarray,
        s_end: np.ndarray,
        session_no: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """One day's actions, in time order, as columns for ACTIONS_SQL."""
        cal, rng = self.cal, self.rng
        parts: list[dict[str, np.ndarray]] = []

        def add(n, action_type, reason, target_type, target, at, **extra):
            row = {
                "action_type": ACTION_TYPE[action_type], "reason": reason,
                "target_type": target_type, "target": target, "at": at, "session": -1,
                "pinocchio": False, "gang": -1, "police_case": -1, "reporter": -1,
                "amount_cents": -1,
            }  # fmt: skip
            row.update(extra)
            parts.append({k: np.broadcast_to(v, n).astype(np.int64) for k, v in row.items()})

        def accounts(n):
            ids = self.next_account + np.arange(n)
            self.next_account += n
            return ids

        def during(k):
            """A moment inside session slot k (a live room's session today)."""
            return s_start[k] + (rng.random(k.size) * (s_end[k] - s_start[k])).astype(np.int64)

        # brushing interceptions: the intercepted order never reaches the orders export
        n = rng.poisson(orders_today * cal.brushing_per_order)
        on_order = rng.random(n) < 0.85
        numbers = np.where(on_order, self.next_action + np.arange(n), accounts(n))
        target_type = np.where(on_order, TARGET_TYPE["order"], TARGET_TYPE["account"])
        add(n, "brushing_intercept", REASON["order_brushing"], target_type, numbers,
            times_of_day(rng, n))  # fmt: skip
        # reports, warnings (mostly false advertising, much of it under Pinocchio) and penalties
        for action_type, published in zip(
            GOVERNANCE,
            (cal.reports_per_year, cal.warnings_per_year, cal.penalties_per_year),
            strict=True,
        ):
            n = rng.poisson(self._yearly(published))
            codes = [REASON[r] for r in GOVERNANCE_REASONS]
            reason = rng.choice(codes, n, p=GOVERNANCE_REASON_SHARES)
            on_room = (rng.random(n) < 0.6) & (live.size > 0) & (action_type != "penalty")
            slot = rng.integers(0, max(live.size, 1), n)
            session = np.where(on_room, session_no[slot] if live.size else -1, -1)
            at = np.where(on_room, during(slot) if live.size else 0, times_of_day(rng, n))
            reporter = rng.integers(0, max(n_buyers, 1), n) if action_type == "user_report" else -1
            penalty_amount = np.where(rng.random(n) < 0.5, rng.integers(500, 50_000, n) * 100, -1)
            add(
                n,
                action_type,
                reason,
                np.where(on_room, TARGET_TYPE["live_room"], TARGET_TYPE["streamer"]),
                np.where(on_room, session, rng.integers(0, self.world.n_streamers, n)),
                at,
                session=session,
                pinocchio=(reason == REASON["false_advertising"]) & (rng.random(n) < 0.8),
                reporter=reporter,
                amount_cents=penalty_amount if action_type == "penalty" else -1,
            )
        # live rooms banned for private-order risk
        banned = np.flatnonzero(rng.random(live.size) < cal.room_bans_per_session)
        add(banned.size, "room_ban", REASON["private_order"], TARGET_TYPE["live_room"],
            session_no[banned], during(banned), session=session_no[banned])  # fmt: skip
        # a fraud gang's accounts cleared in one sweep; police referrals, mostly of the last gang
        if rng.random() < self._yearly(cal.gangs_per_year):
            gang = self.next_gang
            self.next_gang += 1
            members = accounts(int(rng.integers(*cal.accounts_per_gang, endpoint=True)))
            self.gang_accounts = (gang, members)
            sweep = int(times_of_day(rng, 1)[0])
            add(
                members.size,
                "account_clearance",
                REASON["gang_fraud"],
                TARGET_TYPE["account"],
                members,
                np.minimum(sweep + np.arange(members.size), DAY_SECONDS - 1),
                gang=gang,
            )
        if rng.random() < self._yearly(cal.police_cases_per_year):
            case = self.next_case
            self.next_case += 1
            n = int(rng.integers(*cal.referrals_per_case, endpoint=True))
            amount = rng.integers(*cal.referral_amount_cny, n) * 100
            if self.gang_accounts is not None:
                gang, members = self.gang_accounts
                add(
                    n,
                    "police_referral",
                    REASON["gang_fraud"],
                    TARGET_TYPE["account"],
                    rng.choice(members, n),
                    times_of_day(rng, n),
                    gang=gang,
                    police_case=case,
                    amount_cents=amount,
                )
            else:
                add(
                    n,
                    "police_referral",
                    REASON["counterfeit"],
                    TARGET_TYPE["shop"],
                    rng.integers(0, self.world.n_shops, n),
                    times_of_day(rng, n),
                    police_case=case,
                    amount_cents=amount,
                )
        columns = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        order = np.argsort(columns["at"], kind="stable")
        columns = {k: v[order] for k, v in columns.items()}
        columns["pinocchio"] = columns["pinocchio"].astype(bool)
        columns["at_us"] = day_us + columns.pop("at") * 10**6
        columns["action_no"] = self.next_action + np.arange(order.size)
        self.next_action += order.size
        return columns
