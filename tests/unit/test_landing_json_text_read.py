"""JSON Lines read with text columns as text (`formats.read_as_text`) load exactly as the exact
read, which takes every JSON value apart: the same raw rows, rejects (file, row, reason, masked
raw record) and audit, for hostile values too. A file the screen cannot vouch for (a text column
given a number, true, NaN, an object; an escaped key; an unfinished line) is read the exact way.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest
from helpers import (
    EXACT_READS_ONLY,
    PERSONAL_ORDER,
    jsonl_order,
    orders_loaded_with,
    partition_dir,
    screen_noting,
)

from orchestration.landing import formats
from orchestration.landing.contract import SOURCES

GOOD = jsonl_order(PERSONAL_ORDER)


def line(**override: object) -> str:
    return json.dumps({**GOOD, **override}, ensure_ascii=False)


# Lines whose text columns hold only strings and nulls (the text read applies), with hostile
# values everywhere else and strings that look like what the screen looks for.
PROVEN = [
    line(order_id="t1"),
    line(order_id="t2", quantity=2, item_amount=110, discount_amount=10.5, paid_amount="100"),
    line(order_id="t3", quantity=0),  # below the minimum: rejected, personal data masked
    line(order_id="t4", quantity={"n": 1}, paid_amount=[1]),  # nested numbers: nested_value
    line(order_id="t5", quantity=True, refund_amount=1e-7),
    line(order_id="t6", paid_amount=1e16, item_amount=12345678901234567890),
    line(order_id="t7", category='{"a": 1}', shop_id="[1, 2]", buyer_id="null"),
    line(order_id="t8", category="a\u0000b"),  # a NUL character: nul_byte
    line(order_id="t9", category='q"uo\\te/sl\n\té😀 \u2028', session_id=""),
    line(order_id="t10", created_at="2021-06-15T20:00:00+25:00"),  # zone_invalid
    line(order_id="t11", status="Paid", entry_point=None),  # not allowed, missing
    line(order_id="t12", receiver_phone=None, receiver_address=""),
    "",  # a blank line is no record
    json.dumps({"order_id": "t13", "extra": [1], "Note": {"a": 1}}),  # missing keys, extras
    line(order_id="t14", note='\\u0041 "order_id": 5'),
    line(order_id=" 7 ", streamer_id="007", paid_at="  "),
    "  " + line(order_id="t15") + " \t",
    line(order_id="t16", paid_amount=float("nan"), quantity=float("inf")),
]

# One line each that keeps a file off the text read.
UNPROVEN = {
    "number": line(order_id=7),
    "double": line(order_id=1e16),
    "exponent": line(buyer_id=1e-7),
    "true": line(shop_id=True),
    "false": line(category=False),
    "nan": line(streamer_id=float("nan")),
    "lower_nan": line(order_id="x")[:-1] + ', "session_id": nan}',
    "infinity": line(product_id=float("inf")),
    "object": line(category={"a": "b"}),
    "array": line(status=["paid"]),
    "empty_array": line(created_at=[]),
    "escaped_key": json.dumps({k: v for k, v in GOOD.items() if k != "order_id"})[:-1]
    + ', "order\\u005fid": 5}',
    "escaped_text_key": json.dumps({**GOOD, "status": None}, ensure_ascii=False)[:-1]
    + ', "st\\u0061tus": "paid"}',
    "carriage_return": line(order_id="x")[:-1] + ', "streamer_id"\r: 7}',
    "spaced": line(order_id="x").replace('"order_id": "x"', '"order_id" :  7'),
    "nested_extra": line(order_id="x", extra={"status": 5}),
}


def load_both(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, list[tuple]], dict[str, list[tuple]], int]:
    """(warehouse loaded with the text read but no typed read, loaded with the exact read only,
    files the screen let onto the text read). `test_landing_json_typed_read.py` compares the
    typed read."""
    verdicts: dict[str, tuple[object, ...]] = {}
    as_text = orders_loaded_with(
        landing,
        tmp_path / "text.duckdb",
        monkeypatch,
        read_typed=formats.read_as_text,
        screen_json_lines=screen_noting(verdicts),
    )
    exact = orders_loaded_with(landing, tmp_path / "exact.duckdb", monkeypatch, **EXACT_READS_ONLY)
    return as_text, exact, sum(key[-1] == "text" for key in verdicts.values())


def test_text_read_equals_the_exact_read(tmp_path: Path, monkeypatch) -> None:
    landing = tmp_path / "landing"
    folder = partition_dir(landing, "orders")
    text = "\n".join(PROVEN) + "\n"
    (folder / "a.jsonl").write_text(text, encoding="utf-8")
    (folder / "b.jsonl.gz").write_bytes(gzip.compress(text.replace('"t', '"g').encode()))
    (folder / "c.jsonl").write_text(text.replace('"t', '"c'), encoding="utf-8")
    as_text, exact, made = load_both(landing, tmp_path, monkeypatch)
    assert made == 3  # every file was read as text
    assert as_text == exact
    codes = {row[4] for row in exact["rejected"]}
    assert {"quantity_below_minimum", "nested_value", "nul_byte", "created_at_zone_invalid",
            "status_not_allowed", "quantity_invalid"} <= codes  # fmt: skip
    for row in exact["rejected"]:
        assert PERSONAL_ORDER["receiver_phone"] not in (row[6] or "")
        assert PERSONAL_ORDER["receiver_address"] not in (row[6] or "")
    assert exact["audit"][0][3:6] == (3 * (len(PROVEN) - 1), len(exact["raw"]),
                                      len(exact["rejected"]))  # fmt: skip


@pytest.mark.parametrize("case", sorted(UNPROVEN))
def test_a_line_the_screen_cannot_vouch_for_is_read_the_exact_way(
    case: str, tmp_path: Path, monkeypatch
) -> None:
    landing = tmp_path / "landing"
    folder = partition_dir(landing, "orders")
    hostile = [PROVEN[0], UNPROVEN[case], PROVEN[2]]
    (folder / "a.jsonl").write_text("\n".join(hostile) + "\n", encoding="utf-8")
    (folder / "b.jsonl").write_text("\n".join(PROVEN[:4]) + "\n", encoding="utf-8")
    with duckdb.connect() as conn:
        found = formats.screen_lines(conn, SOURCES["orders"], [folder / "b.jsonl"])
        assert found[str(folder / "b.jsonl")].keys == set()
        assert found[str(folder / "b.jsonl")].unproven is False
        try:
            found = formats.screen_lines(conn, SOURCES["orders"], [folder / "a.jsonl"])
            assert found[str(folder / "a.jsonl")].unproven is True
        except duckdb.Error:
            assert case == "carriage_return"  # not lines at all: the cold path reads it
    as_text, exact, made = load_both(landing, tmp_path, monkeypatch)
    assert made == 1  # b.jsonl only
    assert as_text == exact


def test_a_text_read_duckdb_refuses_falls_back_to_the_exact_paths(
    tmp_path: Path, monkeypatch
) -> None:
    """A key given twice in the same case, a broken line: DuckDB refuses the file, which then
    loads as it always did (the cold path), together with a good file."""
    landing = tmp_path / "landing"
    folder = partition_dir(landing, "orders")
    twice = line(order_id="d1")[:-1] + ', "order_id": "d2"}'
    (folder / "a.jsonl").write_text("\n".join([PROVEN[0], twice, PROVEN[1]]) + "\n")
    (folder / "b.jsonl").write_text("\n".join([PROVEN[3], '{"order_id": "x"']) + "\n")
    (folder / "c.jsonl").write_text("\n".join(PROVEN[:3]) + "\n")
    as_text, exact, made = load_both(landing, tmp_path, monkeypatch)
    assert made == 2  # the unfinished line keeps b.jsonl off the text read
    assert as_text == exact
    codes = {row[4] for row in exact["rejected"]}
    assert {"duplicate_key", "json_invalid"} <= codes


def test_the_screen_still_finds_keys_in_another_case(tmp_path: Path) -> None:
    folder = partition_dir(tmp_path, "orders")
    (folder / "a.jsonl").write_text(line(order_id="u")[:-1] + ', "Paid_Amount": "1"}\n')
    with duckdb.connect() as conn:
        found = formats.screen_lines(conn, SOURCES["orders"], [folder / "a.jsonl"])
    screened = formats.Screened({"Paid_Amount"}, False, False, False)
    assert found == {str(folder / "a.jsonl"): screened}
