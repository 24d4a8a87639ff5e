"""The simulator writes a deterministic, contract-clean landing zone."""

from __future__ import annotations

import csv
import gzip
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.simulation.edge_cases import SOURCES, SimulationSummary, simulate

START = date(2021, 6, 13)  # covers the run-up to 616 and the day after
DAYS = 5
SCALE = 0.1
LANDING_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".jsonl", ".jsonl.gz")
MONEY = re.compile(r"^\d+\.\d{2}$")


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationSummary]:
    root = tmp_path_factory.mktemp("landing")
    return root, simulate(root, START, DAYS, seed=7, scale=SCALE)


@pytest.fixture(scope="module")
def con(landing: tuple[Path, SimulationSummary]) -> duckdb.DuckDBPyConnection:
    """Views over the landing files; text columns cast the way a reader would."""
    root = landing[0]
    c = duckdb.connect()
    c.execute("SET TimeZone = 'Asia/Shanghai'")
    text = "hive_partitioning = false, all_varchar = true"
    typed = """
        order_id, buyer_id, shop_id, streamer_id, session_id, product_id, category,
        quantity::INTEGER AS quantity,
        item_amount::DECIMAL(18, 2) AS item_amount,
        discount_amount::DECIMAL(18, 2) AS discount_amount,
        paid_amount::DECIMAL(18, 2) AS paid_amount,
        refund_amount::DECIMAL(18, 2) AS refund_amount,
        status, entry_point,
        created_at::TIMESTAMPTZ AS created_at,
        paid_at::TIMESTAMPTZ AS paid_at,
        updated_at::TIMESTAMPTZ AS updated_at,
        receiver_phone, receiver_address
    """
    c.execute(f"""
        CREATE VIEW orders AS
        SELECT {typed} FROM read_parquet('{root}/orders/*/*.parquet', hive_partitioning = false)
        UNION ALL
        SELECT {typed} FROM read_csv('{root}/orders/*/*.csv', {text})
    """)
    c.execute(f"""
        CREATE VIEW sessions AS
        SELECT session_id, streamer_id, started_at::TIMESTAMPTZ AS started_at,
               ended_at::TIMESTAMPTZ AS ended_at, viewers::BIGINT AS viewers,
               follower_viewers::BIGINT AS follower_viewers,
               peak_concurrent::BIGINT AS peak_concurrent
        FROM read_csv('{root}/livestream_sessions/*/*.csv', {text})
    """)
    c.execute(f"""
        CREATE VIEW follows AS SELECT * FROM read_json(
            '{root}/follows/*/*.jsonl', hive_partitioning = false,
            columns = {{event_id: 'VARCHAR', follower_id: 'VARCHAR', streamer_id: 'VARCHAR',
                       event_type: 'VARCHAR', event_at: 'VARCHAR'}})
    """)
    c.execute(f"""
        CREATE VIEW actions AS
        SELECT * FROM read_csv('{root}/enforcement_actions/*/*.csv', {text})
    """)
    c.execute(f"""
        CREATE VIEW trust AS SELECT * FROM read_json(
            '{root}/trust_card_events/*/*.jsonl.gz', hive_partitioning = false,
            columns = {{event_id: 'VARCHAR', shop_id: 'VARCHAR', "right": 'VARCHAR',
                       event_type: 'VARCHAR', event_at: 'VARCHAR'}})
    """)
    c.execute(f"""
        CREATE VIEW streamers AS
        SELECT * FROM read_csv('{root}/streamers/*/*.csv.gz', {text})
    """)
    return c


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_same_arguments_give_identical_bytes(
    landing: tuple[Path, SimulationSummary], tmp_path: Path
) -> None:
    root, summary = landing
    again = simulate(tmp_path, START, DAYS, seed=7, scale=SCALE)
    assert _snapshot(tmp_path) == _snapshot(root)
    assert again.rows_written == summary.rows_written


def test_other_seed_gives_other_data(
    landing: tuple[Path, SimulationSummary], tmp_path: Path
) -> None:
    simulate(tmp_path, START, DAYS, seed=8, scale=SCALE)
    assert _snapshot(tmp_path) != _snapshot(landing[0])


def test_layout_follows_the_contract(landing: tuple[Path, SimulationSummary]) -> None:
    root, summary = landing
    assert sorted(p.name for p in root.iterdir()) == sorted(SOURCES)
    allowed = {f"dt={(START + timedelta(days=i)).isoformat()}" for i in range(DAYS)}
    files = [p for p in root.rglob("*") if p.is_file()]
    for path in files:
        assert path.parent.name in allowed, path
        assert path.name.endswith(LANDING_SUFFIXES), path
        assert path.parent.parent.parent == root
    assert summary.files_written == len(files)
    # every day has a streamer snapshot and orders in both formats
    for dt in allowed:
        assert (root / "streamers" / dt / "streamers.csv.gz").is_file()
        names = {p.name for p in (root / "orders" / dt).iterdir()}
        assert names == {"part-0.parquet", "part-1.csv"}


