"""A range of export dates loads exactly as its dates loaded one by one.

`load_partitions` reads the files of many dates with one statement per kind of file and falls
back to reading each file alone when that statement fails. Whatever the mix of good and hostile
files, the warehouse must end up the same, row for row: raw rows with their lineage, the
quarantine, and the load audit. A chunk whose files are all good is written straight into raw;
it must end up as staging would have written it, and any chunk the direct write cannot take
(a rejected row, a file DuckDB cannot read, a file the JSON screen sends elsewhere) is staged.
"""

from __future__ import annotations

import codecs
import gzip
import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers import (
    PERSONAL_ORDER,
    csv_text,
    jsonl_order,
    jsonl_text,
    truncated_gzip,
    warehouse_state,
)

from orchestration.landing import loader, validation
from orchestration.landing.loader import load_partition, load_partitions

FIRST = date(2021, 6, 14)
DATES = [FIRST + timedelta(days=offset) for offset in range(4)]


def orders(dt: date, prefix: str, n: int = 3, **override: str) -> list[dict[str, str]]:
    """`n` valid orders paid on `dt` (ids `<prefix>1..`), with `override` applied."""
    stamp = f"{dt.isoformat()}T20:00:00+08:00"
    return [
        {
            **PERSONAL_ORDER,
            "order_id": f"{prefix}{i}",
            "created_at": stamp,
            "paid_at": stamp,
            "updated_at": stamp,
            **override,
        }
        for i in range(1, n + 1)
    ]


def write(landing: Path, dt: date, name: str, data: str | bytes) -> None:
    folder = landing / "orders" / f"dt={dt.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)


def write_parquet(landing: Path, dt: date, name: str, rows: list[dict[str, str]], cast: str = ""):
    """Orders as Parquet written by DuckDB; `cast` retypes columns (`paid_amount::DOUBLE`)."""
    folder = landing / "orders" / f"dt={dt.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{name}.json"
    source.write_text(jsonl_text([jsonl_order(row) for row in rows]), encoding="utf-8")
    replace = f" REPLACE ({cast})" if cast else ""
    columns = ", ".join(f"'{column}': 'VARCHAR'" for column in rows[0])
    with duckdb.connect() as conn:
        conn.execute(
            f"COPY (SELECT *{replace} FROM read_json('{source}', format = 'newline_delimited', "
            f"columns = {{{columns}}})) TO '{folder / name}' (FORMAT parquet)"
        )
    source.unlink()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """Four export dates of orders in every format, with hostile files among good ones."""
    root = tmp_path / "landing"
    d0, d1, d2, d3 = DATES
    # Good files of every kind, on several dates, so that the range reads them together.
    for dt, tag in ((d0, "a"), (d1, "b"), (d3, "d")):
        write(root, dt, "part.csv", csv_text(orders(dt, f"{tag}c")))
        write(root, dt, "part.csv.gz", gzip.compress(csv_text(orders(dt, f"{tag}g")).encode()))
        rows = [jsonl_order(row) for row in orders(dt, f"{tag}j")]
        write(root, dt, "part.jsonl", jsonl_text(rows))
        write_parquet(root, dt, "part.parquet", orders(dt, f"{tag}p"))
    # Bad rows inside good files: rejected by validation, row numbers per file.
    write(root, d1, "bad-values.csv", csv_text(orders(d1, "bv", quantity="0", n=2)))
    # A header naming a contract column in another case, and one naming a column twice.
    header = [name.upper() if name == "buyer_id" else name for name in PERSONAL_ORDER]
    write(root, d0, "case.csv", csv_text(orders(d0, "cc"), header=header))
    write(root, d1, "case.csv", csv_text(orders(d1, "cd"), header=header))
    twice = ["ORDER_ID" if name == "category" else name for name in PERSONAL_ORDER]
    write(root, d3, "twice.csv", csv_text(orders(d3, "tw"), header=twice))
    # A malformed CSV row: this file's statement fails, and it takes the cold path.
    text = csv_text(orders(d1, "mc"))
    write(root, d1, "malformed.csv", text + "x,y\n")
    # A gzip stream cut short, on the date of good gzip files.
    cut, _ = truncated_gzip(csv_text(orders(d0, "tg", n=40)))
    write(root, d0, "cut.csv.gz", cut)
    # Not UTF-8, empty, and an unsupported type.
    write(root, d2, "gbk.csv", csv_text(orders(d2, "l1")).encode("gbk"))
    write(root, d2, "empty.csv", b"")
    write(root, d2, "notes.txt", "not a landing file\n")
    # JSON Lines: a key in another case (read by the cold path under its contract name), a
    # byte-order mark, a broken line.
    upper = [{**jsonl_order(row), "Paid_Amount": row["paid_amount"]} for row in orders(d3, "ju")]
    for row in upper:
        del row["paid_amount"]
    write(root, d3, "upper.jsonl", jsonl_text(upper))
    bom = codecs.BOM_UTF8 + jsonl_text([jsonl_order(r) for r in orders(d1, "jb")]).encode()
    write(root, d1, "bom.jsonl", bom)
    broken = jsonl_text([jsonl_order(r) for r in orders(d0, "jx")]) + '{"order_id": \n'
    write(root, d0, "broken.jsonl", broken)
    # Parquet: money as a double, an extra column, and a file that is not Parquet at all.
    write_parquet(
        root, d1, "double.parquet", orders(d1, "pd"), "paid_amount::DOUBLE AS paid_amount"
    )
    extra = [{**row, "note": "x"} for row in orders(d3, "px")]
    write_parquet(root, d3, "extra.parquet", extra)
    write(root, d2, "broken.parquet", b"PAR1 this is not parquet")
    return root


