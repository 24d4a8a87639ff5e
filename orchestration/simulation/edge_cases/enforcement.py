"""Enforcement actions: brushing interceptions, reports, penalties, bans, gangs, police."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from orchestration.simulation.edge_cases.draws import (
    DAY,
    festival_multiplier,
    random_time,
    stoch_round,
    weighted,
)
from orchestration.simulation.edge_cases.sessions import Session
from orchestration.simulation.edge_cases.world import World

# daily volumes, multiplied by `scale`
BRUSHING_PER_DAY = 150
REPORTS_PER_DAY = 25
_REASONS = {"false_advertising": 50, "counterfeit": 20, "private_order": 15, "other": 15}
GOVERNANCE_REASONS = {
    "user_report": _REASONS,
    "warning": _REASONS,
    "penalty": {"counterfeit": 35, "false_advertising": 35, "order_brushing": 15,
                "private_order": 10, "other": 5},
}  # fmt: skip


@dataclass(frozen=True)
class Action:
    at: datetime
    action_type: str
    reason: str
    target_type: str
    target_id: str
    session_id: str | None = None
    campaign: str | None = None
    gang_id: str | None = None
    case_id: str | None = None
    reporter_id: str | None = None
    amount_cents: int | None = None


class Enforcement:
    """One day at a time; ids of accounts, gangs and cases are allocated from counters."""

    def __init__(self, rng: random.Random, world: World) -> None:
        self.rng = rng
        self.world = world
        self.actions: list[Action] = []
        self.accounts = 0
        self.intercepted = 0
        self.gangs: list[tuple[str, list[str]]] = []
        self.cases = 0

    def new_account(self) -> str:
        self.accounts += 1
        return f"acct{self.accounts:06d}"

    def during(self, session: Session) -> datetime:
        span = int((session.ended_at - session.started_at).total_seconds())
        return session.started_at + timedelta(seconds=self.rng.randint(0, span))

    def governance_target(
        self, sessions: list[Session], day_start: datetime, live_share: float
    ) -> tuple[datetime, str, str, str | None]:
        """A live room (during its session), a streamer or a shop: (at, type, id, session)."""
        rng = self.rng
        r = rng.random()
        if sessions and r < live_share:
            session = rng.choice(sessions)
            return self.during(session), "live_room", session.session_id, session.session_id
        at = random_time(rng, day_start)
        if r < live_share + (1 - live_share) / 2:
            return at, "streamer", rng.choice(self.world.streamers).streamer_id, None
        return at, "shop", rng.choice(self.world.shops), None

    def brushing(self, day_start: datetime, count: int) -> None:
        for _ in range(count):
            at = random_time(self.rng, day_start)
            if self.rng.random() < 0.85:  # an intercepted order never reaches the orders export
                self.intercepted += 1
                target_type, target_id = "order", f"o9{self.intercepted:07d}"
            else:
                target_type, target_id = "account", self.new_account()
            self.actions.append(
                Action(at, "brushing_intercept", "order_brushing", target_type, target_id)
            )

    def governance(
        self, action_type: str, sessions: list[Session], day_start: datetime, count: int
    ) -> None:
        """User reports, warnings and penalties; false advertising mostly under Pinocchio."""
        rng = self.rng
        live_share = {"user_report": 0.6, "warning": 0.4, "penalty": 0.0}[action_type]
        for _ in range(count):
            at, target_type, target_id, session_id = self.governance_target(
                sessions, day_start, live_share
            )
            reason = weighted(rng, GOVERNANCE_REASONS[action_type])
            pinocchio = reason == "false_advertising" and rng.random() < 0.8
            reporter = None
            if action_type == "user_report":
                reporter = rng.choice(self.world.buyers).buyer_id
            amount = None
            if action_type == "penalty" and rng.random() < 0.5:
                amount = rng.randint(500, 50_000) * 100
            self.actions.append(
                Action(
                    at,
                    action_type,
                    reason,
                    target_type,
                    target_id,
                    session_id=session_id,
                    campaign="pinocchio" if pinocchio else None,
                    reporter_id=reporter,
                    amount_cents=amount,
                )
            )

    def room_bans(self, sessions: list[Session], count: int) -> None:
        for session in self.rng.sample(sessions, min(len(sessions), count)):
            self.actions.append(
                Action(
                    self.during(session),
                    "room_ban",
                    "private_order",
                    "live_room",
                    session.session_id,
                    session_id=session.session_id,
                )
            )

    def gang_sweep(self, day_start: datetime) -> None:
        """A fraud gang's accounts are cleared in one sweep."""
        gang_id = f"gang{len(self.gangs) + 1:03d}"
        members = [self.new_account() for _ in range(self.rng.randint(20, 150))]
        self.gangs.append((gang_id, members))
        sweep = random_time(self.rng, day_start)
        for k, account in enumerate(members):
            at = sweep + timedelta(seconds=k)
            self.actions.append(
                Action(at, "account_clearance", "gang_fraud", "account", account, gang_id=gang_id)
            )

    def police_case(self, day_start: datetime) -> None:
        """A law-enforcement case with a few referrals, mostly members of the last gang."""
        rng = self.rng
        self.cases += 1
        case_id = f"case{self.cases:04d}"
        for _ in range(rng.randint(1, 4)):
            at = random_time(rng, day_start)
            amount = rng.randint(10_000, 3_000_000) * 100
            if self.gangs and rng.random() < 0.7:
                gang_id, members = self.gangs[-1]
                action = Action(
                    at, "police_referral", "gang_fraud", "account", rng.choice(members),
                    gang_id=gang_id, case_id=case_id, amount_cents=amount,
                )  # fmt: skip
            else:
                action = Action(
                    at, "police_referral", "counterfeit", "shop", rng.choice(self.world.shops),
                    case_id=case_id, amount_cents=amount,
                )  # fmt: skip
            self.actions.append(action)

    def day(self, i: int, day_start: datetime, sessions: list[Session], scale: float) -> None:
        rng = self.rng
        fest = festival_multiplier(day_start.date())
        self.brushing(day_start, max(1, stoch_round(rng, BRUSHING_PER_DAY * scale * fest)))
        reports = max(1, stoch_round(rng, REPORTS_PER_DAY * scale))
        self.governance("user_report", sessions, day_start, reports)
        self.governance("warning", sessions, day_start, stoch_round(rng, 6.0))
        self.governance("penalty", sessions, day_start, max(1, stoch_round(rng, 1.5)))
        self.room_bans(sessions, stoch_round(rng, 4.0))
        # rare actions on a fixed rhythm, so that even a few days' run holds every action type
        if i % 6 == 2:
            self.gang_sweep(day_start)
        if i % 9 == 3:
            self.police_case(day_start)


def simulate_enforcement(
    rng: random.Random,
    world: World,
    sessions: list[Session],
    start: date,
    days: int,
    scale: float,
) -> list[Action]:
    by_day: dict[date, list[Session]] = defaultdict(list)
    for session in sessions:
        by_day[session.started_at.date()].append(session)
    sim = Enforcement(rng, world)
    day0 = datetime.combine(start, time())
    for i in range(days):
        sim.day(i, day0 + i * DAY, by_day[start + i * DAY], scale)
    return sorted(sim.actions, key=lambda a: a.at)  # stable: ties keep generation order
