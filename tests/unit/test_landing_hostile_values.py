"""The landing contract under hostile input (issue 11), value by value: column names, money and
timestamps. Nothing lost, nothing silent.

Every test states the exact accounting of each file it writes: rows loaded, rows rejected and
the reject reasons, with read = loaded + rejected for the partition. The files themselves (CSV
dialect, encodings, empty and truncated files, personal data) are in test_landing_hostile_files.py.
"""

from __future__ import annotations

import codecs
import gzip
import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import (
    PERSONAL_ORDER,
    VALID_FOLLOW,
    accounting,
    csv_text,
    jsonl_text,
    load_counts,
    load_csv,
    partition_dir,
    personal_orders,
    rejects,
)

from orchestration.landing.contract import MAX_AMOUNT_INVOLVED, MAX_ORDER_AMOUNT

# ---------------------------------------------------------------------------------------------
# Column names: case-insensitive, never dropped; byte-order marks; duplicates


def test_mixed_and_upper_case_names_load_every_column(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "orders")
    row = {**PERSONAL_ORDER, "refund_amount": "5.00"}
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
    assert load_counts(conn, tmp_path, "orders") == (4, 4, 0)
    # Each file loads its one row.
    assert accounting(conn, "orders") == {
        name: (1, 0, {}) for name in ("mixed.csv", "upper.csv", "keys.jsonl", "schema.parquet")
    }
    # The 5.00 refund and the streamer survive in every file.
    assert conn.execute(
        "select list(distinct refund_amount), list(distinct streamer_id) from raw.orders"
    ).fetchone() == ([Decimal("5.00")], ["s1"])


# JSON keys that name a contract column only once normalised (any case, surrounding spaces
# ignored), written so that their plain text hides it: DuckDB reads keys as spelled.
KEYS_TO_NORMALISE = {
    "escaped_other_case": "\\u0053treamer_id",  # Streamer_id
    "escaped_and_spaced": "STREAMER_I\\u0044 ",
    "leading_space": " streamer_id",
    "escaped_tab": "\\tstreamer_id",
    "raw_tab": "\tstreamer_id",
    "ideographic_space": "\u3000streamer_id",
}


@pytest.mark.parametrize("case", sorted(KEYS_TO_NORMALISE))
def test_a_json_key_that_names_a_column_once_normalised_loads_its_value(
    conn, tmp_path, case: str
) -> None:
    """The key names streamer_id as a header would (issue 10: the hot path lost the value, and
    with order_id the row was rejected as missing it)."""
    folder = partition_dir(tmp_path, "orders")
    record = json.dumps({k: v for k, v in PERSONAL_ORDER.items() if k != "streamer_id"})
    key = KEYS_TO_NORMALISE[case]
    (folder / "a.jsonl").write_text(record[:-1] + f', "{key}": "s9"}}\n', encoding="utf-8")
    (folder / "b.jsonl").write_text(jsonl_text([{**PERSONAL_ORDER, "order_id": "b"}]))
    assert load_counts(conn, tmp_path, "orders") == (2, 2, 0)
    assert conn.execute("select order_id, streamer_id from raw.orders order by 1").fetchall() == [
        (PERSONAL_ORDER["order_id"], "s9"),
        ("b", PERSONAL_ORDER["streamer_id"]),
    ]