def one_by_one(landing: Path, database: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database)) as conn:
        for dt in DATES:
            load_partition(conn, landing, "orders", dt)
        return warehouse_state(conn)


def test_range_equals_dates_one_by_one(landing: Path, tmp_path: Path) -> None:
    expected = one_by_one(landing, tmp_path / "one_by_one.duckdb")
    with duckdb.connect(str(tmp_path / "range.duckdb")) as conn:
        results = load_partitions(conn, landing, "orders", DATES)
        assert warehouse_state(conn) == expected
        # Loading the range again replaces it: nothing doubles.
        again = load_partitions(conn, landing, "orders", reversed(DATES))
        assert warehouse_state(conn) == expected
    assert results == again
    assert [r.partition_dt for r in results] == DATES
    for result in results:
        assert result.rows_read == result.rows_loaded + result.rows_rejected
    # The fixture exercises what it means to: loads and rejects of several kinds on each date.
    reasons = {code for result in results for code in result.reject_reasons}
    assert {
        "quantity_below_minimum",
        "duplicate_column",
        "csv_malformed",
        "file_truncated",
        "file_unreadable",
    } <= reasons
    loaded = {row[0] for row in expected["raw"]}
    for tag in ("ac", "bg", "dj", "ap", "cc1", "cd1", "mc1", "jb1", "pd1", "px1", "jx1", "ju1"):
        assert any(order_id.startswith(tag) for order_id in loaded), tag


