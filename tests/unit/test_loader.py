"""Ingestion against the landing contract: each class of bad input gets its reason, nothing is
lost (read = loaded + rejected), and re-loading a partition replaces it."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from helpers import REPO_ROOT, VALID_ORDER, VALID_SESSION, write_csv

from orchestration.landing.loader import load_partition

DT = date(2021, 6, 15)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def partition_dir(landing: Path, source: str) -> Path:
    folder = landing / source / f"dt={DT.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def load_one(conn, landing: Path, source: str, rows: list[dict[str, str]]):
    write_csv(partition_dir(landing, source) / "part.csv", rows)
    result = load_partition(conn, landing, source, DT)
    assert result.rows_read == result.rows_loaded + result.rows_rejected == len(rows)
    return result


def rejected(conn) -> list[tuple]:
    return conn.execute(
        "select source_file, source_row, reason_code from raw.rejected_rows order by source_row"
    ).fetchall()


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"buyer_id": ""}, "buyer_id_missing"),
        ({"status": "shipped_maybe"}, "status_not_allowed"),
        ({"entry_point": "FOLLOW_FEED"}, "entry_point_not_allowed"),
        ({"item_amount": "110.001"}, "item_amount_invalid"),
        ({"paid_amount": "NaN"}, "paid_amount_invalid"),
        ({"paid_amount": "abc"}, "paid_amount_invalid"),
        ({"quantity": "0"}, "quantity_below_minimum"),
        ({"quantity": "1.5"}, "quantity_invalid"),
        ({"discount_amount": "-1.00"}, "discount_amount_below_minimum"),
        ({"discount_amount": "120.00"}, "discount_exceeds_item"),
        ({"refund_amount": "100.01"}, "refund_exceeds_paid"),
        ({"created_at": "yesterday"}, "created_at_invalid"),
        ({"updated_at": "2021-06-15T19:00:00+08:00"}, "updated_before_created"),
        ({"paid_at": ""}, "paid_at_missing"),
    ],
)
def test_bad_order_row_is_rejected_with_reason(conn, tmp_path, override, reason) -> None:
    rows = [VALID_ORDER, {**VALID_ORDER, "order_id": "2", **override}]
    result = load_one(conn, tmp_path, "orders", rows)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert rejected(conn) == [("orders/dt=2021-06-15/part.csv", 2, reason)]
    raw_record = conn.execute("select raw_record from raw.rejected_rows").fetchone()[0]
    assert json.loads(raw_record)["order_id"] == "2"


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"ended_at": "2021-06-15T18:00:00+08:00"}, "ended_before_started"),
        ({"follower_viewers": "101"}, "follower_viewers_exceed_viewers"),
        ({"viewers": "-1", "follower_viewers": "0"}, "viewers_below_minimum"),
    ],
)
def test_bad_session_row_is_rejected_with_reason(conn, tmp_path, override, reason) -> None:
    result = load_one(conn, tmp_path, "livestream_sessions", [{**VALID_SESSION, **override}])
    assert (result.rows_loaded, result.rows_rejected) == (0, 1)
    assert rejected(conn)[0][2] == reason


def test_missing_required_column_rejects_every_row(conn, tmp_path) -> None:
    rows = [{k: v for k, v in VALID_ORDER.items() if k != "shop_id"}] * 3
    result = load_one(conn, tmp_path, "orders", rows)
    assert (result.rows_loaded, result.rows_rejected) == (0, 3)
    assert {r[2] for r in rejected(conn)} == {"missing_required_column"}


def test_unreadable_file_is_quarantined_and_the_rest_loads(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "orders")
    write_csv(folder / "good.csv", [VALID_ORDER])
    (folder / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    (folder / "notes.txt").write_text("not a landing format")
    result = load_partition(conn, tmp_path, "orders", DT)
    assert result.rows_loaded == 1
    assert sorted(r[0] for r in rejected(conn)) == [
        "orders/dt=2021-06-15/broken.parquet",
        "orders/dt=2021-06-15/notes.txt",
    ]
    assert {r[2] for r in rejected(conn)} == {"file_unreadable"}
    assert result.rows_read == result.rows_loaded + result.rows_rejected


def test_types_ids_time_zones_extra_columns(conn, tmp_path) -> None:
    # Columns in another order, an unknown extra column, a timestamp without offset (Shanghai),
    # a UTC timestamp, personal data present, ids with leading zeros.
    row = {"extra": "ignored", **VALID_ORDER, "receiver_phone": "13800000000",
           "created_at": "2021-06-15 20:00:00", "paid_at": "2021-06-15T12:01:00Z"}  # fmt: skip
    row = dict(reversed(list(row.items())))
    load_one(conn, tmp_path, "orders", [row])
    order_id, created_at, paid_at, refund, phone = conn.execute(
        "select order_id, created_at, paid_at, refund_amount, receiver_phone from raw.orders"
    ).fetchone()
    assert order_id == "007"
    assert created_at == datetime(2021, 6, 15, 20, 0, tzinfo=SHANGHAI)
    assert paid_at == datetime(2021, 6, 15, 20, 1, tzinfo=SHANGHAI)
    assert str(refund) == "0.00"  # refund_amount defaults to 0
    assert phone == "13800000000"  # kept in raw only; staging never selects it


def test_header_only_and_bom_csv(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "orders")
    (folder / "empty.csv").write_text(",".join(VALID_ORDER) + "\n", encoding="utf-8")
    write_csv(folder / "bom.csv", [VALID_ORDER], encoding="utf-8-sig")
    result = load_partition(conn, tmp_path, "orders", DT)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (1, 1, 0)


def test_jsonl_and_parquet_load(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "follows")
    events = [
        {"event_id": "e1", "follower_id": "b1", "streamer_id": "s1", "event_type": "follow",
         "event_at": "2021-06-15T10:00:00+08:00"},
        {"event_id": "e2", "follower_id": "b1", "streamer_id": "s1", "event_type": "block",
         "event_at": "2021-06-15T11:00:00+08:00"},
    ]  # fmt: skip
    (folder / "a.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    conn.execute(
        f"copy (select 'e3' as event_id, 'b2' as follower_id, 's1' as streamer_id, "
        f"'unfollow' as event_type, timestamptz '2021-06-15 12:00:00+08' as event_at) "
        f"to '{folder / 'b.parquet'}' (format parquet)"
    )
    result = load_partition(conn, tmp_path, "follows", DT)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rejected(conn)[0][1:] == (2, "event_type_not_allowed")


def test_reloading_replaces_the_partition(conn, tmp_path) -> None:
    rows = [VALID_ORDER, {**VALID_ORDER, "order_id": "2", "status": "bogus"}]
    for _ in range(3):
        load_one(conn, tmp_path, "orders", rows)
    counts = conn.execute(
        "select (select count(*) from raw.orders), (select count(*) from raw.rejected_rows), "
        "(select count(*) from raw.load_audit)"
    ).fetchone()
    assert counts == (1, 1, 1)
    # A corrected re-export replaces the old one; a vanished partition means "no records".
    load_one(conn, tmp_path, "orders", [VALID_ORDER, {**VALID_ORDER, "order_id": "2"}])
    assert conn.execute("select count(*) from raw.orders").fetchone()[0] == 2
    assert conn.execute("select count(*) from raw.rejected_rows").fetchone()[0] == 0
    for path in partition_dir(tmp_path, "orders").iterdir():
        path.unlink()
    load_partition(conn, tmp_path, "orders", DT)
    assert conn.execute("select count(*) from raw.orders").fetchone()[0] == 0


def follows_line(**override: object) -> str:
    event = {
        "event_id": "e1",
        "follower_id": "b1",
        "streamer_id": "s1",
        "event_type": "follow",
        "event_at": "2021-06-15T10:00:00+08:00",
        **override,
    }
    return json.dumps(event, ensure_ascii=False)


def test_broken_json_lines_are_rejected_one_by_one(conn, tmp_path) -> None:
    lines = [
        follows_line(event_id="e1"),
        "",  # a blank line is not a record
        '{"event_id": "e2", "follower_id": ',  # truncated
        "[1, 2]",  # JSON, but not an object
        follows_line(event_id="e3"),
    ]
    (partition_dir(tmp_path, "follows") / "a.jsonl").write_text("\r\n".join(lines) + "\r\n")
    result = load_partition(conn, tmp_path, "follows", DT)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    # Records are numbered, as on the hot path: the blank line is none.
    assert rejected(conn) == [
        ("follows/dt=2021-06-15/a.jsonl", 2, "json_invalid"),
        ("follows/dt=2021-06-15/a.jsonl", 3, "json_invalid"),
    ]
    assert conn.execute("select list(_source_row order by 1) from raw.follows").fetchone()[0] == [
        1,
        4,
    ]


def test_json_lines_row_numbers_do_not_depend_on_the_read(conn, tmp_path) -> None:
    """Two files with the same records after blank lines: a.jsonl goes to DuckDB's reader, b.jsonl
    (a key written `Event_ID`) to the cold path in Python. Both number records, not lines."""
    folder = partition_dir(tmp_path, "follows")
    for name, good, bad in [("a", "e1", "e2"), ("b", "e3", "e4")]:
        lines = [
            "",
            follows_line(event_id=good),
            "",
            "  ",
            follows_line(event_id=bad, event_type="like"),
        ]
        text = "\n".join(lines) + "\n"
        if name == "b":
            text = text.replace('"event_id"', '"Event_ID"')
        (folder / f"{name}.jsonl").write_text(text)
    result = load_partition(conn, tmp_path, "follows", DT)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    assert sorted(row[:2] for row in rejected(conn)) == [
        ("follows/dt=2021-06-15/a.jsonl", 2),
        ("follows/dt=2021-06-15/b.jsonl", 2),
    ]
    assert conn.execute(
        "select list(_source_row order by _source_file) from raw.follows"
    ).fetchone()[0] == [1, 1]


def test_running_out_of_memory_stops_the_load_and_keeps_the_partition(conn, tmp_path) -> None:
    """Out of memory (or of spill room, or disk) is the machine's failure, not the file's: the
    load raises and the partition keeps its previous load, instead of every row of a good file
    going to quarantine as unreadable (what the file-level fallbacks did with the error)."""
    rows = [json.loads(follows_line(event_id=f"e{i}", follower_id=f"b{i}")) for i in range(50_000)]
    write_csv(partition_dir(tmp_path, "follows") / "a.csv", rows)
    assert load_partition(conn, tmp_path, "follows", DT).rows_loaded == 50_000
    conn.execute("SET memory_limit = '8MB'")
    conn.execute("SET threads = 2")
    with pytest.raises(duckdb.OutOfMemoryException):
        load_partition(conn, tmp_path, "follows", DT)
    conn.execute("RESET memory_limit")
    assert conn.execute("select count(*) from raw.follows").fetchone()[0] == 50_000
    assert conn.execute("select count(*) from raw.rejected_rows").fetchone()[0] == 0


def test_nested_value_where_a_scalar_is_expected(conn, tmp_path) -> None:
    lines = [follows_line(), follows_line(event_id="e2", follower_id={"id": "b2"})]
    (partition_dir(tmp_path, "follows") / "a.jsonl").write_text("\n".join(lines) + "\n")
    result = load_partition(conn, tmp_path, "follows", DT)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    reason = conn.execute("select reason_code, reason from raw.rejected_rows").fetchone()
    assert reason == (
        "nested_value",
        "column follower_id holds an object or array where a scalar is expected",
    )


def test_numbers_as_strings_and_strings_as_numbers(conn, tmp_path) -> None:
    # Ids written as JSON numbers are still ids (as text); integers written as strings parse.
    session = {**VALID_SESSION, "session_id": 7, "viewers": "100", "follower_viewers": 40}
    (partition_dir(tmp_path, "livestream_sessions") / "a.jsonl").write_text(json.dumps(session))
    result = load_partition(conn, tmp_path, "livestream_sessions", DT)
    assert result.rows_loaded == 1
    assert conn.execute("select session_id, viewers from raw.livestream_sessions").fetchone() == (
        "7",
        100,
    )


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59+08:00"])
def test_placeholder_dates_are_out_of_range(conn, tmp_path, value) -> None:
    load_one(conn, tmp_path, "follows", [json.loads(follows_line(event_at=value))])
    assert rejected(conn)[0][2] == "event_at_out_of_range"


@pytest.mark.parametrize("value", ["Infinity", "-inf", "1e400"])
def test_infinite_money_is_invalid(conn, tmp_path, value) -> None:
    load_one(conn, tmp_path, "orders", [{**VALID_ORDER, "paid_amount": value}])
    assert rejected(conn)[0][2] == "paid_amount_invalid"


def test_hostile_file_names_and_partition_folders(conn, tmp_path) -> None:
    # A file name that tries SQL injection loads as data; it is only ever a quoted literal.
    folder = partition_dir(tmp_path, "orders")
    write_csv(folder / "x'); drop table raw.orders; --.csv", [VALID_ORDER])
    assert load_partition(conn, tmp_path, "orders", DT).rows_loaded == 1
    assert conn.execute("select count(*) from raw.orders").fetchone()[0] == 1
    # Folders that are not dt=<a real date> are not partitions (and are reported by `lcw run`).
    from orchestration.landing.discovery import invalid_partition_folders, list_partitions

    for name in ("dt=2021-13-45", "dt=..", "dt=2021-06-15;drop", "other"):
        (tmp_path / "orders" / name).mkdir()
    assert list_partitions(tmp_path, "orders") == [DT]
    assert invalid_partition_folders(tmp_path, "orders") == [
        "dt=..",
        "dt=2021-06-15;drop",
        "dt=2021-13-45",
        "other",
    ]


def test_empty_file_wrong_encoding_emoji_and_long_lines(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "orders")
    (folder / "empty.csv").write_bytes(b"")
    write_csv(folder / "latin1.csv", [{**VALID_ORDER, "category": "crème"}], encoding="latin-1")
    write_csv(folder / "emoji.csv", [{**VALID_ORDER, "order_id": "e", "category": "美妆💄"}])
    write_csv(folder / "long.csv", [{**VALID_ORDER, "order_id": "l", "category": "x" * 3_000_000}])
    result = load_partition(conn, tmp_path, "orders", DT)
    assert result.rows_read == result.rows_loaded + result.rows_rejected
    loaded = dict(conn.execute("select order_id, category from raw.orders").fetchall())
    assert loaded["e"] == "美妆💄"
    reasons = dict(
        conn.execute("select source_file, reason_code from raw.rejected_rows").fetchall()
    )
    assert reasons.get("orders/dt=2021-06-15/latin1.csv") == "file_unreadable"
    # A 3 MB field is either loaded whole or the file is quarantined with DuckDB's reason.
    assert "l" in loaded or reasons.get("orders/dt=2021-06-15/long.csv") == "file_unreadable"
    assert "orders/dt=2021-06-15/empty.csv" not in reasons


def test_symlinks_are_never_followed(conn, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    write_csv(outside / "secret.csv", [VALID_ORDER])
    folder = partition_dir(tmp_path / "landing", "orders")
    (folder / "link.csv").symlink_to(outside / "secret.csv")
    (tmp_path / "landing" / "orders" / "dt=2021-06-16").symlink_to(outside)
    from orchestration.landing.discovery import list_partitions

    assert list_partitions(tmp_path / "landing", "orders") == [DT]
    result = load_partition(conn, tmp_path / "landing", "orders", DT)
    assert (result.rows_loaded, result.rows_rejected) == (0, 1)
    assert rejected(conn)[0][2] == "file_is_symlink"
    assert conn.execute("select raw_record from raw.rejected_rows").fetchone()[0] is None


def test_every_reason_code_is_documented() -> None:
    """docs/landing.md names every reason ingestion can give, literally or as `<column>_...`."""
    from orchestration.landing.contract import SOURCES
    from orchestration.landing.validation import reject_reason_cases

    docs = (REPO_ROOT / "docs" / "landing.md").read_text()
    for source in SOURCES.values():
        for _, code, _ in reject_reason_cases(source):
            per_column = [
                f"`<column>_{code.removeprefix(column + '_')}`"
                for column in source.column_names
                if code.startswith(column + "_")
            ]
            assert f"`{code}`" in docs or any(p in docs for p in per_column), code
    for code in (
        "missing_required_column", "json_invalid", "file_unreadable", "file_is_symlink",
        "file_name_unsafe",
    ):  # fmt: skip
        assert f"`{code}`" in docs


def test_glob_characters_in_file_names_are_refused(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "orders")
    write_csv(folder / "a.csv", [VALID_ORDER])
    write_csv(folder / "a*.csv", [{**VALID_ORDER, "order_id": "2"}])
    result = load_partition(conn, tmp_path, "orders", DT)
    # Read as a glob, "a*.csv" would have loaded a.csv a second time.
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2, 1, 1)
    assert rejected(conn)[0][0::2] == ("orders/dt=2021-06-15/a*.csv", "file_name_unsafe")


def test_corrupt_gzip_json_lines_is_quarantined_not_a_crash(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "follows")
    (folder / "broken.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    (folder / "good.jsonl").write_text(follows_line() + "\n")
    result = load_partition(conn, tmp_path, "follows", DT)
    assert result.rows_loaded == 1
    assert rejected(conn)[0][0::2] == ("follows/dt=2021-06-15/broken.jsonl.gz", "file_unreadable")


def test_unreadable_csv_rejects_each_of_its_records(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "orders")
    write_csv(folder / "latin1.csv", [{**VALID_ORDER, "category": "crème"}] * 3, "latin-1")
    result = load_partition(conn, tmp_path, "orders", DT)
    # Three records that could not be read are three rejected rows, with their text.
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 0, 3)
    assert [r[1:] for r in rejected(conn)] == [(n, "file_unreadable") for n in (1, 2, 3)]


def test_symlinked_partition_folder_is_not_read_even_when_asked(conn, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    write_csv(outside / "secret.csv", [VALID_ORDER])
    (tmp_path / "landing" / "orders").mkdir(parents=True)
    (tmp_path / "landing" / "orders" / f"dt={DT.isoformat()}").symlink_to(outside)
    result = load_partition(conn, tmp_path / "landing", "orders", DT)
    assert (result.files, result.rows_read) == (0, 0)
