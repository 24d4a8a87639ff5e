"""JSON Lines read with typed columns (`formats.read_typed`) load exactly as the exact read,
which takes every JSON value apart: the same raw rows, rejects (file, row, reason, masked raw
record) and audit, for hostile values within the typed shapes too. A file with one integer,
amount or timestamp outside those shapes (`formats.untyped_line`) is read the text way, and a
file DuckDB refuses to read typed is read the text way, then the exact way, then by the cold
path.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from helpers import (
    ADDRESS,
    EXACT_READS_ONLY,
    PERSONAL_ORDER,
    PHONE,
    jsonl_order,
    orders_loaded_with,
    partition_dir,
    screen_noting,
)

from orchestration.landing import formats
from orchestration.landing.contract import SOURCES

GOOD = jsonl_order(PERSONAL_ORDER)
ORDERS = SOURCES["orders"]


def line(**override: object) -> str:
    return json.dumps({**GOOD, **override}, ensure_ascii=False)


def spliced(raw: str, without: str = "", **override: object) -> str:
    """A line with `raw` JSON text (what json.dumps cannot write) as its last member instead of
    key `without`."""
    record = {key: value for key, value in {**GOOD, **override}.items() if key != without}
    return json.dumps(record, ensure_ascii=False)[:-1] + ", " + raw + "}"


# Lines whose integers, amounts and timestamps all have the typed shapes (as numbers or as
# strings), with hostile values and rule breaks everywhere the shapes allow.
TYPED = [
    line(order_id="y1"),  # amounts and quantity as strings
    line(order_id="y2", quantity=2, item_amount=110, discount_amount=10.5, paid_amount=99.5),
    line(order_id="y3", quantity=0),  # below the minimum: rejected, personal data masked
    line(order_id="y4", item_amount=-1, refund_amount=-0.0),
    line(order_id="y31", quantity=-3),
    line(order_id="y5", quantity=123456789012345678, refund_amount="0.00"),
    line(order_id="y6", item_amount=999999999999.99),  # above the bound
    line(order_id="y7", item_amount="10000000.01", discount_amount="0.1"),
    line(order_id="y8", item_amount=10000000, discount_amount=10000000, paid_amount=0.01),
    line(order_id="y9", discount_amount=200),  # discount_exceeds_item
    line(order_id="y10", refund_amount=None, paid_amount=None, status="created", paid_at=None),
    line(order_id="y11", paid_at=None),  # paid_at_missing
    line(order_id="y12", refund_amount=150),  # refund_exceeds_paid
    line(
        order_id="y13",
        created_at="2021-06-15 20:00:00Z",
        paid_at="2021-06-15T12:01:00.123456Z",
        updated_at="2021-06-15T20:01:00+0800",
    ),
    line(
        order_id="y14", created_at="2021-06-15T20:00:00-03:30", updated_at="2021-06-16T09:00:00-03"
    ),
    line(order_id="y15", updated_at="2021-06-15T19:00:00+08:00"),  # updated_before_created
    line(order_id="y16", created_at="1969-12-31T23:59:59+00:00"),  # out of range
    line(order_id="y17", created_at="2021-06-18T00:00:00+13:59"),  # out of the window
    line(order_id="y18", created_at="2020-06-13T00:00:00+08"),  # too long before dt
    line(
        order_id="y19",
        paid_at="2021-06-15T20:01:00.5+00:00",
        updated_at="2021-06-15T13:00:00.000001-00:00",
    ),
    line(order_id="y20", status="Paid", entry_point=None),  # not allowed, missing
    line(order_id="y21", category="a\u0000b"),  # a NUL character: nul_byte
    line(order_id="y22", category='q"uo\\te/sl\n\té😀 \u2028', session_id=""),
    line(order_id="", buyer_id="null", shop_id='{"a": 1}'),  # missing order_id
    line(order_id="y24", receiver_phone=None, receiver_address=""),
    "",  # a blank line is no record
    json.dumps({"order_id": "y25", "extra": [1, {"a": "b"}], "Note": {"x": None}}),  # missing
    "  " + line(order_id="y26", quantity=7) + " \t",
    line(order_id="y27", quantity=None, item_amount=None),  # missing
    line(order_id="y28", created_at=None),  # missing
    line(order_id="y29", quantity="42", item_amount="007.50"),
    spliced('"tags": {"a": [1, 2]}', order_id="y30"),
]


# One line each that keeps a file off the typed read (but not off the text read).
UNTYPED = {
    "int_fraction": line(quantity=1.0),
    "int_exponent": spliced('"quantity": 1e2', "quantity"),
    "int_19_digits": line(quantity=1234567890123456789),
    "int_beyond_bigint": line(quantity=12345678901234567890),
    "int_plus": line(quantity="+1"),
    "int_leading_space": line(quantity=" 1"),
    "int_trailing_space": line(quantity="1 "),
    "int_empty": line(quantity=""),
    "int_true": line(quantity=True),
    "int_array": line(quantity=[1]),
    "int_nan": spliced('"quantity": NaN', "quantity"),
    "int_lower_nan": spliced('"quantity": nan', "quantity"),
    "money_lower_nan": spliced('"refund_amount": nan', "refund_amount"),
    "money_3_places": line(item_amount=1.005),
    "money_3_places_string": line(discount_amount="1.005"),
    "money_trailing_zeros": line(item_amount="1.500"),
    "money_exponent": spliced('"paid_amount": 1.5e2', "paid_amount"),
    "money_13_digits": line(item_amount=1234567890123),
    "money_dot_only": line(item_amount="1."),
    "money_leading_dot": line(item_amount=".5"),
    "money_object": line(refund_amount={"v": 1}),
    "money_false": line(refund_amount=False),
    "money_infinity": line(item_amount=float("inf")),
    "ts_naive": line(created_at="2021-06-15T20:00:00"),
    "ts_naive_paid_at": line(paid_at="2021-06-15 20:01:00"),
    "ts_no_seconds": line(created_at="2021-06-15T20:00+08:00"),
    "ts_date_only": line(updated_at="2021-06-15"),
    "ts_utc_word": line(created_at="2021-06-15T12:00:00 UTC"),
    "ts_space_before_offset": line(created_at="2021-06-15T20:00:00 +08:00"),
    "ts_offset_14": line(created_at="2021-06-15T20:00:00+14:00"),
    "ts_offset_15": line(created_at="2021-06-15T20:00:00+15:00"),
    "ts_offset_25": line(created_at="2021-06-15T20:00:00+25:00"),
    "ts_offset_minutes_60": line(created_at="2021-06-15T20:00:00+08:60"),
    "ts_lower_t": line(created_at="2021-06-15t20:00:00+08:00"),
    "ts_lower_z": line(created_at="2021-06-15T12:00:00z"),
    "ts_fraction_7": line(created_at="2021-06-15T20:00:00.1234567+08:00"),
    "ts_zone_name": line(created_at="2021-06-15T20:00:00 Asia/Shanghai"),
    "ts_cst": line(created_at="2021-06-15T20:00:00 CST"),
    "ts_escaped": line(created_at="x").replace('"x"', '"2021-06-15T20:00:00\\u002b08:00"'),
    "ts_leading_space": line(created_at=" 2021-06-15T20:00:00+08:00"),
    "ts_trailing_space": line(created_at="2021-06-15T20:00:00+08:00 "),
    "ts_slashes": line(created_at="2021/06/15 20:00:00+08:00"),
    "ts_short_year": line(created_at="21-06-15T20:00:00+08:00"),
    "ts_empty": line(paid_at=""),
}


def load_both(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, list[tuple]], dict[str, list[tuple]], int]:
    """(warehouse loaded as ingestion does, loaded with the exact read only, files read typed:
    those the screen let onto the typed read less those DuckDB refused to read so)."""
    verdicts: dict[str, tuple[object, ...]] = {}
    refused: set[str] = set()
    typed_read = formats.read_typed

    def noting_refusals(read):
        typed = typed_read(read)

        def refuse(ctx, error):
            refused.add(ctx.relative)
            return typed.cold(ctx, error)

        return replace(typed, cold=refuse)

    typed = orders_loaded_with(
        landing,
        tmp_path / "typed.duckdb",
        monkeypatch,
        read_typed=noting_refusals,
        screen_json_lines=screen_noting(verdicts),
    )
    exact = orders_loaded_with(landing, tmp_path / "exact.duckdb", monkeypatch, **EXACT_READS_ONLY)
    return typed, exact, len({f for f, key in verdicts.items() if key[-1] == "typed"} - refused)


def test_typed_read_equals_the_exact_read(tmp_path: Path, monkeypatch) -> None:
    landing = tmp_path / "landing"
    folder = partition_dir(landing, "orders")
    text = "\n".join(TYPED) + "\n"
    (folder / "a.jsonl").write_text(text, encoding="utf-8")
    (folder / "b.jsonl.gz").write_bytes(gzip.compress(text.replace('"y', '"g').encode()))
    crlf = text.replace('"y', '"c').replace("\n", "\r\n")
    (folder / "c.jsonl").write_bytes(crlf.encode())
    typed, exact, made = load_both(landing, tmp_path, monkeypatch)
    assert made == 3  # every file was read typed
    assert typed == exact
    codes = {row[4] for row in exact["rejected"]}
    assert {
        "quantity_below_minimum", "item_amount_below_minimum", "item_amount_out_of_range",
        "discount_exceeds_item", "refund_exceeds_paid", "paid_at_missing",
        "updated_before_created", "created_at_out_of_range", "created_at_out_of_window",
        "status_not_allowed", "nul_byte", "order_id_missing", "quantity_missing",
        "created_at_missing",
    } <= codes  # fmt: skip
    assert len(exact["raw"]) >= 3 * 8
    for row in exact["rejected"]:
        assert PHONE not in (row[6] or "") and ADDRESS not in (row[6] or "")
    assert exact["audit"][0][3:6] == (3 * (len(TYPED) - 1), len(exact["raw"]),
                                      len(exact["rejected"]))  # fmt: skip


def test_the_typed_read_made_beside_the_screen_is_the_one_kept(tmp_path: Path, monkeypatch) -> None:
    """In a staged chunk (this one has rejected rows), the files the screen clears for the
    typed read are staged once, by the read made while the screen ran; only a file it sends
    elsewhere is read again."""
    landing = tmp_path / "landing"
    folder = partition_dir(landing, "orders")
    (folder / "a.jsonl").write_text("\n".join(TYPED[:4]) + "\n")
    (folder / "b.jsonl").write_text("\n".join(TYPED[4:8]) + "\n")
    (folder / "c.jsonl").write_text("\n".join([TYPED[0], UNTYPED["ts_naive"]]) + "\n")
    reads: list[list[str]] = []
    read_together = formats.read_together

    def noted(group):
        reads.append(sorted(read.ctx.relative.rsplit("/", 1)[1] for read in group))
        return read_together(group)

    typed = orders_loaded_with(landing, tmp_path / "typed.duckdb", monkeypatch, read_together=noted)
    exact = orders_loaded_with(landing, tmp_path / "exact.duckdb", monkeypatch, **EXACT_READS_ONLY)
    assert reads == [["a.jsonl", "b.jsonl", "c.jsonl"], ["c.jsonl"]]
    assert typed == exact


@pytest.mark.parametrize("case", sorted(UNTYPED))
def test_a_value_outside_the_typed_shapes_keeps_the_file_off_the_typed_read(
    case: str, tmp_path: Path, monkeypatch
) -> None:
    landing = tmp_path / "landing"
    folder = partition_dir(landing, "orders")
    (folder / "a.jsonl").write_text("\n".join([TYPED[0], UNTYPED[case], TYPED[2]]) + "\n")
    (folder / "b.jsonl").write_text("\n".join(TYPED[:4]) + "\n")
    with duckdb.connect() as conn:
        found = formats.screen_lines(conn, ORDERS, [folder / "a.jsonl", folder / "b.jsonl"])
    assert found[str(folder / "a.jsonl")] == formats.Screened(set(), False, True, False)
    assert found[str(folder / "b.jsonl")] == formats.Screened(set(), False, False, False)
    typed, exact, made = load_both(landing, tmp_path, monkeypatch)
    assert made == 1  # b.jsonl only
    assert typed == exact


def test_a_typed_read_duckdb_refuses_falls_back_to_the_text_read(
    tmp_path: Path, monkeypatch
) -> None:
    """An impossible date or an integer with leading zeros in the typed shape, a key given
    twice, a broken line: DuckDB refuses to read the file typed; it then loads as it always
    did, together with a good file."""
    landing = tmp_path / "landing"
    folder = partition_dir(landing, "orders")
    impossible = line(order_id="d0", paid_at="2021-02-30T20:01:00+08:00")
    (folder / "a.jsonl").write_text("\n".join([TYPED[0], "", impossible, TYPED[2]]) + "\n")
    twice = line(order_id="d1")[:-1] + ', "order_id": "d2"}'
    (folder / "b.jsonl").write_text("\n".join([TYPED[1], twice, TYPED[3]]) + "\n")
    (folder / "c.jsonl").write_text("\n".join([TYPED[4], '{"order_id": "x"', TYPED[5]]) + "\n")
    (folder / "d.jsonl").write_text("\n".join(TYPED[:6]) + "\n")
    zeros = line(order_id="d3", quantity="000000000000000042")  # DuckDB casts no leading zero
    (folder / "e.jsonl").write_text("\n".join([TYPED[6], zeros]) + "\n")
    typed, exact, made = load_both(landing, tmp_path, monkeypatch)
    assert made == 1  # d.jsonl; c.jsonl's unfinished line keeps it off the text read
    assert typed == exact
    codes = {(row[2].rsplit("/", 1)[1], row[3], row[4]) for row in exact["rejected"]}
    # The hot path numbers records: the blank line is none.
    assert any(row[:2] == ("a.jsonl", 2) and row[2].startswith("paid_at_") for row in codes)
    assert {"duplicate_key", "json_invalid"} <= {code for _, _, code in codes}


# The property the typed read rests on: a value the screen lets through has the typed shape.
SHAPES = {
    "quantity": formats.TYPED_INTEGER,
    "item_amount": formats.TYPED_MONEY,
    "created_at": formats.TYPED_TIMESTAMP,
}
SEEDS = {
    "quantity": ["0", "-7", "123456789012345678", '"42"', "null"],
    "item_amount": ["0", "-0.5", "110.00", "999999999999.99", '"12.3"', "null"],
    "created_at": ['"2021-06-15T20:00:00+08:00"', '"2021-06-15 20:00:00.123456Z"',
                   '"2021-06-15T20:00:00-0330"', '"2021-06-15T20:00:00+13"', "null"],
}  # fmt: skip
ALPHABET = '0123456789-+.eE:TZtz "n\\/,}{[]aul'


def mutants(seed: str, rng: random.Random, count: int) -> list[str]:
    """`seed` with one to three characters inserted, deleted or replaced, `count` times."""
    made = []
    for _ in range(count):
        text = seed
        for _ in range(rng.randint(1, 3)):
            at = rng.randint(0, len(text))
            change = rng.choice(("insert", "delete", "replace"))
            new = rng.choice(ALPHABET)
            if change == "insert":
                text = text[:at] + new + text[at:]
            elif change == "delete":
                text = text[:at] + text[at + 1 :]
            else:
                text = text[:at] + new + text[at + 1 :]
        made.append(text)
    return made


@pytest.mark.parametrize("key", sorted(SHAPES))
def test_the_screen_lets_through_only_values_of_the_typed_shapes(key: str) -> None:
    """Seeds of the shape and random edits of them, each as the value of `key` in a line:
    every line the screen lets through (and that is JSON at all) holds a value of the shape."""
    rng = random.Random(7)
    values = SEEDS[key] + [value for seed in SEEDS[key] for value in mutants(seed, rng, 400)]
    spacing = [": ", ":", " :  ", ":\t"]
    lines = [
        f'{{"order_id": "x", "{key}"{spacing[n % 4]}{value}, "status": "paid"}}'
        for n, value in enumerate(values)
    ]
    pattern = "|".join((formats.unproven_line(ORDERS), formats.untyped_line(ORDERS)))
    with duckdb.connect() as conn:
        (flagged,) = conn.execute(
            "SELECT list_transform(?::VARCHAR[], lambda l: regexp_matches(l, ?))", [lines, pattern]
        ).fetchone()
    assert not any(flagged[: len(SEEDS[key])])  # the seeds themselves go the typed way
    passed = 0
    for value, text, hit in zip(values, lines, flagged, strict=True):
        if hit:
            continue
        try:
            json.loads(text)
        except ValueError:
            continue  # not JSON: DuckDB refuses the file, which then goes the exact way
        written = value.strip()
        inner = written[1:-1] if written.startswith('"') else written
        assert written == "null" or re.fullmatch(SHAPES[key], inner), (key, value)
        if key == "created_at":
            assert written == "null" or written.startswith('"'), (key, value)
        passed += 1
    assert passed > 2 * len(SEEDS[key])  # edits that keep the shape are let through too


def test_the_screen_finds_every_line_with_a_key_to_normalise() -> None:
    """The screen looks for KEY_TO_NORMALISE_END, a cheaper pattern: it matches every line
    KEY_TO_NORMALISE does (random keys and values, in and out of the contract)."""
    rng = random.Random(11)
    alphabet = ["a", "z", "_", "0", "A", "Z", " ", "\t", "-", "é", "订", "\\u004f", '\\"', ":", "{"]
    names = [*ORDERS.column_names, "note", "x"]
    lines = []
    for _ in range(3000):
        members = []
        for _ in range(rng.randint(1, 4)):
            name = rng.choice(names)
            for _ in range(rng.randint(0, 2)):
                at = rng.randint(0, len(name))
                name = name[:at] + rng.choice(alphabet) + name[at:]
            value = rng.choice(['"v"', "1", '"a\\": b"', "null", '"Order_ID"'])
            members.append(f'"{name}"{rng.choice([":", " : ", ":  "])}{value}')
        lines.append("{" + ", ".join(members) + "}")
    with duckdb.connect() as conn:
        (found,) = conn.execute(
            "SELECT list_transform(?::VARCHAR[], lambda l: "
            "[regexp_matches(l, ?), regexp_matches(l, ?)])",
            [lines, formats.KEY_TO_NORMALISE, formats.KEY_TO_NORMALISE_END],
        ).fetchone()
    assert sum(full for full, _ in found) > 1000
    assert all(end for full, end in found if full)


def test_the_screen_has_a_thread_of_its_own_and_the_warehouse_memory_limit(tmp_path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        conn.execute("SET memory_limit = '256MiB'")
        conn.execute("SET threads = 2")
        with formats.screen_connection(conn) as screen:
            settings = screen.execute(
                "SELECT current_setting('threads'), current_setting('memory_limit'), "
                "current_setting('temp_directory')"
            ).fetchone()
    assert settings == (1, "256.0 MiB", "")  # never spills