def test_rows_written_match_the_files(
    landing: tuple[Path, SimulationSummary], con: duckdb.DuckDBPyConnection
) -> None:
    counts = {
        "orders": _one(con, "SELECT count(*) FROM orders"),
        "follows": _one(con, "SELECT count(*) FROM follows"),
        "livestream_sessions": _one(con, "SELECT count(*) FROM sessions"),
        "streamers": _one(con, "SELECT count(*) FROM streamers"),
        "trust_card_events": _one(con, "SELECT count(*) FROM trust"),
        "enforcement_actions": _one(con, "SELECT count(*) FROM actions"),
    }
    assert counts == landing[1].rows_written
    assert all(n > 0 for n in counts.values())


def test_rerun_replaces_files_and_touches_only_its_range(
    landing: tuple[Path, SimulationSummary], tmp_path: Path
) -> None:
    fresh = tmp_path / "fresh"
    simulate(fresh, START, DAYS, seed=8, scale=SCALE)
    reused = tmp_path / "reused"
    simulate(reused, START, DAYS, seed=7, scale=SCALE)
    outside = reused / "orders" / "dt=2021-01-01" / "part-0.csv"
    outside.parent.mkdir(parents=True)
    outside.write_text("order_id\n", encoding="utf-8")

    simulate(reused, START, DAYS, seed=7, scale=SCALE)
    assert _snapshot(reused) == {
        **_snapshot(landing[0]),
        "orders/dt=2021-01-01/part-0.csv": b"order_id\n",
    }

    simulate(reused, START, DAYS, seed=8, scale=SCALE)  # stale files of seed 7 must not survive
    outside.unlink()
    outside.parent.rmdir()
    assert _snapshot(reused) == _snapshot(fresh)


def test_orders_satisfy_the_rules(con: duckdb.DuckDBPyConnection) -> None:
    bad = _one(
        con,
        """
        SELECT count(*) FROM orders
        WHERE quantity < 1
           OR discount_amount < 0 OR discount_amount > item_amount
           OR (paid_amount IS NOT NULL AND paid_amount <> 0
               AND paid_amount <> item_amount - discount_amount)
           OR refund_amount < 0 OR refund_amount > coalesce(paid_amount, 0)
           OR updated_at < created_at
           OR status NOT IN ('created', 'paid', 'shipped', 'delivered', 'completed',
                             'cancelled', 'refunded')
           OR entry_point NOT IN ('follow_feed', 'discovery_feed', 'search', 'short_video',
                                  'shop_page', 'fan_group', 'other')
           OR (status NOT IN ('created', 'cancelled') AND paid_at IS NULL)
           OR (status = 'cancelled' AND coalesce(paid_amount, 0) <> 0)
           OR (streamer_id IS NULL AND session_id IS NOT NULL)
        """,
    )
    assert bad == 0
    statuses = {r[0] for r in con.execute("SELECT DISTINCT status FROM orders").fetchall()}
    assert {"created", "paid", "shipped", "delivered", "cancelled"} <= statuses
    assert _one(con, "SELECT count(*) FROM orders WHERE category = '美妆'") > 0
    assert _one(con, "SELECT count(*) FROM orders WHERE receiver_phone IS NULL") == 0
    # ids stay opaque strings with their leading zeros
    ids = con.execute(
        "SELECT order_id, buyer_id, shop_id, product_id FROM orders LIMIT 1"
    ).fetchone()
    assert ids is not None
    assert [i[:2] for i in ids] == ["o0", "b0", "sh", "p0"]
    assert _one(con, "SELECT count(*) FROM orders WHERE order_id NOT SIMILAR TO 'o[0-9]{8}'") == 0


def test_order_versions_and_sessions_agree(con: duckdb.DuckDBPyConnection) -> None:
    # each (order, updated_at) is one version; a version never repeats
    assert _one(con, "SELECT count(*) - count(DISTINCT (order_id, updated_at)) FROM orders") == 0
    # orders placed in a live room carry its streamer and fall inside the session
    assert (
        _one(
            con,
            """
        SELECT count(*) FROM orders o LEFT JOIN sessions s USING (session_id)
        WHERE o.session_id IS NOT NULL
          AND (s.session_id IS NULL OR o.streamer_id <> s.streamer_id
               OR o.created_at < s.started_at OR o.created_at > s.ended_at)
        """,
        )
        == 0
    )
    assert _one(con, "SELECT count(*) FROM orders WHERE session_id IS NOT NULL") > 0
    assert _one(con, "SELECT count(*) FROM orders WHERE streamer_id IS NULL") > 0


