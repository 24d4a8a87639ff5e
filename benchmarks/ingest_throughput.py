"""Ingestion throughput per landing format: the project's ingestion against plain DuckDB.

    uv run python benchmarks/ingest_throughput.py                  # ~1,000,000 order versions
    uv run python benchmarks/ingest_throughput.py --smoke          # a few thousand rows, seconds
    uv run python benchmarks/ingest_throughput.py --rows 200000 --partitions 4 --keep /tmp/tp
    uv run python benchmarks/ingest_throughput.py --formats jsonl jsonl.gz   # some formats only
    uv run python benchmarks/ingest_throughput.py --landing data/benchmarks/<size>/landing

With --landing, it measures the orders of an existing landing zone instead (a calibrated one
from `lcw simulate`, in Parquet, one file per export date): ingestion of all its dates against
the direct read of the same files, three times each, alternating, and prints the medians.

The simulator makes a base set of order versions once (only the rows ingestion accepts). DuckDB
replicates them up to --rows (order_id gets a `-<copy>` suffix) and writes the same rows in every
landing format, one file per partition: `<scratch>/<format>/orders/dt=YYYY-MM-DD/part.<ext>`.
For each format, two figures, each into a new DuckDB file and in a fresh process (so the peak
RSS is its own):

- ingest: `orchestration.landing.loader.load_partitions` over every partition, as the assets do;
- direct: one `CREATE TABLE t AS SELECT ... FROM read_<format>(<all files>)` with the contract's
  column types and no validation, the lower bound for reading those files into a table.

Before printing, it checks that both loaded the same rows (counts, no rejected row, and the same
content), so the ratio always compares the same work. Wall-clock figures on a shared 2-core
machine are noisy: compare ratios from one run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from orchestration.landing.contract import REPORTING_TIME_ZONE, SOURCES, SQL_TYPES
from orchestration.landing.discovery import list_partitions
from orchestration.landing.loader import load_partitions
from orchestration.simulation.edge_cases import simulate
from orchestration.sql import quote_ident, quote_literal

SOURCE = SOURCES["orders"]
COLUMNS = ", ".join(quote_ident(c) for c in SOURCE.column_names)
# Format (also the file extension) -> COPY options that write it.
FORMATS = {
    "parquet": "FORMAT parquet",
    "csv": "FORMAT csv, HEADER true",
    "csv.gz": "FORMAT csv, HEADER true, COMPRESSION gzip",
    "jsonl": "FORMAT json",
    "jsonl.gz": "FORMAT json, COMPRESSION gzip",
}
START = date(2021, 6, 1)
# The replicated rows are exported after the last simulated day (30 at most), so each lies in the
# contract's business-time window of its export date (LANDING.md: no later than dt + 1 day).
EXPORT_START = START + timedelta(days=30)


def generate_landings(
    scratch: Path, rows: int, partitions: int, smoke: bool, formats: list[str]
) -> int:
    """Write the same `rows` order versions in `formats`; return how many the base set held."""
    simulated = scratch / "simulated"
    days, scale = (3, 0.3) if smoke else (30, 1.0)
    simulate(simulated, START, days, seed=7, scale=scale)
    with duckdb.connect(str(scratch / "base.duckdb")) as conn:
        conn.execute("SET enable_progress_bar = false")  # set-up only; measured runs keep defaults
        load_partitions(conn, simulated, SOURCE.name, list_partitions(simulated, SOURCE.name))
        conn.execute(f"SET TimeZone = {quote_literal(REPORTING_TIME_ZONE)}")
        (base,) = conn.execute("SELECT count(*) FROM raw.orders").fetchone()
        conn.execute(
            f"""CREATE TABLE bench AS
            WITH numbered AS (
                SELECT {COLUMNS}, row_number() OVER (ORDER BY updated_at, order_id) - 1 AS n
                FROM raw.orders
            ), copies AS (
                SELECT * EXCLUDE (n) REPLACE (order_id || '-' || copy AS order_id),
                    copy * {base} + n AS i
                FROM numbered, range({-(-rows // base)}) c(copy)
            )
            SELECT *, i % {partitions} AS part FROM copies WHERE i < {rows}"""
        )
        for fmt in formats:
            options = FORMATS[fmt]
            for part in range(partitions):
                folder = scratch / fmt / SOURCE.name / f"dt={EXPORT_START + timedelta(days=part)}"
                folder.mkdir(parents=True)
                conn.execute(
                    f"COPY (SELECT {COLUMNS} FROM bench WHERE part = {part} ORDER BY i) "
                    f"TO {quote_literal(str(folder / f'part.{fmt}'))} ({options})"
                )
    return base


def peak_rss_mib() -> float:
    """This process's peak resident set (Linux). Not getrusage's ru_maxrss: that one survives
    exec, so a spawned child would report its parent's peak whenever that was higher."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return float("nan")


def measure_ingest(landing: Path, warehouse: Path) -> tuple[int, int, float, float]:
    """(rows loaded, rows rejected, seconds, peak RSS MiB) of the project's ingestion."""
    began = time.perf_counter()
    with duckdb.connect(str(warehouse)) as conn:
        results = load_partitions(conn, landing, SOURCE.name, list_partitions(landing, SOURCE.name))
    loaded = sum(result.rows_loaded for result in results)
    rejected = sum(result.rows_rejected for result in results)
    return loaded, rejected, time.perf_counter() - began, peak_rss_mib()


def direct_scan(fmt: str, files: list[Path]) -> str:
    """`SELECT` of the contract's columns and types straight from the files, no validation."""
    paths = "[" + ", ".join(quote_literal(str(f)) for f in files) + "]"
    types = {c.name: SQL_TYPES[c.kind] for c in SOURCE.columns}
    if fmt == "parquet":
        casts = ", ".join(f"{quote_ident(n)}::{t} AS {quote_ident(n)}" for n, t in types.items())
        return f"SELECT {casts} FROM read_parquet({paths}, hive_partitioning = false)"
    spec = ", ".join(f"{quote_literal(n)}: {quote_literal(t)}" for n, t in types.items())
    spec = "{" + spec + "}"
    if fmt.startswith("csv"):
        scan = f"read_csv({paths}, header = true, columns = {spec}, hive_partitioning = false)"
    else:
        scan = (
            f"read_json({paths}, format = 'newline_delimited', columns = {spec}, "
            "hive_partitioning = false)"
        )
    return f"SELECT {COLUMNS} FROM {scan}"


def measure_direct(fmt: str, landing: Path, warehouse: Path) -> tuple[int, float, float]:
    """(rows, seconds, peak RSS MiB) of DuckDB reading the same files into a table."""
    files = sorted(landing.glob(f"{SOURCE.name}/dt=*/part*.{fmt}"))
    began = time.perf_counter()
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(f"SET TimeZone = {quote_literal(REPORTING_TIME_ZONE)}")
        (rows,) = conn.execute(f"CREATE TABLE t AS {direct_scan(fmt, files)}").fetchone()
    return rows, time.perf_counter() - began, peak_rss_mib()


def in_fresh_process(function: Callable[..., Any], *args: object) -> Any:
    """Run a measurement in a new interpreter, so no DuckDB cache or peak RSS carries over."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def different_rows(ingested: Path, direct: Path) -> int:
    """Rows in one table and not the other (as multisets): 0 when both loaded the same data."""
    with duckdb.connect() as conn:
        conn.execute("SET enable_progress_bar = false")
        conn.execute(f"ATTACH {quote_literal(str(ingested))} AS i (READ_ONLY)")
        conn.execute(f"ATTACH {quote_literal(str(direct))} AS d (READ_ONLY)")
        one_way = f"SELECT {COLUMNS} FROM i.raw.orders EXCEPT ALL SELECT {COLUMNS} FROM d.t"
        other_way = f"SELECT {COLUMNS} FROM d.t EXCEPT ALL SELECT {COLUMNS} FROM i.raw.orders"
        sql = f"SELECT (SELECT count(*) FROM ({one_way})) + (SELECT count(*) FROM ({other_way}))"
        return conn.execute(sql).fetchone()[0]


def run(
    scratch: Path, rows: int, partitions: int, smoke: bool, formats: list[str]
) -> list[dict[str, object]]:
    began = time.perf_counter()
    base = generate_landings(scratch, rows, partitions, smoke, formats)
    print(f"base set from the simulator (order versions)  {base}")
    print(f"landing files written (s)  {time.perf_counter() - began:.2f}")
    results = []
    for fmt in formats:
        landing = scratch / fmt
        ingested, direct = scratch / f"ingest-{fmt}.duckdb", scratch / f"direct-{fmt}.duckdb"
        loaded, rejected, ingest_s, ingest_rss = in_fresh_process(measure_ingest, landing, ingested)
        direct_rows, direct_s, direct_rss = in_fresh_process(measure_direct, fmt, landing, direct)
        if not loaded == direct_rows == rows or rejected != 0:
            raise RuntimeError(
                f"{fmt}: ingest loaded {loaded} and rejected {rejected}, direct read "
                f"{direct_rows}; expected {rows} and 0: the two would not compare the same work"
            )
        if (differ := different_rows(ingested, direct)) != 0:
            raise RuntimeError(f"{fmt}: {differ} rows differ between ingest and direct read")
        megabytes = sum(f.stat().st_size for f in landing.rglob("part.*")) / 2**20
        figures = {
            "format": fmt,
            "rows": rows,
            "MiB on disk": megabytes,
            "ingest s": ingest_s,
            "ingest rows/s": rows / ingest_s,
            "ingest peak RSS MiB": ingest_rss,
            "direct s": direct_s,
            "direct rows/s": rows / direct_s,
            "direct peak RSS MiB": direct_rss,
            "ingest / direct": ingest_s / direct_s,
        }
        for name, value in list(figures.items())[1:]:
            print(f"{fmt} {name}  {shown(name, value)}", flush=True)
        results.append(figures)
    return results


def run_landing(landing: Path, scratch: Path, repeats: int = 3) -> None:
    """Ingestion of an existing landing zone's orders against the direct read of its files."""
    ingest, direct = [], []
    for repeat in range(repeats):
        ingested, read = scratch / f"ingest-{repeat}.duckdb", scratch / f"direct-{repeat}.duckdb"
        loaded, rejected, seconds, _ = in_fresh_process(measure_ingest, landing, ingested)
        rows, direct_seconds, _ = in_fresh_process(measure_direct, "parquet", landing, read)
        if loaded + rejected != rows:
            raise RuntimeError(f"ingest read {loaded} + {rejected} rows, direct read {rows}")
        ingest.append(seconds)
        direct.append(direct_seconds)
        print(f"run {repeat + 1}: ingest {seconds:.2f} s, direct {direct_seconds:.2f} s")
        ingested.unlink()
        read.unlink()
    ingest_s, direct_s = sorted(ingest)[repeats // 2], sorted(direct)[repeats // 2]
    files = len(list(landing.glob(f"{SOURCE.name}/dt=*/*.parquet")))
    print(f"\n{rows:,} order versions in {files} Parquet files ({rejected:,} rejected)")
    print(
        f"median ingest {ingest_s:.2f} s ({rows / ingest_s:,.0f} rows/s), direct "
        f"{direct_s:.2f} s ({rows / direct_s:,.0f} rows/s): ingest / direct "
        f"{ingest_s / direct_s:.2f}, {direct_s / ingest_s:.0%} of the direct throughput"
    )


def shown(name: str, value: object) -> str:
    if isinstance(value, str):
        return value
    return f"{value:,.0f}" if name in ("rows", "ingest rows/s", "direct rows/s") else f"{value:.2f}"


def markdown_table(results: list[dict[str, object]]) -> str:
    names = list(results[0])
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    for figures in results:
        lines.append("| " + " | ".join(shown(n, v) for n, v in figures.items()) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="order versions in total")
    parser.add_argument("--partitions", type=int, default=10, help="export dates per format")
    parser.add_argument("--smoke", action="store_true", help="a few thousand rows, 2 partitions")
    parser.add_argument("--keep", type=Path, help="work in this new folder, keep it")
    parser.add_argument("--landing", type=Path, help="measure this landing zone's orders instead")
    parser.add_argument(
        "--formats",
        nargs="+",
        choices=list(FORMATS),
        default=list(FORMATS),
        help="formats to measure",
    )
    args = parser.parse_args()
    if args.landing:
        with tempfile.TemporaryDirectory(prefix="lcw-throughput-") as scratch:
            run_landing(args.landing.resolve(), Path(scratch))
        return
    rows, partitions = (4_000, 2) if args.smoke else (args.rows, args.partitions)
    if args.keep:
        if args.keep.exists() and any(args.keep.iterdir()):
            parser.error(f"--keep {args.keep} must be a new or empty folder")
        args.keep.mkdir(parents=True, exist_ok=True)
        scratch = args.keep.resolve()
    else:
        scratch = Path(tempfile.mkdtemp(prefix="lcw-throughput-"))
    try:
        results = run(scratch, rows, partitions, args.smoke, args.formats)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"\n{rows:,} order versions in {partitions} partitions, orders source\n")
    print(markdown_table(results))


if __name__ == "__main__":
    main()
