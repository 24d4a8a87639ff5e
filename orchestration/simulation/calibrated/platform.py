"""The calibrated platform, day by day: buyers, orders, follows, sessions, trust card."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from orchestration.simulation.calibrated.calibration import (
    CATEGORY_MEDIAN_CENTS,
    TIER_NAMES,
    Calibration,
)
from orchestration.simulation.calibrated.draws import (
    DAY_SECONDS,
    EPOCH,
    interpolate,
    month_segments,
    pick,
    times_of_day,
)
from orchestration.simulation.calibrated.enforcement import Enforcement
from orchestration.simulation.calibrated.queries import (
    ACTIONS_SQL,
    FOLLOWS_SQL,
    ORDER_FIELDS,
    ORDERS_SQL,
    SESSIONS_SQL,
    STREAMERS_SQL,
    TRUST_SQL,
    render_timestamps,
    table,
)
from orchestration.simulation.calibrated.world import build_world
from orchestration.simulation.festivals import festival_on
from orchestration.simulation.vocabulary import ENTRY_POINT, ORDER_STATUS, TRUST_CARD_RIGHT
from orchestration.simulation.writer import LandingWriter, money_text


class Platform:
    """One run: the world, the buyers' state, the counters, and a writer for each day."""

    def __init__(
        self, landing: Path, start: date, days: int, orders: int, seed: int, file_format: str,
        cal: Calibration,
    ) -> None:  # fmt: skip
        self.start = start
        self.days = days
        self.target_orders = orders
        self.seed = seed
        self.cal = cal
        self.rng = np.random.default_rng(seed)
        self.file_format = file_format
        self.writer = LandingWriter(landing, keep_empty_partitions=True)
        self.segments = month_segments(start, days)
        self.day_weight = self._day_weights()
        self.scale_to_platform = orders / days * 365 / cal.platform_orders_per_year
        self.world = build_world(self.rng, cal, orders, days, self._day_us(0))
        self.enforcement = Enforcement(self.rng, cal, self.world, self.scale_to_platform)
        capacity = max(1024, orders)
        self.last_month = np.full(capacity, -1000, dtype=np.int32)
        self.order_count = np.zeros(capacity, dtype=np.int32)
        self.following = np.full(capacity, -1, dtype=np.int32)
        self.last_shop = np.full(capacity, -1, dtype=np.int32)
        self.ordering_today = np.zeros(capacity, dtype=bool)
        self.n_buyers = 0
        self.next_order = 1
        self.next_follow = 1
        self.next_session = 1
        self.next_trust = 1
        self.pending_versions: dict[int, list[dict[str, np.ndarray]]] = defaultdict(list)
        self.months: list[dict[str, object]] = []
        self.planted_gmv_cents: dict[str, int] = defaultdict(int)
        self.counted_orders = 0

    # -- calendar ------------------------------------------------------------------------------

    def _day_weights(self) -> np.ndarray:
        cal = self.cal
        weights = np.empty(self.days)
        for i in range(self.days):
            d = self.start + timedelta(days=i)
            w = (1 + cal.monthly_growth) ** (i / 30.4)
            festival = festival_on(d)
            if festival is not None and d.day == festival.peak_day:
                w *= cal.festival_peak_factor
            elif festival is not None:
                w *= cal.festival_day_factor
            if d.weekday() >= 5:
                w *= cal.weekend_factor
            weights[i] = w
        return weights

    def _day_us(self, i: int) -> int:
        return ((self.start - EPOCH).days + i) * DAY_SECONDS * 10**6

    # -- the run -------------------------------------------------------------------------------

    def run(self, progress: Callable[[str], None]) -> None:
        self._initial_trust_card()
        targets = self.target_orders * self.day_weight / self.day_weight.sum()
        for m, (first, last) in enumerate(self.segments):
            month = self._plan_month(m, first, last, targets)
            for i in range(first, last + 1):
                self._day(i, month)
            progress(
                f"simulated {self.start + timedelta(days=last)}: {self.counted_orders:,} counted "
                f"orders, {self.n_buyers:,} buyers"
            )

    def _plan_month(self, m: int, first: int, last: int, targets: np.ndarray) -> dict:
        cal, rng = self.cal, self.rng
        n_months = len(self.segments)
        n_days = last - first + 1
        repeat_rate = interpolate(cal.repeat_purchase_rate, m, n_months)
        lam = -math.log(1 - repeat_rate)
        wanted = float(targets[first : last + 1].sum())
        active_n = max(1, round(wanted / (1 + lam)))
        pool = np.flatnonzero(self.last_month[: self.n_buyers] >= m - 12)
        share = 0.0 if m == 0 else interpolate(cal.returning_share, m - 1, n_months - 1)
        returning_n = min(round(share * active_n), pool.size)
        returning = rng.choice(pool, returning_n, replace=False) if returning_n else pool[:0]
        new_n = active_n - returning_n
        self._ensure_capacity(self.n_buyers + new_n)
        new = np.arange(self.n_buyers, self.n_buyers + new_n, dtype=np.int64)
        self.n_buyers += new_n
        active = np.concatenate([returning.astype(np.int64), new])
        per_buyer = np.minimum(1 + rng.poisson(lam, active_n), n_days)
        buyers = np.repeat(active, per_buyer)
        p = self.day_weight[first : last + 1] / self.day_weight[first : last + 1].sum()
        days = first + rng.choice(n_days, size=buyers.size, p=p)
        for _ in range(10_000):  # at most one counted order per buyer and day
            order = np.lexsort((days, buyers))
            b, d = buyers[order], days[order]
            clash = order[1:][(b[1:] == b[:-1]) & (d[1:] == d[:-1])]
            if clash.size == 0:
                break
            days[clash] = first + rng.integers(0, n_days, clash.size)
        # sequence on the platform: the buyer's earlier counted orders, then the earlier days
        order = np.lexsort((days, buyers))
        b = buyers[order]
        starts = np.r_[0, np.flatnonzero(b[1:] != b[:-1]) + 1]
        rank = np.arange(b.size) - np.repeat(starts, np.diff(np.r_[starts, b.size]))
        is_repurchase = np.empty(b.size, dtype=bool)
        is_repurchase[order] = (self.order_count[b] + rank) >= 1
        self.order_count[active] += per_buyer.astype(np.int32)
        self.last_month[active] = m
        private_share = interpolate(cal.repurchase_private_share, m, n_months)
        private = rng.random(buyers.size) < np.where(
            is_repurchase, private_share, cal.first_order_private_share
        )
        with_streamer = private | (rng.random(buyers.size) < cal.public_order_with_streamer)
        by_day = np.argsort(days, kind="stable")
        cancelled_n = round(cal.cancelled_per_counted_order * buyers.size)
        month_start = self.start + timedelta(days=first)
        self.months.append(
            {
                "month_start": month_start.replace(day=1).isoformat(),
                "first_day": month_start.isoformat(),
                "days": n_days,
                "active_buyers": int(active_n),
                "returning_buyers": int(returning_n),
                "returning_buyer_share": returning_n / active_n,
                "returning_share_wanted": share,
                "repeat_purchase_probability": 1 - math.exp(-lam),
                "repurchase_private_probability": private_share,
                "first_order_private_probability": cal.first_order_private_share,
                "counted_orders": int(buyers.size),
                "repurchase_orders": int(is_repurchase.sum()),
                "private_repurchase_orders": int((is_repurchase & private).sum()),
                "buyers_with_two_or_more_orders": int((per_buyer >= 2).sum()),
            }
        )
        return {
            "days": days[by_day],
            "buyers": buyers[by_day],
            "private": private[by_day],
            "with_streamer": with_streamer[by_day],
            "is_repurchase": is_repurchase[by_day],
            "cancelled_buyers": rng.choice(active, cancelled_n),
            "cancelled_days": first + rng.choice(n_days, size=cancelled_n, p=p),
        }

    def _ensure_capacity(self, n: int) -> None:
        if n <= self.last_month.size:
            return
        grow = max(n, 2 * self.last_month.size) - self.last_month.size
        self.last_month = np.r_[self.last_month, np.full(grow, -1000, dtype=np.int32)]
        self.order_count = np.r_[self.order_count, np.zeros(grow, dtype=np.int32)]
        self.following = np.r_[self.following, np.full(grow, -1, dtype=np.int32)]
        self.last_shop = np.r_[self.last_shop, np.full(grow, -1, dtype=np.int32)]
        self.ordering_today = np.r_[self.ordering_today, np.zeros(grow, dtype=bool)]

    def _day(self, i: int, month: dict) -> None:
        rng, cal = self.rng, self.cal
        dt = self.start + timedelta(days=i)
        day_us = self._day_us(i)
        lo, hi = np.searchsorted(month["days"], [i, i + 1])
        b = month["buyers"][lo:hi]
        private = month["private"][lo:hi]
        with_streamer = month["with_streamer"][lo:hi]
        repurchase = month["is_repurchase"][lo:hi]
        n = b.size

        # sessions of the day: start 10:00-21:00, 1-3 hours, over before midnight
        live = np.flatnonzero(rng.random(self.world.n_streamers) < self.world.live_probability)
        s_start = rng.integers(10 * 3600, 21 * 3600, live.size)
        s_end = s_start + rng.integers(3600, 3 * 3600, live.size)
        session_no = self.next_session + np.arange(live.size)
        self.next_session += live.size
        session_of = np.full(self.world.n_streamers, -1, dtype=np.int64)
        session_of[live] = np.arange(live.size)

        # who sells each order: private orders go to the followed streamer (following first if
        # needed), public ones never to a streamer the buyer follows
        followed = self.following[b]
        streamer = np.full(n, -1, dtype=np.int32)
        new_follow = private & ((followed < 0) | (rng.random(n) < cal.switch_streamer))
        keep = private & ~new_follow
        streamer[keep] = followed[keep]
        streamer[new_follow] = pick(self.rng, self.world.streamer_cum, int(new_follow.sum()))
        public_streamer = ~private & with_streamer
        picked = pick(self.rng, self.world.streamer_cum, int(public_streamer.sum()))
        n_streamers = self.world.n_streamers
        picked = np.where(picked == followed[public_streamer], (picked + 1) % n_streamers, picked)
        streamer[public_streamer] = picked
        switched = new_follow & (followed >= 0) & (followed != streamer)
        same = new_follow & (followed == streamer)  # re-picked the followed one: nothing to do
        new_follow &= ~same

        # when: inside the streamer's session if it is live today, else by hour of day
        slot = np.where(streamer >= 0, session_of[np.maximum(streamer, 0)], -1)
        in_session = slot >= 0
        seconds = times_of_day(self.rng, n)
        k = slot[in_session]
        seconds[in_session] = s_start[k] + (rng.random(k.size) * (s_end[k] - s_start[k])).astype(
            np.int64)  # fmt: skip
        session = np.where(in_session, session_no[np.maximum(slot, 0)] if live.size else -1, -1)
        follower_entry = [ENTRY_POINT["follow_feed"], ENTRY_POINT["fan_group"]]
        public_live_entry = [ENTRY_POINT[e] for e in ("discovery_feed", "search", "other")]
        shop_entry = [ENTRY_POINT[e] for e in ("shop_page", "search", "other")]
        entry = np.where(
            in_session & private, rng.choice(follower_entry, n, p=[0.7, 0.3]),
            np.where(in_session, rng.choice(public_live_entry, n, p=[0.7, 0.15, 0.15]),
                     np.where(streamer >= 0, ENTRY_POINT["short_video"],
                              rng.choice(shop_entry, n, p=[0.5, 0.4, 0.1]))),
        )  # fmt: skip

        # follow events around the payment
        follow_rows = []
        lead = np.minimum(rng.integers(60, 1800, n), seconds - 2)
        if switched.any():
            follow_rows.append((b[switched], followed[switched],
                                seconds[switched] - lead[switched] - 1, False))  # fmt: skip
        if new_follow.any():
            follow_rows.append(
                (b[new_follow], streamer[new_follow], seconds[new_follow] - lead[new_follow], True)
            )
            self.following[b[new_follow]] = streamer[new_follow]
        after = (public_streamer & (followed < 0) & (seconds < DAY_SECONDS - 61)
                 & (rng.random(n) < cal.follow_after_purchase))  # fmt: skip
        if after.any():
            delay = np.minimum(rng.integers(60, 3600, n), DAY_SECONDS - 1 - seconds)[after]
            follow_rows.append((b[after], streamer[after], seconds[after] + delay, True))
            self.following[b[after]] = streamer[after]
        # churn: followers with no order today unfollow
        self.ordering_today[b] = True
        candidates = np.flatnonzero(
            (self.following[: self.n_buyers] >= 0) & ~self.ordering_today[: self.n_buyers]
        )
        self.ordering_today[b] = False
        quitting = rng.binomial(candidates.size, cal.daily_unfollow)
        if quitting:
            gone = rng.choice(candidates, quitting, replace=False)
            follow_rows.append(
                (gone, self.following[gone], times_of_day(self.rng, quitting), False)
            )
            self.following[gone] = -1

        # which shop: a repurchase may go back to the previous shop, more often with the right
        previous = self.last_shop[b]
        has_right = (previous >= 0) & (self.world.right_from[np.maximum(previous, 0)] <= i)
        loyal = (
            repurchase
            & (previous >= 0)
            & (rng.random(n) < np.where(has_right, cal.shop_loyalty_with_right, cal.shop_loyalty))
        )
        own = np.where(streamer >= 0, self.world.own_shop[np.maximum(streamer, 0)], -1)
        shop = np.where((own >= 0) & (rng.random(n) < cal.sells_own_shop), own,
                        pick(self.rng, self.world.shop_cum, n))  # fmt: skip
        shop = np.where(loyal, previous, shop).astype(np.int32)
        self.last_shop[b] = shop

        self._queue_orders(i, day_us, b, shop, streamer, session, entry, seconds)
        self._cancelled_orders(i, day_us, month)
        self.counted_orders += n

        # write the day
        self._write_orders(i, dt)
        self._write_follows(dt, day_us, follow_rows)
        self._write_sessions(dt, day_us, live, s_start, s_end, session_no, session, b, private)
        self._write_streamers(dt, i)
        self._write_trust_card(dt, i, day_us)
        actions = self.enforcement.day(day_us, n, self.n_buyers, live, s_start, s_end, session_no)
        self._write("enforcement_actions", dt, actions, ACTIONS_SQL)

    def _write(self, source: str, dt: date, columns: dict[str, np.ndarray], select: str) -> None:
        sql = render_timestamps(select, self.file_format)
        self.writer.write_query(source, dt, table(columns), sql, self.file_format)

    def _amounts(self, shop: np.ndarray) -> tuple[np.ndarray, ...]:
        rng = self.rng
        n = shop.size
        category = self.world.shop_category[shop]
        median = np.array(CATEGORY_MEDIAN_CENTS)[category]
        price = np.maximum(100, np.round(median * rng.lognormal(0, 0.5, n) / 10) * 10)
        quantity = rng.choice([1, 2, 3], n, p=[0.8, 0.15, 0.05])
        item = (price * quantity).astype(np.int64)
        discount = np.where(rng.random(n) < 0.6, (item * rng.uniform(0, 0.15, n)).astype(np.int64),
                            0)  # fmt: skip
        return category, quantity, item, discount, rng.integers(0, 20, n)

    def _queue_orders(self, i, day_us, b, shop, streamer, session, entry, seconds) -> None:
        cal, rng = self.cal, self.rng
        n = b.size
        if n == 0:
            return
        category, quantity, item, discount, product = self._amounts(shop)
        paid = item - discount
        paid_us = day_us + seconds * 10**6
        created_us = paid_us - np.minimum(rng.integers(5, 600, n), seconds) * 10**6
        order_no = self.next_order + np.arange(n)
        self.next_order += n
        base = {
            "order_no": order_no, "buyer": b, "shop": shop, "streamer": streamer,
            "session": session, "product": product, "category": category, "quantity": quantity,
            "item_cents": item, "discount_cents": discount, "paid_cents": paid,
            "refund_cents": np.zeros(n, dtype=np.int64),
            "status": np.full(n, ORDER_STATUS["paid"], dtype=np.int8),
            "entry_point": entry, "created_us": created_us, "paid_us": paid_us,
            "updated_us": paid_us,
        }  # fmt: skip
        self.pending_versions[i].append(base)
        month = (self.start + timedelta(days=i)).replace(day=1).isoformat()
        self.planted_gmv_cents[month] += int(paid.sum())
        refunded = rng.random(n) < cal.refund_rate
        full = rng.random(n) < cal.full_refund_share
        delay = np.where(refunded, rng.integers(cal.refund_delay_days[0],
                                                cal.refund_delay_days[1] + 1, n),
                         rng.integers(cal.completion_delay_days[0],
                                      cal.completion_delay_days[1] + 1, n))  # fmt: skip
        refund = np.where(refunded, np.where(full, paid, (paid * rng.uniform(0.1, 0.9, n))
                                             .astype(np.int64)), 0)  # fmt: skip
        later_us = day_us + delay * DAY_SECONDS * 10**6 + times_of_day(self.rng, n) * 10**6
        status = np.where(refunded & full, ORDER_STATUS["refunded"], ORDER_STATUS["completed"])
        status = status.astype(np.int8)
        for d in np.unique(delay):
            if i + d >= self.days:
                continue  # not exported yet when the simulated range ends
            rows = delay == d
            version = {name: values[rows] for name, values in base.items()}
            version.update(refund_cents=refund[rows], status=status[rows],
                           updated_us=later_us[rows])  # fmt: skip
            self.pending_versions[i + int(d)].append(version)

    def _cancelled_orders(self, i: int, day_us: int, month: dict) -> None:
        rng = self.rng
        b = month["cancelled_buyers"][month["cancelled_days"] == i]
        n = b.size
        if n == 0:
            return
        streamer = np.where(rng.random(n) < 0.5, pick(self.rng, self.world.streamer_cum, n), -1)
        shop = pick(self.rng, self.world.shop_cum, n)
        category, quantity, item, discount, product = self._amounts(shop)
        created_us = day_us + times_of_day(self.rng, n) * 10**6
        order_no = self.next_order + np.arange(n)
        self.next_order += n
        self.pending_versions[i].append({
            "order_no": order_no, "buyer": b, "shop": shop, "streamer": streamer,
            "session": np.full(n, -1), "product": product, "category": category,
            "quantity": quantity, "item_cents": item, "discount_cents": discount,
            "paid_cents": np.full(n, -1), "refund_cents": np.zeros(n, dtype=np.int64),
            "status": np.full(n, ORDER_STATUS["cancelled"], dtype=np.int8),
            "entry_point": np.where(streamer >= 0, ENTRY_POINT["short_video"],
                                    ENTRY_POINT["shop_page"]),
            "created_us": created_us, "paid_us": np.full(n, -1),
            "updated_us": np.minimum(created_us + rng.integers(60, 3600, n) * 10**6,
                                     day_us + (DAY_SECONDS - 1) * 10**6),
        })  # fmt: skip

    def _write_orders(self, i: int, dt: date) -> None:
        chunks = self.pending_versions.pop(i, [])
        columns = {
            name: np.concatenate([c[name] for c in chunks]) if chunks else np.zeros(0, np.int64)
            for name in ORDER_FIELDS
        }
        self._write("orders", dt, columns, ORDERS_SQL)

    def _write_follows(self, dt: date, day_us: int, rows: list) -> None:
        if rows:
            buyer = np.concatenate([r[0] for r in rows])
            streamer = np.concatenate([r[1] for r in rows])
            at = np.concatenate([r[2] for r in rows])
            is_follow = np.concatenate([np.full(r[0].size, r[3]) for r in rows])
        else:
            buyer = streamer = at = np.zeros(0, np.int64)
            is_follow = np.zeros(0, bool)
        order = np.argsort(at, kind="stable")
        n = buyer.size
        columns = {
            "event_no": self.next_follow + np.arange(n), "buyer": buyer[order],
            "streamer": streamer[order], "is_follow": is_follow[order],
            "at_us": day_us + at[order] * 10**6,
        }  # fmt: skip
        self.next_follow += n
        self._write("follows", dt, columns, FOLLOWS_SQL)

    def _write_sessions(self, dt, day_us, live, s_start, s_end, session_no, session, b, private):
        rng = self.rng
        n = live.size
        slot = session - session_no[0] if n else session
        in_session = session >= 0
        buyers = np.bincount(slot[in_session], minlength=n)
        private_buyers = np.bincount(slot[in_session & private], minlength=n)
        reach = np.sqrt(self.world.followers0[live]) * rng.uniform(0.5, 2.0, n)
        viewers = (buyers * rng.uniform(20, 60, n) + reach).astype(np.int64) + buyers
        browsing = viewers - buyers
        follower_viewers = private_buyers + (browsing * rng.uniform(0.15, 0.45, n)).astype(np.int64)
        columns = {
            "session": session_no, "streamer": live, "started_us": day_us + s_start * 10**6,
            "ended_us": day_us + s_end * 10**6, "viewers": viewers,
            "follower_viewers": np.minimum(follower_viewers, viewers),
            "watch_seconds": (viewers * rng.uniform(60, 600, n)).astype(np.int64),
            "peak_concurrent": np.maximum(1, (viewers * rng.uniform(0.03, 0.15, n))).astype(
                np.int64),
            "interactions": (viewers * rng.uniform(0.2, 2.5, n)).astype(np.int64),
        }  # fmt: skip
        self._write("livestream_sessions", dt, columns, SESSIONS_SQL)

    def _write_streamers(self, dt: date, i: int) -> None:
        world = self.world
        columns = {
            "streamer": np.arange(world.n_streamers), "shop": world.own_shop,
            "category": world.streamer_category,
            "follower_count": (world.followers0 * (1 + world.growth * i)).astype(np.int64),
            "created_us": world.streamer_created_us,
        }  # fmt: skip
        self._write("streamers", dt, columns, STREAMERS_SQL)

    def _initial_trust_card(self) -> None:
        """Rights held before the range: exported with the first day."""
        rng = self.rng
        held = rng.random((self.world.n_shops, len(TRUST_CARD_RIGHT.values))) < 0.2
        held[:, TRUST_CARD_RIGHT["return_shipping_comp"]] = False  # planted separately
        shop, right = np.nonzero(held)
        self.initial_rights = (shop, right, -rng.integers(10, 400, shop.size))

    def _write_trust_card(self, dt: date, i: int, day_us: int) -> None:
        rng = self.rng
        shops, rights, offsets = [], [], []
        if i == 0:
            shop, right, days_before = self.initial_rights
            shops.append(shop)
            rights.append(right)
            offsets.append(days_before * DAY_SECONDS + rng.integers(0, DAY_SECONDS, shop.size))
        adopting = np.flatnonzero(self.world.right_from == i)
        shops.append(adopting)
        rights.append(np.full(adopting.size, TRUST_CARD_RIGHT["return_shipping_comp"]))
        offsets.append(times_of_day(self.rng, adopting.size))
        shop = np.concatenate(shops)
        n = shop.size
        order = np.argsort(np.concatenate(offsets), kind="stable")
        columns = {
            "event_no": self.next_trust + np.arange(n), "shop": shop[order],
            "right_no": np.concatenate(rights)[order], "enabled": np.ones(n, dtype=bool),
            "at_us": day_us + np.concatenate(offsets)[order] * 10**6,
        }  # fmt: skip
        self.next_trust += n
        self._write("trust_card_events", dt, columns, TRUST_SQL)

    # -- planted truth -------------------------------------------------------------------------

    def manifest(self) -> dict:
        """What was planted: the calibration, the world's make-up, each month's exact counts."""
        world = self.world
        tiers = len(TIER_NAMES)
        tier_weight = np.bincount(world.tier, weights=np.diff(np.r_[0, world.streamer_cum]),
                                  minlength=tiers)  # fmt: skip
        streamers_by_tier = np.bincount(world.tier, minlength=tiers).tolist()
        return {
            "simulator": "orchestration.simulation.calibrated",
            "seed": self.seed,
            "start": self.start.isoformat(),
            "days": self.days,
            "orders_requested": self.target_orders,
            "calibration": asdict(self.cal),
            "world": {
                "streamers": world.n_streamers,
                "shops": world.n_shops,
                "streamers_by_tier": dict(zip(TIER_NAMES, streamers_by_tier, strict=True)),
                "streamer_order_share_by_tier": dict(
                    zip(TIER_NAMES, (tier_weight / tier_weight.sum()).tolist(), strict=True)
                ),
                "shops_adopting_return_shipping_comp": int((world.right_from < self.days).sum()),
            },
            "months": self.months,
            "gmv_by_month": {m: money_text(c) for m, c in sorted(self.planted_gmv_cents.items())},
            "totals": {
                "counted_orders": self.counted_orders,
                "orders_including_cancelled": self.next_order - 1,
                "buyers": self.n_buyers,
                "sessions": self.next_session - 1,
            },
        }