def test_festival_peak(con: duckdb.DuckDBPyConnection) -> None:
    def created_on(day: str) -> int:
        sql = f"""
            SELECT count(DISTINCT order_id) FROM orders
            WHERE created_at >= TIMESTAMPTZ '{day} 00:00:00+08:00'
              AND created_at < TIMESTAMPTZ '{day} 00:00:00+08:00' + INTERVAL 1 DAY
        """
        return int(_one(con, sql))

    assert created_on("2021-06-16") > 1.8 * created_on("2021-06-17")


def test_sessions_satisfy_the_rules(con: duckdb.DuckDBPyConnection) -> None:
    assert (
        _one(
            con,
            """
        SELECT count(*) FROM sessions
        WHERE follower_viewers < 0 OR follower_viewers > viewers OR ended_at < started_at
           OR peak_concurrent > viewers
        """,
        )
        == 0
    )
    assert _one(con, "SELECT count(*) - count(DISTINCT session_id) FROM sessions") == 0
    crossing = "SELECT count(*) FROM sessions WHERE started_at::DATE <> ended_at::DATE"
    assert _one(con, crossing) > 0


def test_follows_satisfy_the_rules(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(con, "SELECT count(*) - count(DISTINCT event_id) FROM follows") == 0
    kinds = con.execute("SELECT DISTINCT event_type FROM follows ORDER BY 1").fetchall()
    assert kinds == [("follow",), ("unfollow",)]
    naive = "SELECT count(*) FROM follows WHERE event_at NOT LIKE '%+08:00'"
    assert _one(con, naive) > 0
    assert _one(con, "SELECT count(*) FROM follows WHERE event_at < '2021-06-13'") > 0


def test_enforcement_covers_every_kind(con: duckdb.DuckDBPyConnection) -> None:
    def distinct(column: str) -> set[str]:
        return {r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM actions").fetchall()}

    assert distinct("action_type") == {
        "brushing_intercept", "user_report", "warning", "penalty", "room_ban",
        "account_clearance", "police_referral",
    }  # fmt: skip
    assert distinct("reason") == {
        "order_brushing", "private_order", "false_advertising", "counterfeit", "gang_fraud",
        "other",
    }  # fmt: skip
    assert distinct("target_type") == {"order", "account", "shop", "streamer", "live_room"}
    assert _one(con, "SELECT count(*) - count(DISTINCT action_id) FROM actions") == 0
    assert (
        _one(
            con,
            """
        SELECT count(*) FROM actions
        WHERE (action_type = 'room_ban' AND (reason <> 'private_order'
               OR target_type <> 'live_room' OR session_id IS DISTINCT FROM target_id))
           OR (action_type = 'account_clearance' AND gang_id IS NULL)
           OR (action_type = 'police_referral' AND (case_id IS NULL OR amount_involved IS NULL))
           OR (action_type = 'user_report' AND reporter_id IS NULL)
           OR (target_type = 'live_room' AND session_id IS NULL)
        """,
        )
        == 0
    )
    assert _one(con, "SELECT count(*) FROM actions WHERE campaign = 'pinocchio'") > 0


def test_trust_card_events(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(con, "SELECT count(*) - count(DISTINCT event_id) FROM trust") == 0
    rights = {r[0] for r in con.execute('SELECT DISTINCT "right" FROM trust').fetchall()}
    assert rights == {
        "refund_without_return", "return_shipping_comp", "fake_one_pay_ten",
        "seven_day_return", "fast_refund", "fast_shipping",
    }  # fmt: skip


def test_text_money_has_two_decimals(landing: tuple[Path, SimulationSummary]) -> None:
    root = landing[0]
    money = ("item_amount", "discount_amount", "paid_amount", "refund_amount")
    for path in sorted(root.glob("orders/*/*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                for column in money:
                    value = row[column]
                    assert MONEY.match(value) or (column == "paid_amount" and value == ""), value
                assert row["created_at"].endswith("+08:00")
    for path in sorted(root.glob("streamers/*/*.csv.gz")):
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
        assert text.startswith("streamer_id,shop_id,category,follower_count,created_at\n")


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        simulate(tmp_path, START, 0)
    with pytest.raises(ValueError):
        simulate(tmp_path, START, 1, scale=0)
