"""The landing contract under hostile input (issue 11), file by file: the CSV dialect, encodings,
NUL characters, empty and truncated files, and personal data on every reject path. Nothing lost,
nothing silent.

Every test states the exact accounting of each file it writes: rows loaded, rows rejected and
the reject reasons, with read = loaded + rejected for the partition. Column names, money and
timestamps are in test_landing_hostile_values.py.
"""

from __future__ import annotations

import gzip
import json

from helpers import (
    ADDRESS,
    HOSTILE_PART,
    PERSONAL_ORDER,
    PHONE,
    REPO_ROOT,
    VALID_FOLLOW,
    accounting,
    csv_text,
    jsonl_text,
    load,
    load_counts,
    partition_dir,
    personal_orders,
    rejects,
    truncated_gzip,
)

# ---------------------------------------------------------------------------------------------
# CSV: the contract's dialect, never sniffed; a malformed row costs that row


def test_one_unquoted_comma_costs_one_row_not_the_file(conn, tmp_path) -> None:
    rows = personal_orders(100)
    text = csv_text(rows).splitlines()
    text[50] = text[50].replace("美妆", "美妆,口红")  # row 50: one field too many
    text[70] = text[70].rsplit(",", 1)[0]  # row 70: one field too few
    # CRLF line ends and trailing blank lines (no records) as well
    (partition_dir(tmp_path, "orders") / "a.csv").write_text("\r\n".join(text) + "\r\n\r\n\r\n")
    gz = csv_text(personal_orders(3)).replace("o2,", '"o2"x,', 1)  # row 2: broken quoting
    (partition_dir(tmp_path, "orders") / "b.csv.gz").write_bytes(gzip.compress(gz.encode()))
    assert load_counts(conn, tmp_path, "orders") == (103, 100, 3)
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
    # A pipe-delimited file is one column named "event_id|follower_id|…": not the contract.
    assert load_counts(conn, tmp_path, "follows") == (4, 1, 3)
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
    assert load_counts(conn, tmp_path, "follows") == (15, 0, 15)
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
    assert load_counts(conn, tmp_path, "follows") == (10, 5, 5)
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
    assert result.empty_files == tuple(f"follows/{HOSTILE_PART}/{name}" for name in empty)
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
    assert result.truncated_files == (
        f"follows/{HOSTILE_PART}/a.jsonl.gz",
        f"follows/{HOSTILE_PART}/b.csv.gz",
    )
    assert "a.jsonl.gz is truncated" in caplog.text
    assert conn.execute("select truncated_files from raw.load_audit").fetchone() == (2,)


# ---------------------------------------------------------------------------------------------
# Personal data never kept in clear in rejected rows, on every path


def test_personal_data_is_masked_on_every_reject_path(conn, tmp_path) -> None:
    folder = partition_dir(tmp_path, "orders")
    bad = {**PERSONAL_ORDER, "status": "bogus"}
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
    duplicated = [{**PERSONAL_ORDER, "again": "008"}]
    (folder / "e.csv").write_text(csv_text(duplicated, header=[*PERSONAL_ORDER, "ORDER_ID"]))
    (folder / "f.csv").write_text(
        csv_text([{k: v for k, v in PERSONAL_ORDER.items() if k != "shop_id"}])
    )
    # the cold paths: a duplicate JSON key, a line that is not JSON, a malformed CSV row, a file
    # that is not UTF-8, a truncated gzip stream whose lost tail held personal data
    line = json.dumps(PERSONAL_ORDER, ensure_ascii=False)
    (folder / "g.jsonl").write_text(
        line[:-1] + f', "Receiver_Phone": "{PHONE}"}}\n' + line[:-20] + "\n"
    )
    (folder / "h.csv").write_text(
        csv_text([PERSONAL_ORDER]).replace(ADDRESS, ADDRESS + "," + PHONE)
    )
    (folder / "i.csv").write_bytes(csv_text([PERSONAL_ORDER]).encode("utf-16"))
    cut, _ = truncated_gzip(jsonl_text([PERSONAL_ORDER] * 50), keep=0.6)
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
    assert load_counts(conn, tmp_path, "follows") == (1, 1, 0)
    assert conn.execute("select event_id, streamer_id from raw.follows").fetchone() == ("e1", "s1")


def test_every_file_level_reason_code_is_documented() -> None:
    docs = (REPO_ROOT / "docs" / "landing.md").read_text()
    for code in (
        "nul_byte", "duplicate_column", "duplicate_key", "csv_malformed", "file_truncated",
        "<column>_zone_invalid", "<column>_out_of_window", "<column>_out_of_range",
    ):  # fmt: skip
        assert f"`{code}`" in docs, code
