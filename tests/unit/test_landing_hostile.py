"""The landing contract under hostile input (issue 11): nothing lost, nothing silent.

Every test states the exact accounting of each file it writes: rows loaded, rows rejected and
the reject reasons, with read = loaded + rejected for the partition.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import json
import zlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import REPO_ROOT

from orchestration.landing.contract import MAX_AMOUNT_INVOLVED, MAX_ORDER_AMOUNT
from orchestration.landing.loader import load_partition
from orchestration.landing.raw_tables import LoadResult

DT = date(2021, 6, 15)
PART = f"dt={DT.isoformat()}"
PHONE = "13800000000"
ADDRESS = "上海市浦东新区张江路100号"

VALID_ORDER = {
    "order_id": "007", "buyer_id": "b1", "shop_id": "sh1", "streamer_id": "s1",
    "session_id": "", "product_id": "p1", "category": "美妆", "quantity": "1",
    "item_amount": "110.00", "discount_amount": "10.00", "paid_amount": "100.00",
    "refund_amount": "", "status": "paid", "entry_point": "follow_feed",
    "created_at": "2021-06-15T20:00:00+08:00", "paid_at": "2021-06-15T20:01:00+08:00",
    "updated_at": "2021-06-15T20:01:00+08:00",
    "receiver_phone": PHONE, "receiver_address": ADDRESS,
}  # fmt: skip
VALID_FOLLOW = {
    "event_id": "e1", "follower_id": "b1", "streamer_id": "s1", "event_type": "follow",
    "event_at": "2021-06-15T10:00:00+08:00",
}  # fmt: skip


@pytest.fixture
def conn(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        yield connection


def partition_dir(landing: Path, source: str) -> Path:
    folder = landing / source / PART
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def csv_text(rows: list[dict[str, str]], header: list[str] | None = None) -> str:
    out = []
    writer = csv.writer(_Lines(out), lineterminator="\n")
    writer.writerow(header or list(rows[0]))
    writer.writerows([list(row.values()) for row in rows])
    return "".join(out)


class _Lines:
    def __init__(self, out: list[str]) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.append(text)


def jsonl_text(records: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def orders(n: int, **override: str) -> list[dict[str, str]]:
    return [{**VALID_ORDER, "order_id": f"o{i}", **override} for i in range(1, n + 1)]


def load(conn, landing: Path, source: str) -> LoadResult:
    result = load_partition(conn, landing, source, DT)
    assert result.rows_read == result.rows_loaded + result.rows_rejected
    return result


def accounting(conn, source: str) -> dict[str, tuple[int, int, dict[str, int]]]:
    """Per file name: (rows loaded, rows rejected, {reason code: rows})."""
    loaded = dict(
        conn.execute(f"select _source_file, count(*) from raw.{source} group by 1").fetchall()
    )
    reasons: dict[str, dict[str, int]] = {}
    for file, code, count in conn.execute(
        "select source_file, reason_code, count(*) from raw.rejected_rows group by 1, 2"
    ).fetchall():
        reasons.setdefault(file, {})[code] = count
    return {
        file.rsplit("/", 1)[1]: (loaded.get(file, 0), sum(reasons.get(file, {}).values()),
                                 reasons.get(file, {}))
        for file in {*loaded, *reasons}
    }  # fmt: skip


def rejects(conn) -> list[tuple]:
    return conn.execute(
        "select regexp_extract(source_file, '[^/]+$'), source_row, reason_code "
        "from raw.rejected_rows order by 1, 2"
    ).fetchall()


# ---------------------------------------------------------------------------------------------
# Column names: case-insensitive, never dropped; byte-order marks; duplicates


def test_mixed_and_upper_case_names_load_every_column(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "orders")
    row = {**VALID_ORDER, "refund_amount": "5.00"}
    mixed = [n.title() if n in ("refund_amount", "streamer_id") else n for n in row]
    (folder / "mixed.csv").write_text(csv_text([row], header=mixed))
    upper = [n.upper() for n in row]
    (folder / "upper.csv").write_text(csv_text([{**row, "order_id": "u"}], header=upper))
    (folder / "keys.jsonl").write_text(
        jsonl_text([{k.upper() if k == "refund_amount" else k: v for k, v in row.items()}
                    | {"order_id": "j"}])
    )  # fmt: skip
    conn.execute(
        f"copy (select * rename (refund_amount as Refund_Amount) from read_csv("
        f"'{folder / 'mixed.csv'}', all_varchar = true, header = true)) "
        f"to '{folder / 'schema.parquet'}' (format parquet)"
    )
    result = load(conn, tmp_path, "orders")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 4, 0)
    assert accounting(conn, "orders") == {
        "mixed.csv": (1, 0, {}),
        "upper.csv": (1, 0, {}),
        "keys.jsonl": (1, 0, {}),
        "schema.parquet": (1, 0, {}),
    }
    # The 5.00 refund and the streamer survive in every file.
    assert conn.execute(
        "select list(distinct refund_amount), list(distinct streamer_id) from raw.orders"
    ).fetchone() == ([Decimal("5.00")], ["s1"])


def test_byte_order_mark_is_stripped_for_every_text_format(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "follows")
    records = [{**VALID_FOLLOW, "event_id": f"e{i}"} for i in range(1, 4)]
    bom = codecs.BOM_UTF8
    (folder / "a.jsonl").write_bytes(bom + jsonl_text(records[:2]).encode())
    (folder / "b.jsonl.gz").write_bytes(gzip.compress(bom + jsonl_text(records[2:]).encode()))
    (folder / "c.csv").write_bytes(bom + csv_text([{**VALID_FOLLOW, "event_id": "c"}]).encode())
    csv_gz = bom + csv_text([{**VALID_FOLLOW, "event_id": "d"}]).encode()
    (folder / "d.csv.gz").write_bytes(gzip.compress(csv_gz))
    result = load(conn, tmp_path, "follows")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (5, 5, 0)
    assert accounting(conn, "follows") == {
        "a.jsonl": (2, 0, {}),
        "b.jsonl.gz": (1, 0, {}),
        "c.csv": (1, 0, {}),
        "d.csv.gz": (1, 0, {}),
    }
    # The first record of the JSON Lines file is record 1, not lost.
    assert conn.execute(
        "select list(event_id order by _source_row) from raw.follows "
        "where _source_file like '%a.jsonl'"
    ).fetchone()[0] == ["e1", "e2"]


def test_duplicate_columns_and_keys_are_rejected_never_resolved(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "orders")
    header = [*VALID_ORDER, "Refund_Amount"]
    rows = [{**r, "extra": "5.00"} for r in orders(3)]
    (folder / "dup.csv").write_text(csv_text(rows, header=header))
    names = [*VALID_ORDER, "ORDER_ID"]  # DuckDB would rename the second; pyarrow keeps it
    table = pa.table([pa.array([v]) for v in [*VALID_ORDER.values(), "x"]], names=names)
    pq.write_table(table, folder / "dup.parquet")
    good = {**VALID_ORDER, "order_id": "j1"}
    lines = [
        json.dumps(good, ensure_ascii=False),
        # the same key twice, and a key twice in different case
        json.dumps(good, ensure_ascii=False)[:-1] + ', "paid_amount": "0.00"}',
        json.dumps(good, ensure_ascii=False)[:-1] + ', "Receiver_Phone": "13900000000"}',
    ]
    (folder / "dup.jsonl").write_text("\n".join(lines) + "\n")
    result = load(conn, tmp_path, "orders")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (7, 1, 6)
    assert accounting(conn, "orders") == {
        "dup.csv": (0, 3, {"duplicate_column": 3}),
        "dup.parquet": (0, 1, {"duplicate_column": 1}),
        "dup.jsonl": (1, 2, {"duplicate_key": 2}),
    }
    reason = conn.execute(
        "select reason from raw.rejected_rows where source_file like '%dup.csv' limit 1"
    ).fetchone()[0]
    assert "refund_amount" in reason.lower()


# ---------------------------------------------------------------------------------------------
# Money: at most two decimal places in every format; an upper bound


@pytest.mark.parametrize("value", ["9.9999999", "10.0000001", "1e-7", "10.001", "0.005"])
def test_more_than_two_decimals_is_a_reject_in_csv_and_json(conn, tmp_path, value) -> None:
    folder = partition_dir(tmp_path, "orders")
    (folder / "a.csv").write_text(csv_text([VALID_ORDER, {**VALID_ORDER, "paid_amount": value}]))
    as_number = {**VALID_ORDER, "order_id": "n", "paid_amount": float(value)}
    as_string = {**VALID_ORDER, "order_id": "s", "paid_amount": value}
    (folder / "b.jsonl").write_text(jsonl_text([as_number, as_string]))
    result = load(conn, tmp_path, "orders")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 1, 3)
    assert accounting(conn, "orders") == {
        "a.csv": (1, 1, {"paid_amount_invalid": 1}),
        "b.jsonl": (0, 2, {"paid_amount_invalid": 2}),
    }


def test_two_decimals_in_any_spelling_are_accepted(conn, tmp_path) -> None:
    values = ["10.5", "10.50", "10.5000", "1.5e1", " 7 ", "+3.10"]
    rows = [{**VALID_ORDER, "order_id": f"o{i}", "paid_amount": v} for i, v in enumerate(values)]
    (partition_dir(tmp_path, "orders") / "a.csv").write_text(csv_text(rows))
    result = load(conn, tmp_path, "orders")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (6, 6, 0)
    paid = conn.execute("select list(paid_amount order by order_id) from raw.orders").fetchone()
    assert [str(v) for v in paid[0]] == ["10.50", "10.50", "10.50", "15.00", "7.00", "3.10"]


def test_parquet_doubles_and_decimals(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "orders")
    base = ", ".join(
        f"'{v}' as {k}" for k, v in VALID_ORDER.items() if k not in ("order_id", "paid_amount")
    )
    conn.execute(
        f"copy (select order_id, paid_amount, {base} from (values "
        "('noise', 0.1::double + 0.2::double), ('cent', 99.99::double), "
        "('big', 9999999.99::double), ('tiny', 1e-7::double), ('seven', 10.0000001::double), "
        "('nan', 'NaN'::double)) t(order_id, paid_amount)) "
        f"to '{folder / 'double.parquet'}' (format parquet)"
    )
    conn.execute(
        f"copy (select order_id, paid_amount, {base} from (values "
        "('ok', 10.5000::decimal(18, 4)), ('fine', 3::decimal(18, 4)), "
        "('sub', 10.0001::decimal(18, 4))) t(order_id, paid_amount)) "
        f"to '{folder / 'decimal.parquet'}' (format parquet)"
    )
    result = load(conn, tmp_path, "orders")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (9, 5, 4)
    assert accounting(conn, "orders") == {
        "double.parquet": (3, 3, {"paid_amount_invalid": 3}),
        "decimal.parquet": (2, 1, {"paid_amount_invalid": 1}),
    }
    paid = conn.execute("select order_id, paid_amount::varchar from raw.orders").fetchall()
    assert dict(paid) == {
        "noise": "0.30", "cent": "99.99", "big": "9999999.99", "ok": "10.50", "fine": "3.00",
    }  # fmt: skip


def test_amounts_above_the_bound_are_rejected_so_sums_fit_the_marts(conn, tmp_path) -> None:
    # The bounds keep any realistic sum inside the marts' DECIMAL(18,2) (< 10^16).
    assert (10**9 - 1) * MAX_ORDER_AMOUNT < 10**16
    assert (10**6 - 1) * MAX_AMOUNT_INVOLVED < 10**16
    huge = "9999999999999999.99"
    rows = [
        *orders(3),
        {**VALID_ORDER, "order_id": "h1", "item_amount": huge, "paid_amount": huge},
        {**VALID_ORDER, "order_id": "h2", "item_amount": "110.00", "paid_amount": huge},
        {**VALID_ORDER, "order_id": "max", "item_amount": f"{MAX_ORDER_AMOUNT}.00",
         "paid_amount": f"{MAX_ORDER_AMOUNT}.00"},
        {**VALID_ORDER, "order_id": "above", "item_amount": f"{MAX_ORDER_AMOUNT}.01"},
    ]  # fmt: skip
    (partition_dir(tmp_path, "orders") / "a.csv").write_text(csv_text(rows))
    result = load(conn, tmp_path, "orders")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (7, 4, 3)
    assert rejects(conn) == [
        ("a.csv", 4, "item_amount_out_of_range"),
        ("a.csv", 5, "paid_amount_out_of_range"),
        ("a.csv", 7, "item_amount_out_of_range"),
    ]
    # The sum the marts take over what loaded fits DECIMAL(18,2).
    total = conn.execute("select sum(paid_amount)::decimal(18, 2) from raw.orders").fetchone()[0]
    assert total == Decimal("10000300.00")


def test_amount_involved_has_its_own_bound(conn, tmp_path) -> None:
    action = {
        "action_id": "a1", "action_at": "2021-06-15T10:00:00+08:00",
        "action_type": "police_referral", "reason": "gang_fraud", "target_type": "account",
        "target_id": "t1", "session_id": "", "campaign": "", "gang_id": "g1", "case_id": "c1",
        "reporter_id": "", "amount_involved": f"{MAX_AMOUNT_INVOLVED}.00",
    }  # fmt: skip
    above = {**action, "action_id": "a2", "amount_involved": f"{MAX_AMOUNT_INVOLVED}.01"}
    (partition_dir(tmp_path, "enforcement_actions") / "a.csv").write_text(csv_text([action, above]))
    result = load(conn, tmp_path, "enforcement_actions")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2, 1, 1)
    assert rejects(conn) == [("a.csv", 2, "amount_involved_out_of_range")]


# ---------------------------------------------------------------------------------------------
# Timestamps: offsets within ±14:00, no zone abbreviations, the business-time window


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2021-06-15T10:00:00+99:99", "event_at_zone_invalid"),
        ("2021-06-15T10:00:00+25:00", "event_at_zone_invalid"),
        ("2021-06-15T10:00:00+14:01", "event_at_zone_invalid"),
        ("2021-06-15T10:00:00-14:30", "event_at_zone_invalid"),
        ("2021-06-15 10:00:00 CST", "event_at_zone_invalid"),
        ("2021-06-15 10:00:00 EST", "event_at_zone_invalid"),
        ("2021-06-15 10:00:00 Asia/Shanghai", "event_at_zone_invalid"),
        ("2021-06-15 10:00:00 +08:00 extra", "event_at_zone_invalid"),
        ("15/06/2021 10:00", "event_at_invalid"),
    ],
)
def test_bad_offsets_and_zone_names_are_rejected(conn, tmp_path, value, reason) -> None:
    rows = [VALID_FOLLOW, {**VALID_FOLLOW, "event_id": "e2", "event_at": value}]
    (partition_dir(tmp_path, "follows") / "a.csv").write_text(csv_text(rows))
    result = load(conn, tmp_path, "follows")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2, 1, 1)
    assert rejects(conn) == [("a.csv", 2, reason)]


def test_accepted_zones_mean_what_they_say(conn, tmp_path) -> None:
    values = {
        "plus14": "2021-06-15T20:00:00+14:00",
        "minus12": "2021-06-14T20:00:00-12:00",
        "basic": "2021-06-15T14:00:00+0800",
        "hours": "2021-06-15 14:00:00+08",
        "zulu": "2021-06-15T06:00:00Z",
        "utc": "2021-06-15 06:00:00 UTC",
        "gmt": "2021-06-15 06:00:00 GMT",
        "naive": "2021-06-15 14:00:00",
    }
    rows = [{**VALID_FOLLOW, "event_id": k, "event_at": v} for k, v in values.items()]
    (partition_dir(tmp_path, "follows") / "a.csv").write_text(csv_text(rows))
    result = load(conn, tmp_path, "follows")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (8, 8, 0)
    utc = dict(
        conn.execute(
            "select event_id, strftime(event_at at time zone 'UTC', '%Y-%m-%d %H:%M') "
            "from raw.follows"
        ).fetchall()
    )
    assert utc == {
        "plus14": "2021-06-15 06:00", "minus12": "2021-06-15 08:00", "basic": "2021-06-15 06:00",
        "hours": "2021-06-15 06:00", "zulu": "2021-06-15 06:00", "utc": "2021-06-15 06:00",
        "gmt": "2021-06-15 06:00", "naive": "2021-06-15 06:00",
    }  # fmt: skip


def order_at(order_id: str, when: str) -> dict[str, str]:
    return {**VALID_ORDER, "order_id": order_id, "created_at": when, "paid_at": when,
            "updated_at": when}  # fmt: skip


def test_business_time_window_around_the_export_date(conn, tmp_path) -> None:
    rows = [
        order_at("1970", "1970-06-01T12:00:00+08:00"),
        order_at("2099", "2099-06-01T12:00:00+08:00"),
        order_at("epoch", "1969-12-31T12:00:00+00:00"),
        # a late refund: the order was created 300 days before this export
        {**order_at("late", "2020-08-19T12:00:00+08:00"), "updated_at": "2021-06-15T09:00:00+08:00",
         "status": "refunded", "refund_amount": "100.00"},
        order_at("367", "2020-06-13T23:59:59+08:00"),  # 367 days before: outside the year
        order_at("366", "2020-06-14T00:00:00+08:00"),  # 366 days before: inside
        order_at("next_day", "2021-06-16T23:59:59+08:00"),  # the day after the export date
        order_at("two_days", "2021-06-17T00:00:00+08:00"),
    ]  # fmt: skip
    (partition_dir(tmp_path, "orders") / "a.csv").write_text(csv_text(rows))
    result = load(conn, tmp_path, "orders")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (8, 3, 5)
    assert rejects(conn) == [
        ("a.csv", 1, "created_at_out_of_window"),
        ("a.csv", 2, "created_at_out_of_window"),
        ("a.csv", 3, "created_at_out_of_range"),
        ("a.csv", 5, "created_at_out_of_window"),
        ("a.csv", 8, "created_at_out_of_window"),
    ]
    loaded = {r[0] for r in conn.execute("select order_id from raw.orders").fetchall()}
    assert loaded == {"late", "366", "next_day"}


def test_state_sources_keep_their_history(conn, tmp_path) -> None:
    # A first export of follows carries years of history; account creation has no window.
    folder = partition_dir(tmp_path, "follows")
    old_follow = {**VALID_FOLLOW, "event_id": "old", "event_at": "2013-01-01T00:00:00+08:00"}
    too_old = {**VALID_FOLLOW, "event_id": "too_old", "event_at": "2011-06-01T00:00:00+08:00"}
    (folder / "a.csv").write_text(csv_text([old_follow, too_old]))
    streamer = {"streamer_id": "s1", "shop_id": "", "category": "", "follower_count": "10",
                "created_at": "1995-03-01T00:00:00+08:00"}  # fmt: skip
    (partition_dir(tmp_path, "streamers") / "a.csv").write_text(csv_text([streamer]))
    follows = load(conn, tmp_path, "follows")
    streamers = load(conn, tmp_path, "streamers")
    assert (follows.rows_read, follows.rows_loaded, follows.rows_rejected) == (2, 1, 1)
    assert rejects(conn) == [("a.csv", 2, "event_at_out_of_window")]
    assert (streamers.rows_read, streamers.rows_loaded, streamers.rows_rejected) == (1, 1, 0)


# ---------------------------------------------------------------------------------------------
# CSV: the contract's dialect, never sniffed; a malformed row costs that row


def test_one_unquoted_comma_costs_one_row_not_the_file(conn, tmp_path) -> None:
    rows = orders(100)
    text = csv_text(rows).splitlines()
    text[50] = text[50].replace("美妆", "美妆,口红")  # row 50: one field too many
    text[70] = text[70].rsplit(",", 1)[0]  # row 70: one field too few
    # CRLF line ends and trailing blank lines (no records) as well
    (partition_dir(tmp_path, "orders") / "a.csv").write_text("\r\n".join(text) + "\r\n\r\n\r\n")
    gz = csv_text(orders(3)).replace("o2,", '"o2"x,', 1)  # row 2: broken quoting
    (partition_dir(tmp_path, "orders") / "b.csv.gz").write_bytes(gzip.compress(gz.encode()))
    result = load(conn, tmp_path, "orders")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (103, 100, 3)
    assert accounting(conn, "orders") == {
        "a.csv": (98, 2, {"csv_malformed": 2}),
        "b.csv.gz": (2, 1, {"csv_malformed": 1}),
    }
    assert rejects(conn) == [
        ("a.csv", 50, "csv_malformed"),
        ("a.csv", 70, "csv_malformed"),
        ("b.csv.gz", 2, "csv_malformed"),
    ]
    # Row numbers of the good rows are still the file's.
    assert (
        conn.execute(
            "select max(_source_row) from raw.orders where _source_file like '%a.csv'"
        ).fetchone()[0]
        == 100
    )


def test_csv_is_never_sniffed(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "follows")
    rows = [{**VALID_FOLLOW, "event_id": f"e{i}"} for i in range(3)]
    (folder / "pipes.csv").write_text(csv_text(rows).replace(",", "|"))
    quoted = [{**VALID_FOLLOW, "event_id": 'say "hi", bye\nnext line'}]
    (folder / "quoted.csv").write_text(csv_text(quoted))
    result = load(conn, tmp_path, "follows")
    # A pipe-delimited file is one column named "event_id|follower_id|…": not the contract.
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 1, 3)
    assert accounting(conn, "follows") == {
        "pipes.csv": (0, 3, {"missing_required_column": 3}),
        "quoted.csv": (1, 0, {}),
    }
    assert conn.execute("select event_id from raw.follows").fetchone()[0] == quoted[0]["event_id"]


# ---------------------------------------------------------------------------------------------
# Encoding: not UTF-8 is one clear file-level reject, counted by its lines; NUL rejected


def test_text_that_is_not_utf8_is_rejected_with_an_honest_count(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "follows")
    rows = [{**VALID_FOLLOW, "event_id": f"e{i}"} for i in range(3)]
    text = csv_text(rows)
    (folder / "utf16.csv").write_bytes(text.encode("utf-16"))
    (folder / "utf16le_no_bom.csv").write_bytes(text.encode("utf-16-le"))
    (folder / "gbk.csv").write_bytes(csv_text([{**VALID_FOLLOW, "follower_id": "买家"}] * 3)
                                     .encode("gbk"))  # fmt: skip
    (folder / "utf16.jsonl").write_bytes(jsonl_text(rows).encode("utf-16"))
    (folder / "utf16.jsonl.gz").write_bytes(gzip.compress(jsonl_text(rows).encode("utf-16")))
    result = load(conn, tmp_path, "follows")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (15, 0, 15)
    assert accounting(conn, "follows") == {
        name: (0, 3, {"file_unreadable": 3})
        for name in ("utf16.csv", "utf16le_no_bom.csv", "gbk.csv", "utf16.jsonl", "utf16.jsonl.gz")
    }
    reasons = {r[0] for r in conn.execute("select reason from raw.rejected_rows").fetchall()}
    assert all(r.startswith("file is not UTF-8 text") for r in reasons), reasons
    assert [r[1] for r in rejects(conn) if r[0] == "utf16.csv"] == [1, 2, 3]


def test_nul_characters_are_rejected(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "follows")
    rows = [VALID_FOLLOW, {**VALID_FOLLOW, "event_id": "e\x002"}]
    (folder / "a.csv").write_text(csv_text(rows))
    escaped = [VALID_FOLLOW, {**VALID_FOLLOW, "event_id": "e\x003"}]  # written as \u0000
    (folder / "b.jsonl").write_text(jsonl_text(escaped))
    raw_nul = json.dumps(VALID_FOLLOW).replace('"e1"', '"e\x004"')
    (folder / "c.jsonl").write_text(json.dumps(VALID_FOLLOW) + "\n" + raw_nul + "\n")
    # A NUL in the first record of a UTF-8 file is that record's reject, not the file's.
    (folder / "d.jsonl").write_text(raw_nul + "\n" + json.dumps(VALID_FOLLOW) + "\n")
    (folder / "e.csv").write_text(csv_text([rows[1], rows[0]]))
    result = load(conn, tmp_path, "follows")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (10, 5, 5)
    assert rejects(conn) == [
        ("a.csv", 2, "nul_byte"),
        ("b.jsonl", 2, "nul_byte"),
        ("c.jsonl", 2, "nul_byte"),
        ("d.jsonl", 1, "nul_byte"),
        ("e.csv", 1, "nul_byte"),
    ]
    assert conn.execute("select count(*) from raw.follows where contains(event_id, chr(0))")\
        .fetchone()[0] == 0  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Empty and truncated files: reported, and counted without distorting read = loaded + rejected


def truncated_gzip(text: str, keep: float = 0.5) -> tuple[bytes, int]:
    """A gzip stream cut short, and how many complete lines it still yields."""
    data = gzip.compress(text.encode(), mtime=0)
    cut = data[: int(len(data) * keep)]
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    recovered = decompressor.decompress(cut)
    return cut, recovered.count(b"\n")


def test_empty_files_are_warned_about_and_audited(conn, tmp_path, caplog) -> None:
    folder = partition_dir(tmp_path, "follows")
    for name in ("a.parquet", "b.csv", "c.csv.gz", "d.jsonl", "e.jsonl.gz"):
        (folder / name).write_bytes(b"")
    (folder / "f.jsonl.gz").write_bytes(gzip.compress(b""))
    (folder / "g.csv.gz").write_bytes(gzip.compress(b"\n\n"))
    (folder / "h.jsonl").write_text(jsonl_text([VALID_FOLLOW]))
    with caplog.at_level("WARNING"):
        result = load(conn, tmp_path, "follows")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (1, 1, 0)
    empty = ("a.parquet", "b.csv", "c.csv.gz", "d.jsonl", "e.jsonl.gz", "f.jsonl.gz", "g.csv.gz")
    assert result.empty_files == tuple(f"follows/{PART}/{name}" for name in empty)
    assert result.truncated_files == ()
    assert all(f"{name} is empty" in caplog.text for name in empty)
    assert conn.execute(
        "select files, rows_read, rows_loaded, rows_rejected, empty_files, truncated_files "
        "from raw.load_audit"
    ).fetchone() == (8, 1, 1, 0, 7, 0)


def test_truncated_gzip_counts_what_was_recovered_plus_one(conn, tmp_path, caplog) -> None:
    folder = partition_dir(tmp_path, "follows")
    records = [{**VALID_FOLLOW, "event_id": f"e{i:03d}"} for i in range(200)]
    jsonl, jsonl_lines = truncated_gzip(jsonl_text(records), keep=0.5)
    (folder / "a.jsonl.gz").write_bytes(jsonl)
    table, table_lines = truncated_gzip(csv_text(records), keep=0.5)
    (folder / "b.csv.gz").write_bytes(table)
    assert 0 < jsonl_lines < 200 and 1 < table_lines < 201
    with caplog.at_level("WARNING"):
        result = load(conn, tmp_path, "follows")
    jsonl_loaded, csv_loaded = jsonl_lines, table_lines - 1  # the CSV header is not a record
    assert result.rows_read == jsonl_loaded + 1 + csv_loaded + 1
    assert (result.rows_loaded, result.rows_rejected) == (jsonl_loaded + csv_loaded, 2)
    assert accounting(conn, "follows") == {
        "a.jsonl.gz": (jsonl_loaded, 1, {"file_truncated": 1}),
        "b.csv.gz": (csv_loaded, 1, {"file_truncated": 1}),
    }
    assert result.truncated_files == (f"follows/{PART}/a.jsonl.gz", f"follows/{PART}/b.csv.gz")
    assert "a.jsonl.gz is truncated" in caplog.text
    assert conn.execute("select truncated_files from raw.load_audit").fetchone() == (2,)


# ---------------------------------------------------------------------------------------------
# Personal data never kept in clear in rejected rows, on every path


def test_personal_data_is_masked_on_every_reject_path(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "orders")
    bad = {**VALID_ORDER, "status": "bogus"}
    # parsed rows: CSV, CSV with mixed-case personal columns, JSON Lines, Parquet
    (folder / "a.csv").write_text(csv_text([bad]))
    mixed = [n.upper() if n.startswith("receiver") else n for n in bad]
    (folder / "b.csv").write_text(csv_text([bad], header=mixed))
    (folder / "c.jsonl").write_text(jsonl_text([bad]))
    conn.execute(
        f"copy (select * from read_csv('{folder / 'a.csv'}', all_varchar = true)) "
        f"to '{folder / 'd.parquet'}' (format parquet)"
    )
    # whole-file rejects of parsed rows: a duplicate column, a missing required column
    duplicated = [{**VALID_ORDER, "again": "008"}]
    (folder / "e.csv").write_text(csv_text(duplicated, header=[*VALID_ORDER, "ORDER_ID"]))
    (folder / "f.csv").write_text(
        csv_text([{k: v for k, v in VALID_ORDER.items() if k != "shop_id"}])
    )
    # the cold paths: a duplicate JSON key, a line that is not JSON, a malformed CSV row, a file
    # that is not UTF-8, a truncated gzip stream whose lost tail held personal data
    line = json.dumps(VALID_ORDER, ensure_ascii=False)
    (folder / "g.jsonl").write_text(
        line[:-1] + f', "Receiver_Phone": "{PHONE}"}}\n' + line[:-20] + "\n"
    )
    (folder / "h.csv").write_text(csv_text([VALID_ORDER]).replace(ADDRESS, ADDRESS + "," + PHONE))
    (folder / "i.csv").write_bytes(csv_text([VALID_ORDER]).encode("utf-16"))
    cut, _ = truncated_gzip(jsonl_text([VALID_ORDER] * 50), keep=0.6)
    (folder / "j.jsonl.gz").write_bytes(cut)
    result = load(conn, tmp_path, "orders")
    assert result.rows_read == result.rows_loaded + result.rows_rejected
    counts = accounting(conn, "orders")
    assert {name: codes for name, (_, _, codes) in counts.items() if codes} == {
        "a.csv": {"status_not_allowed": 1},
        "b.csv": {"status_not_allowed": 1},
        "c.jsonl": {"status_not_allowed": 1},
        "d.parquet": {"status_not_allowed": 1},
        "e.csv": {"duplicate_column": 1},
        "f.csv": {"missing_required_column": 1},
        "g.jsonl": {"duplicate_key": 1, "json_invalid": 1},
        "h.csv": {"csv_malformed": 1},
        "i.csv": {"file_unreadable": 1},
        "j.jsonl.gz": {"file_truncated": 1},
    }
    raw = conn.execute(
        "select source_file, reason_code, raw_record from raw.rejected_rows"
    ).fetchall()
    for file, code, record in raw:
        assert record is None or (PHONE not in record and ADDRESS not in record), (file, code)
        assert record is None or "张江" not in record and "100号" not in record
    # A parsed record keeps its other values and says the personal ones were there.
    masked = {
        file.rsplit("/", 1)[1]: json.loads(record)
        for file, code, record in raw
        if code in ("status_not_allowed", "duplicate_column", "missing_required_column")
    }
    for name, record in masked.items():
        values = {k.lower(): v for k, v in record.items()}
        assert values["receiver_phone"] == "***", name
        assert values["receiver_address"] == "***", name
        assert values["status"] in ("bogus", "paid"), name
    # Unparseable lines of a source with personal data keep no text at all.
    assert {code for _, code, record in raw if record is None} == {
        "json_invalid", "csv_malformed", "file_unreadable", "file_truncated",
    }  # fmt: skip


def test_parquet_names_are_matched_past_nested_columns(conn, tmp_path) -> None:
    # A struct and a list before the contract's columns: the schema walk skips their children.
    folder = partition_dir(tmp_path, "follows")
    conn.execute(
        "copy (select {'a': 1, 'b': {'c': 2}} as Meta, [1, 2] as Tags, 'e1' as Event_Id, "
        "'b1' as follower_id, 's1' as STREAMER_ID, 'follow' as event_type, "
        "timestamptz '2021-06-15 10:00:00+08' as event_at) "
        f"to '{folder / 'a.parquet'}' (format parquet)"
    )
    result = load(conn, tmp_path, "follows")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (1, 1, 0)
    assert conn.execute("select event_id, streamer_id from raw.follows").fetchone() == ("e1", "s1")


def test_every_file_level_reason_code_is_documented() -> None:
    docs = (REPO_ROOT / "docs" / "landing.md").read_text()
    for code in (
        "nul_byte", "duplicate_column", "duplicate_key", "csv_malformed", "file_truncated",
        "<column>_zone_invalid", "<column>_out_of_window", "<column>_out_of_range",
    ):  # fmt: skip
        assert f"`{code}`" in docs, code
