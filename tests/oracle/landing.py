"""Reading the landing files (see the landing contract), and the record-level rules several
sources share: which export of a record wins, and intervals built from on/off events."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .values import Record, parse_id

# The reference seeds (fan tiers, the festival calendar) the oracle reads as they are.
REFERENCE_DIR = Path(__file__).resolve().parents[2] / "seeds" / "reference"

# The order columns of the landing contract (without the optional personal-data columns, which
# never leave raw): two exports of an order that agree on all of them are the same version.
ORDER_CONTRACT_COLUMNS = (
    "order_id",
    "buyer_id",
    "shop_id",
    "streamer_id",
    "session_id",
    "product_id",
    "category",
    "quantity",
    "item_amount",
    "discount_amount",
    "paid_amount",
    "refund_amount",
    "status",
    "entry_point",
    "created_at",
    "paid_at",
    "updated_at",
)

SOURCES = (
    "orders",
    "follows",
    "livestream_sessions",
    "streamers",
    "trust_card_events",
    "enforcement_actions",
)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _read_csv(text: io.TextIOBase) -> list[Record]:
    return [dict(row) for row in csv.DictReader(text)]


def _read_jsonl(text: io.TextIOBase) -> list[Record]:
    # parse_float=Decimal keeps money exact; blank lines are skipped.
    return [json.loads(line, parse_float=Decimal) for line in text if line.strip()]


def _read_parquet(path: Path) -> list[Record]:
    table = pq.read_table(path)
    # Without pandas, nanosecond timestamps cannot be turned into datetime objects: cast them.
    for index, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.unit == "ns":
            target = pa.timestamp("us", tz=field.type.tz)
            table = table.set_column(
                index, field.name, table.column(index).cast(target, safe=False)
            )
    return table.to_pylist()


def read_file(path: Path) -> list[Record] | None:
    """Records of one landing file, or None when the extension is not a landing format."""
    name = path.name
    if name.endswith(".parquet"):
        return _read_parquet(path)
    if name.endswith(".csv"):
        with path.open(encoding="utf-8-sig", newline="") as text:
            return _read_csv(text)
    if name.endswith(".csv.gz"):
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as text:
            return _read_csv(text)
    if name.endswith(".jsonl"):
        with path.open(encoding="utf-8") as text:
            return _read_jsonl(text)
    if name.endswith(".jsonl.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as text:
            return _read_jsonl(text)
    return None


def read_landing(landing_dir: Path) -> dict[str, list[Record]]:
    """All records of the six sources, each with ``_dt``, ``_file`` and ``_row`` (1-based)."""
    result: dict[str, list[Record]] = {source: [] for source in SOURCES}
    for source in SOURCES:
        source_dir = Path(landing_dir) / source
        if not source_dir.is_dir():
            continue
        for partition in sorted(source_dir.iterdir()):
            if not partition.is_dir() or not partition.name.startswith("dt="):
                continue
            dt = partition.name.removeprefix("dt=")
            for path in sorted(partition.iterdir()):
                if not path.is_file():
                    continue
                records = read_file(path)
                if records is None:
                    continue
                for row_number, record in enumerate(records, start=1):
                    record["_dt"] = dt
                    record["_file"] = path.name
                    record["_row"] = row_number
                    result[source].append(record)
    return result


# --------------------------------------------------------------------------------------------
# Record-level rules
# --------------------------------------------------------------------------------------------


def provenance(record: Record) -> tuple[str, str, int]:
    return (record["_dt"], record["_file"], record["_row"])


def latest_export(records: Iterable[Record], id_column: str) -> dict[str, Record]:
    """Per id the record from the latest export: the latest _dt, then the larger _file, then
    the larger _row."""
    latest: dict[str, Record] = {}
    for record in records:
        record_id = parse_id(record[id_column])
        assert record_id is not None
        current = latest.get(record_id)
        if current is None or provenance(record) > provenance(current):
            latest[record_id] = record
    return latest


def toggle_intervals(
    events: Iterable[tuple[datetime, str, str]], opens: str, closes: str
) -> list[tuple[datetime, datetime | None]]:
    """The (start, end) intervals of one stream of (event_at, event_id, event_type) events that
    switch something on and off (follow/unfollow, enabled/disabled). Events are applied in
    (event_at, event_id) order, starting off; ``opens`` while on and ``closes`` while off are
    ignored, as is any other event type. The last interval's end is None while still on."""
    intervals: list[tuple[datetime, datetime | None]] = []
    start: datetime | None = None
    for event_at, _event_id, event_type in sorted(events, key=lambda e: (e[0], e[1])):
        if event_type == opens and start is None:
            start = event_at
        elif event_type == closes and start is not None:
            intervals.append((start, event_at))
            start = None
    if start is not None:
        intervals.append((start, None))
    return intervals