def test_range_in_small_chunks_equals_dates_one_by_one(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = one_by_one(landing, tmp_path / "one_by_one.duckdb")
    monkeypatch.setattr(loader, "CHUNK_BYTES", 1)  # every date is a chunk of its own
    seen: list[int] = []
    with duckdb.connect(str(tmp_path / "range.duckdb")) as conn:
        load_partitions(conn, landing, "orders", DATES, lambda done: seen.append(len(done)))
        assert warehouse_state(conn) == expected
    assert seen == [1, 2, 3, 4]


def test_one_scan_numbered_across_files_equals_a_scan_per_file(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files read together are numbered a scan per file, or, when they are many, by one scan
    less each file's first number (`validation.relation_sql`): the same rows either way."""
    expected = one_by_one(landing, tmp_path / "dates.duckdb")
    monkeypatch.setattr(validation, "SCANS_PER_FILE_UP_TO", 1)
    with duckdb.connect(str(tmp_path / "range.duckdb")) as conn:
        load_partitions(conn, landing, "orders", DATES)
        assert warehouse_state(conn) == expected


def test_personal_data_of_rejects_stays_masked_in_a_range(landing: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "range.duckdb")) as conn:
        load_partitions(conn, landing, "orders", DATES)
        records = [
            row[0]
            for row in conn.execute(
                "SELECT raw_record FROM raw.rejected_rows WHERE raw_record IS NOT NULL"
            ).fetchall()
        ]
    assert records
    for record in records:
        assert PERSONAL_ORDER["receiver_phone"] not in record
        assert PERSONAL_ORDER["receiver_address"] not in json.dumps(record, ensure_ascii=False)


@pytest.fixture
def clean_landing(tmp_path: Path) -> Path:
    """Three export dates of good orders in every format, and an empty file: a chunk whose
    files all read on the hot path, with every row accepted."""
    root = tmp_path / "clean"
    for dt, tag in zip(DATES[:3], "abc", strict=True):
        write(root, dt, "part.csv", csv_text(orders(dt, f"{tag}c")))
        write(root, dt, "part.csv.gz", gzip.compress(csv_text(orders(dt, f"{tag}g")).encode()))
        write(root, dt, "part.jsonl", jsonl_text([jsonl_order(r) for r in orders(dt, f"{tag}j")]))
        rows = [jsonl_order(row) for row in orders(dt, f"{tag}z")]
        write(root, dt, "part.jsonl.gz", gzip.compress(jsonl_text(rows).encode()))
        write_parquet(root, dt, "part.parquet", orders(dt, f"{tag}p"))
    write(root, DATES[1], "empty.jsonl", b"")
    return root


def loaded_twice(
    landing: Path, database: Path, monkeypatch: pytest.MonkeyPatch, staged_only: bool = False
) -> tuple[dict[str, list[tuple]], list[str]]:
    """(`warehouse_state` after loading the clean dates twice, the second load replacing the
    first; each load's tries: 'direct' and/or 'staged'). `staged_only` turns the direct write
    off."""
    tries: list[str] = []
    replace_partitions, write_clean = loader._replace_partitions, loader._write_clean

    def staging(*args):
        tries.append("staged")
        return replace_partitions(*args)

    def direct(*args):
        tries.append("direct")
        return None if staged_only else write_clean(*args)

    with monkeypatch.context() as patch:
        patch.setattr(loader, "_replace_partitions", staging)
        patch.setattr(loader, "_write_clean", direct)
        with duckdb.connect(str(database)) as conn:
            for _ in range(2):
                results = load_partitions(conn, landing, "orders", DATES[:3])
                for result in results:
                    assert result.rows_read == result.rows_loaded + result.rows_rejected
            return warehouse_state(conn), tries


def test_a_clean_chunk_goes_straight_to_raw_as_staging_would_have_written_it(
    clean_landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct, tries = loaded_twice(clean_landing, tmp_path / "direct.duckdb", monkeypatch)
    staged, _ = loaded_twice(clean_landing, tmp_path / "staged.duckdb", monkeypatch, True)
    assert tries == ["direct", "direct"]
    assert direct == staged
    assert len(direct["raw"]) == 3 * 5 * 3 and direct["rejected"] == []
    assert [row[1:7] for row in direct["audit"]] == [
        (DATES[0], 5, 15, 15, 0, 0),
        (DATES[1], 6, 15, 15, 0, 1),  # the empty file is counted, as it is when staged
        (DATES[2], 5, 15, 15, 0, 0),
    ]


# Ways to spoil the clean chunk: a file of its last date written again.
def last_row_rejected(root: Path, name: str) -> None:
    rows = orders(DATES[2], "zz")
    rows[-1]["quantity"] = "0"
    if name.endswith(".parquet"):
        write_parquet(root, DATES[2], name, rows)
    elif name.endswith(".csv"):
        write(root, DATES[2], name, csv_text(rows))
    else:
        write(root, DATES[2], name, jsonl_text([jsonl_order(row) for row in rows]))


def broken_line(root: Path, name: str) -> None:
    text = jsonl_text([jsonl_order(row) for row in orders(DATES[2], "zb")])
    write(root, DATES[2], name, text + '{"order_id": \n')


def key_in_another_case(root: Path, name: str) -> None:
    rows = [jsonl_order(row) for row in orders(DATES[2], "zk")]
    for row in rows:
        row["Paid_Amount"] = row.pop("paid_amount")
    write(root, DATES[2], name, jsonl_text(rows))


@pytest.mark.parametrize(
    ("spoil", "name", "loaded", "rejected"),
    [
        (last_row_rejected, "part.jsonl", 44, 1),
        (last_row_rejected, "part.csv", 44, 1),
        (last_row_rejected, "part.parquet", 44, 1),
        (broken_line, "part.jsonl", 45, 1),  # DuckDB cannot read the file: the statement fails
        (key_in_another_case, "part.jsonl", 45, 0),  # the screen sends it to the cold path
    ],
)
def test_a_chunk_the_direct_write_cannot_take_is_staged_and_nothing_is_lost(
    spoil, name: str, loaded: int, rejected: int, clean_landing: Path, tmp_path: Path, monkeypatch
) -> None:
    spoil(clean_landing, name)
    direct, tries = loaded_twice(clean_landing, tmp_path / "direct.duckdb", monkeypatch)
    staged, _ = loaded_twice(clean_landing, tmp_path / "staged.duckdb", monkeypatch, True)
    # The first load rolls the direct write back and stages the chunk. After a load that
    # rejected rows, the next one is staged without trying.
    again = ["staged"] if rejected else ["direct", "staged"]
    assert tries == ["direct", "staged", *again]
    assert direct == staged
    assert (len(direct["raw"]), len(direct["rejected"])) == (loaded, rejected)