def test_byte_order_mark_is_stripped_for_every_text_format(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "follows")
    records = [{**VALID_FOLLOW, "event_id": f"e{i}"} for i in range(1, 4)]
    bom = codecs.BOM_UTF8
    (folder / "a.jsonl").write_bytes(bom + jsonl_text(records[:2]).encode())
    (folder / "b.jsonl.gz").write_bytes(gzip.compress(bom + jsonl_text(records[2:]).encode()))
    (folder / "c.csv").write_bytes(bom + csv_text([{**VALID_FOLLOW, "event_id": "c"}]).encode())
    csv_gz = bom + csv_text([{**VALID_FOLLOW, "event_id": "d"}]).encode()
    (folder / "d.csv.gz").write_bytes(gzip.compress(csv_gz))
    assert load_counts(conn, tmp_path, "follows") == (5, 5, 0)
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
    header = [*PERSONAL_ORDER, "Refund_Amount"]
    rows = [{**r, "extra": "5.00"} for r in personal_orders(3)]
    (folder / "dup.csv").write_text(csv_text(rows, header=header))
    names = [*PERSONAL_ORDER, "ORDER_ID"]  # DuckDB would rename the second; pyarrow keeps it
    table = pa.table([pa.array([v]) for v in [*PERSONAL_ORDER.values(), "x"]], names=names)
    pq.write_table(table, folder / "dup.parquet")
    good = {**PERSONAL_ORDER, "order_id": "j1"}
    lines = [
        json.dumps(good, ensure_ascii=False),
        # the same key twice, and a key twice in different case
        json.dumps(good, ensure_ascii=False)[:-1] + ', "paid_amount": "0.00"}',
        json.dumps(good, ensure_ascii=False)[:-1] + ', "Receiver_Phone": "13900000000"}',
    ]
    (folder / "dup.jsonl").write_text("\n".join(lines) + "\n")
    assert load_counts(conn, tmp_path, "orders") == (7, 1, 6)
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
    (folder / "a.csv").write_text(
        csv_text([PERSONAL_ORDER, {**PERSONAL_ORDER, "paid_amount": value}])
    )
    as_number = {**PERSONAL_ORDER, "order_id": "n", "paid_amount": float(value)}
    as_string = {**PERSONAL_ORDER, "order_id": "s", "paid_amount": value}
    (folder / "b.jsonl").write_text(jsonl_text([as_number, as_string]))
    assert load_counts(conn, tmp_path, "orders") == (4, 1, 3)
    assert accounting(conn, "orders") == {
        "a.csv": (1, 1, {"paid_amount_invalid": 1}),
        "b.jsonl": (0, 2, {"paid_amount_invalid": 2}),
    }


# Amounts written as JSON numbers with more digits than a double keeps (15): read as a double
# they would round to two places. Each is loaded alone, and beside a key that sends the file to
# the cold path anyway.
LONG_JSON_AMOUNTS = {
    "10.0000000000000000001": None,  # more than two places: a reject
    "9.999999999999999999999": None,
    "1.00000000000000000001e1": None,
    "100000000000000000001e-19": None,  # 10.0000000000000000001
    "-0.0000000000000000001": None,
    "10.00000000000000000000": "10.00",  # two places once its zeros are dropped
    "99.9900000000000000": "99.99",  # 18 digits, two places
}


@pytest.mark.parametrize("cold", [False, True], ids=["alone", "beside_a_cold_key"])
@pytest.mark.parametrize("spelling", sorted(LONG_JSON_AMOUNTS))
def test_a_long_json_number_amount_is_judged_by_its_spelling(
    conn, tmp_path, spelling: str, cold: bool
) -> None:
    """Never rounded: `9.999999999999999999999` was loaded as 10.00 by every JSON path."""
    folder = partition_dir(tmp_path, "orders")
    line = json.dumps({**PERSONAL_ORDER, "paid_amount": 123456}).replace("123456", spelling)
    other = {**PERSONAL_ORDER, "order_id": "other"}
    others = [json.dumps({"Order_ID ": "x"}), json.dumps(other)] if cold else [json.dumps(other)]
    (folder / "a.jsonl").write_text("\n".join([line, *others]) + "\n", encoding="utf-8")
    expected = LONG_JSON_AMOUNTS[spelling]
    rejects = {"paid_amount_invalid": 1} if expected is None else {}
    if cold:
        rejects["buyer_id_missing"] = 1
    read = 3 if cold else 2
    loaded = 1 if expected is None else 2
    assert load_counts(conn, tmp_path, "orders") == (read, loaded, read - loaded)
    assert accounting(conn, "orders") == {"a.jsonl": (loaded, read - loaded, rejects)}
    paid = conn.execute(
        "select paid_amount from raw.orders where order_id = ?", [PERSONAL_ORDER["order_id"]]
    ).fetchall()
    assert [str(v) for (v,) in paid] == ([] if expected is None else [expected])


