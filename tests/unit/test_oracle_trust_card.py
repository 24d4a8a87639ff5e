"""The oracle's trust-card intervals and impact, hand-computed on tiny landing fixtures."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from helpers import order, write_csv, write_jsonl
from oracle import SHANGHAI, compute_marts

D = Decimal


# --------------------------------------------------------------------------------------------
# Trust card
# --------------------------------------------------------------------------------------------


def test_trust_card_intervals_and_impact(tmp_path: Path) -> None:
    def ev(event_id: str, shop: str, right: str, kind: str, at: str) -> dict[str, Any]:
        return {
            "event_id": event_id,
            "shop_id": shop,
            "right": right,
            "event_type": kind,
            "event_at": at,
        }

    rsc = "return_shipping_comp"
    events = tmp_path / "trust_card_events"
    write_csv(
        events / "dt=2021-07-10" / "e.csv",
        [
            ev("e1", "A", rsc, "enabled", "2021-06-01T00:00:00+08:00"),
            ev("e2", "A", rsc, "enabled", "2021-06-20T00:00:00+08:00"),  # already held: ignored
            ev("e3", "A", rsc, "disabled", "2021-07-10T00:00:00+08:00"),
            ev("e4", "B", "fast_refund", "disabled", "2021-06-01T00:00:00+08:00"),  # ignored
            ev("e5", "B", "fake_one_pay_ten", "enabled", "2021-06-15T00:00:00+08:00"),
        ],
    )
    # e3 re-exported later with a corrected time: the latest export wins.
    write_jsonl(
        events / "dt=2021-07-11" / "e.jsonl",
        [ev("e3", "A", rsc, "disabled", "2021-07-11T00:00:00+08:00")],
    )
    t = datetime(2021, 6, 1, tzinfo=SHANGHAI)
    orders = [
        # Shop A before [03-03 00:00, 06-01 00:00): x twice, y once; w 1 s too early.
        order("a-w", "w", "2021-03-02T23:59:59+08:00", "1", shop_id="A"),
        order("a-x1", "x", "2021-04-01T10:00:00+08:00", "1", shop_id="A"),
        order("a-x2", "x", "2021-05-01T10:00:00+08:00", "1", shop_id="A"),
        order("a-y1", "y", "2021-05-15T10:00:00+08:00", "1", shop_id="A"),
        # Shop A after [06-01 00:00, 08-30 00:00): x (at exactly 06-01 00:00) twice, y twice,
        # z once.
        order("a-x3", "x", "2021-06-01T00:00:00+08:00", "1", shop_id="A"),
        order("a-x4", "x", "2021-06-10T10:00:00+08:00", "1", shop_id="A"),
        order("a-y2", "y", "2021-06-05T10:00:00+08:00", "1", shop_id="A"),
        order("a-y3", "y", "2021-06-20T10:00:00+08:00", "1", shop_id="A"),
        order("a-z1", "z", "2021-07-01T10:00:00+08:00", "1", shop_id="A"),
        # Shop B (never held return_shipping_comp: the control) before: p once, q twice.
        order("b-p1", "p", "2021-05-01T10:00:00+08:00", "1", shop_id="B"),
        order("b-q1", "q", "2021-04-10T10:00:00+08:00", "1", shop_id="B"),
        order("b-q2", "q", "2021-04-20T10:00:00+08:00", "1", shop_id="B"),
        # Shop B after: p once, x once.
        order("b-p2", "p", "2021-06-02T10:00:00+08:00", "1", shop_id="B"),
        order("b-x1", "x", "2021-06-03T10:00:00+08:00", "1", shop_id="B"),
    ]
    write_csv(tmp_path / "orders" / "dt=2021-07-01" / "o.csv", orders)
    marts = compute_marts(tmp_path)

    dim = marts["dim_shop_trust_rights"]
    b_enabled = datetime(2021, 6, 15, tzinfo=SHANGHAI)
    assert set(dim) == {("A", rsc, t), ("B", "fake_one_pay_ten", b_enabled)}
    assert dim[("A", rsc, t)]["disabled_at"] == datetime(2021, 7, 11, tzinfo=SHANGHAI)
    assert dim[("B", "fake_one_pay_ten", b_enabled)]["disabled_at"] is None

    impact = marts["trust_card_impact"]
    assert set(impact) == set(dim)
    a = impact[("A", rsc, t)]
    # Shop A before: buyers x, y = 2; repeat x = 1 -> 0.5.
    assert (a["before_buyers"], a["before_repeat_buyers"], a["before_rate"]) == (2, 1, 0.5)
    # Shop A after: x, y, z = 3; repeat x, y = 2 -> 2/3.
    assert (a["after_buyers"], a["after_repeat_buyers"]) == (3, 2)
    assert a["after_rate"] == pytest.approx(2 / 3)
    # Control (B): before p, q = 2, repeat q -> 0.5; after p, x = 2, repeat 0 -> 0.0.
    assert (a["control_before_buyers"], a["control_before_repeat_buyers"]) == (2, 1)
    assert (a["control_after_buyers"], a["control_after_repeat_buyers"]) == (2, 0)
    assert (a["control_before_rate"], a["control_after_rate"]) == (0.5, 0.0)
    # diff in diff = (2/3 - 1/2) - (0 - 1/2) = 1/6 + 1/2 = 2/3.
    assert a["diff_in_diff"] == pytest.approx(2 / 3)
    # 06-01 + 90 days = 08-30 > last payment 07-01 10:00.
    assert a["after_window_complete"] is False
    # B's fake_one_pay_ten: control is A. A's before window [03-17, 06-15): x twice (04-01,
    # 05-01), y (05-15, 06-05), x again 06-01 and 06-10 -> x 4 orders, y 2 -> 2 buyers, 2 repeat.
    b = impact[("B", "fake_one_pay_ten", b_enabled)]
    assert (b["control_before_buyers"], b["control_before_repeat_buyers"]) == (2, 2)
    # B before [03-17, 06-15): p (05-01, 06-02), q (04-10, 04-20), x (06-03) -> 3 buyers, 2 repeat.
    assert (b["before_buyers"], b["before_repeat_buyers"]) == (3, 2)
    # B after [06-15, 09-13): nothing -> rate None -> diff_in_diff None.
    assert (b["after_buyers"], b["after_rate"], b["diff_in_diff"]) == (0, None, None)