def test_two_decimals_in_any_spelling_are_accepted(conn, tmp_path) -> None:
    values = ["10.5", "10.50", "10.5000", "1.5e1", " 7 ", "+3.10"]
    rows = [{**PERSONAL_ORDER, "order_id": f"o{i}", "paid_amount": v} for i, v in enumerate(values)]
    assert load_csv(conn, tmp_path, "orders", rows) == (6, 6, 0)
    paid = conn.execute("select list(paid_amount order by order_id) from raw.orders").fetchone()
    assert [str(v) for v in paid[0]] == ["10.50", "10.50", "10.50", "15.00", "7.00", "3.10"]


def test_parquet_doubles_and_decimals(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "orders")
    base = ", ".join(
        f"'{v}' as {k}" for k, v in PERSONAL_ORDER.items() if k not in ("order_id", "paid_amount")
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
    assert load_counts(conn, tmp_path, "orders") == (9, 5, 4)
    assert accounting(conn, "orders") == {
        "double.parquet": (3, 3, {"paid_amount_invalid": 3}),
        "decimal.parquet": (2, 1, {"paid_amount_invalid": 1}),
    }
    paid = conn.execute("select order_id, paid_amount::varchar from raw.orders").fetchall()
    assert dict(paid) == {
        "noise": "0.30", "cent": "99.99", "big": "9999999.99", "ok": "10.50", "fine": "3.00",
    }  # fmt: skip


def test_natively_typed_parquet_gets_the_verdicts_of_the_same_values_as_text(
    conn, tmp_path
) -> None:
    """Parquet integers, two-place decimals and timestamps skip the text round trip; the rows
    that load, their values and each reject's reason must be those of the same values in CSV."""
    big = f"{MAX_ORDER_AMOUNT}.01"
    cases = [  # (order_id, quantity, paid_amount, discount_amount, refund_amount, paid_at)
        ("ok", "2", "100.00", "10.00", None, "2021-06-15 20:01:00+08"),
        ("zero_quantity", "0", "100.00", "10.00", None, "2021-06-15 20:01:00+08"),
        ("negative_discount", "1", "100.00", "-1.00", None, "2021-06-15 20:01:00+08"),
        ("no_paid_amount", "1", None, "10.00", None, "2021-06-15 20:01:00+08"),
        ("above_bound", "1", big, "10.00", None, "2021-06-15 20:01:00+08"),
        ("refund_above_paid", "1", "100.00", "10.00", "100.1", "2021-06-15 20:01:00+08"),
        ("paid_in_the_future", "1", "100.00", "10.00", None, "2021-06-18 20:01:00+08"),
        ("paid_before_1970", "1", "100.00", "10.00", None, "1969-12-31 23:00:00+00"),
    ]
    base = {k: v for k, v in PERSONAL_ORDER.items() if k not in ("item_amount", "created_at")}
    rows = [
        {**base, "order_id": order_id, "quantity": quantity, "paid_amount": paid or "",
         "discount_amount": discount, "refund_amount": refund or "", "paid_at": paid_at,
         "item_amount": "110.00", "created_at": "2021-06-15T20:00:00+08:00",
         "updated_at": "2021-06-15T20:02:00+08:00"}
        for order_id, quantity, paid, discount, refund, paid_at in cases
    ]  # fmt: skip
    folder = partition_dir(tmp_path, "orders")
    (folder / "text.csv").write_text(csv_text(rows), encoding="utf-8")
    native = {
        "quantity": "INTEGER",
        "paid_amount": "DECIMAL(18,2)",
        "discount_amount": "DECIMAL(18,2)",
        "refund_amount": "DECIMAL(12,1)",
        "item_amount": "DECIMAL(18,2)",
        "paid_at": "TIMESTAMPTZ",
        "created_at": "TIMESTAMPTZ",
        "updated_at": "TIMESTAMPTZ",
    }
    columns = ", ".join(
        f"TRY_CAST(nullif({name}, '') AS {native[name]}) AS {name}" if name in native else name
        for name in rows[0]
    )
    conn.execute(
        f"COPY (SELECT {columns} FROM read_csv('{folder / 'text.csv'}', all_varchar = true)) "
        f"TO '{folder / 'typed.parquet'}' (FORMAT parquet)"
    )
    types = dict(
        conn.execute(f"DESCRIBE SELECT * FROM '{folder / 'typed.parquet'}'").fetchall()[i][:2]
        for i in range(len(rows[0]))
    )
    assert types["quantity"] == "INTEGER" and types["paid_at"].startswith("TIMESTAMP")
    load_counts(conn, tmp_path, "orders")
    by_file = conn.execute(
        "SELECT regexp_extract(_source_file, '[^/]+$'), list((order_id, quantity, paid_amount, "
        "discount_amount, refund_amount, paid_at) ORDER BY order_id) FROM raw.orders GROUP BY 1"
    ).fetchall()
    loaded = dict(by_file)
    assert loaded["typed.parquet"] == loaded["text.csv"]
    assert [row[0] for row in loaded["text.csv"]] == ["no_paid_amount", "ok"]
    verdicts = {
        name: [(row, code) for file, row, code in rejects(conn) if file == name]
        for name in ("text.csv", "typed.parquet")
    }
    assert verdicts["typed.parquet"] == verdicts["text.csv"]
    assert [code for _, code in verdicts["text.csv"]] == [
        "quantity_below_minimum",
        "discount_amount_below_minimum",
        "paid_amount_out_of_range",
        "refund_exceeds_paid",
        "paid_at_out_of_window",
        "paid_at_out_of_range",
    ]


def test_amounts_above_the_bound_are_rejected_so_sums_fit_the_marts(conn, tmp_path) -> None:
    # The bounds keep any realistic sum inside the marts' DECIMAL(18,2) (< 10^16).
    assert (10**9 - 1) * MAX_ORDER_AMOUNT < 10**16
    assert (10**6 - 1) * MAX_AMOUNT_INVOLVED < 10**16
    huge = "9999999999999999.99"
    rows = [
        *personal_orders(3),
        {**PERSONAL_ORDER, "order_id": "h1", "item_amount": huge, "paid_amount": huge},
        {**PERSONAL_ORDER, "order_id": "h2", "item_amount": "110.00", "paid_amount": huge},
        {**PERSONAL_ORDER, "order_id": "max", "item_amount": f"{MAX_ORDER_AMOUNT}.00",
         "paid_amount": f"{MAX_ORDER_AMOUNT}.00"},
        {**PERSONAL_ORDER, "order_id": "above", "item_amount": f"{MAX_ORDER_AMOUNT}.01"},
    ]  # fmt: skip
    assert load_csv(conn, tmp_path, "orders", rows) == (7, 4, 3)
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
    assert load_csv(conn, tmp_path, "enforcement_actions", [action, above]) == (2, 1, 1)
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
        # An impossible date or time before a good offset is no zone problem.
        ("2021-02-30T10:00:00+08:00", "event_at_invalid"),
        ("2021-06-15T24:30:00+08:00", "event_at_invalid"),
        ("2021-02-30 10:00:00 CST", "event_at_invalid"),
    ],
)
def test_bad_offsets_and_zone_names_are_rejected(conn, tmp_path, value, reason) -> None:
    rows = [VALID_FOLLOW, {**VALID_FOLLOW, "event_id": "e2", "event_at": value}]
    assert load_csv(conn, tmp_path, "follows", rows) == (2, 1, 1)
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
    assert load_csv(conn, tmp_path, "follows", rows) == (8, 8, 0)
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
    return {**PERSONAL_ORDER, "order_id": order_id, "created_at": when, "paid_at": when,
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
    assert load_csv(conn, tmp_path, "orders", rows) == (8, 3, 5)
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
    assert load_counts(conn, tmp_path, "follows") == (2, 1, 1)
    assert load_counts(conn, tmp_path, "streamers") == (1, 1, 0)
    assert rejects(conn) == [("a.csv", 2, "event_at_out_of_window")]
