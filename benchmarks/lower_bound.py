"""The lower bound: the dbt project's models as one plain DuckDB script over the landing files,
the time the pipeline is reported against.

    uv run python benchmarks/lower_bound.py --landing data/landing
    uv run python benchmarks/lower_bound.py --landing DIR --database FILE --memory-limit 8GB
    uv run python benchmarks/lower_bound.py --smoke     # seconds: a tiny simulated landing
    uv run python benchmarks/lower_bound.py --generate FILE  # write the script, to read it

The script is generated on every run, never kept or edited by hand: `generate_script` compiles
the dbt project (`dbt compile` against an empty database, so every incremental model takes its
full-refresh form) and writes each seed, staging view and model, in dependency order, as one
`create` statement, with the dbt sources replaced by tables read straight from the landing files.
A model that counts in its pre-hooks (trust_card_impact) hands them over as an analysis,
`<model>_pre_hooks`, whose statements run just before the model's.
So the script computes exactly what the dbt models compute (it is a physical-limit anchor, not a
second opinion: the independent check of the marts is tests/oracle/), without Dagster, dbt,
validation, quarantine or incremental bookkeeping.

Running it writes a fresh DuckDB file. This runner substitutes the placeholders: for each source,
a union over the readers of the formats present (Parquet with its own schema; CSV and JSON Lines
read as text with explicit columns, so no type is sniffed per file) cast to the landing
contract's types, with the lineage columns ingestion adds (`_partition_dt` from the dt= folder,
`_source_file`, `_source_row`). It prints the wall time, the peak RSS and the time of each
statement. `run_lower_bound()` returns the same figures, so another benchmark can run it side by
side with the pipeline.

Assumes a landing that keeps the contract (LANDING.md): bad rows are not set aside here. CSV and
JSON Lines readers do not expose a row's number within its file, so `_source_row` is 0 for them:
two different versions of one order with the same `updated_at` in one file are the only case
whose tie-break could differ from the pipeline's.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from orchestration.landing.contract import SOURCES, SQL_TYPES

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_SEEDS = REPO_ROOT / "seeds" / "reference"
DBT_PROJECT = REPO_ROOT / "dbt_project"
PARTITION_DIR = re.compile(r"^dt=\d{4}-\d{2}-\d{2}$")
# The export date comes from the dt= folder of each file (hive partitioning).
HIVE = "filename = true, hive_partitioning = true, hive_types = {'dt': 'DATE'}"


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def landing_files(landing: Path, source: str) -> list[Path]:
    """The files ingestion would read: in dt=YYYY-MM-DD folders, not markers, not empty."""
    source_dir = landing / source
    if not source_dir.is_dir():
        return []
    return sorted(
        path
        for folder in source_dir.iterdir()
        if folder.is_dir() and PARTITION_DIR.match(folder.name)
        for path in folder.iterdir()
        if path.is_file()
        and not path.is_symlink()
        and not path.name.startswith((".", "_"))
        and not set("*?[]").intersection(path.name)
        and path.stat().st_size > 0
    )


def csv_header(path: Path) -> tuple[str, ...]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        return tuple(next(csv.reader(handle), []))


def file_list(paths: list[Path]) -> str:
    return "[" + ", ".join(quote_literal(str(p)) for p in paths) + "]"


def typed_select(source: str, relation: str, present: set[str]) -> str:
    """The contract's columns in their contract types (NULL when a file lacks one), then the
    lineage columns of the raw tables, so every format of a source unions column for column."""
    columns = []
    for column in SOURCES[source].columns:
        value = quote_ident(column.name) if column.name in present else "NULL"
        columns.append(f"cast({value} as {SQL_TYPES[column.kind]}) as {quote_ident(column.name)}")
    row = "file_row_number + 1" if "file_row_number = true" in relation else "0"
    lineage = f"dt as _partition_dt, filename as _source_file, cast({row} as bigint) as _source_row"
    return f"select {', '.join(columns)}, {lineage} from {relation}"


def source_relation(conn: duckdb.DuckDBPyConnection, landing: Path, source: str) -> str:
    """One relation over every landing file of a source, whichever formats are present."""
    files = landing_files(landing, source)
    parts = []
    parquet = [p for p in files if p.name.endswith(".parquet")]
    if parquet:
        relation = (
            f"read_parquet({file_list(parquet)}, union_by_name = true, file_row_number = true, "
            f"{HIVE})"
        )
        present = {row[0] for row in conn.execute(f"describe select * from {relation}").fetchall()}
        parts.append(typed_select(source, relation, present))
    by_header: dict[tuple[str, ...], list[Path]] = {}
    for path in files:
        if path.name.endswith((".csv", ".csv.gz")):
            by_header.setdefault(csv_header(path), []).append(path)
    for header, paths in by_header.items():
        columns = ", ".join(f"{quote_literal(name)}: 'VARCHAR'" for name in header)
        relation = (
            f"read_csv({file_list(paths)}, header = true, auto_detect = false, delim = ',', "
            f"quote = '\"', escape = '\"', columns = {{{columns}}}, {HIVE})"
        )
        parts.append(typed_select(source, relation, set(header)))
    jsonl = [p for p in files if p.name.endswith((".jsonl", ".jsonl.gz"))]
    if jsonl:
        names = SOURCES[source].column_names
        columns = ", ".join(f"{quote_literal(name)}: 'VARCHAR'" for name in names)
        relation = (
            f"read_json({file_list(jsonl)}, format = 'newline_delimited', "
            f"columns = {{{columns}}}, {HIVE})"
        )
        parts.append(typed_select(source, relation, set(names)))
    if not parts:  # no files at all: an empty relation of the right shape
        empty = "(select NULL::DATE as dt, NULL::VARCHAR as filename where false)"
        parts.append(typed_select(source, empty, set()))
    return "(" + " union all ".join(parts) + ")"


def compile_dbt(scratch: Path) -> dict:
    """`dbt compile` against an empty database in `scratch` (so every incremental model takes its
    full-refresh form); returns the manifest, which holds each node's compiled SQL."""
    target = scratch / "target"
    dbt_vars = {"warehouse_path": str(scratch / "lower_bound.duckdb")}
    command = [
        str(Path(sys.executable).parent / "dbt"), "compile", "--quiet",
        "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
        "--target-path", str(target), "--vars", json.dumps(dbt_vars),
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=REPO_ROOT, capture_output=True, text=True)
    return json.loads((target / "manifest.json").read_text())


def dependency_order(nodes: dict[str, dict]) -> list[str]:
    """Node ids with every node after the nodes it depends on (ties by id, so stable)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(unique_id: str) -> None:
        if unique_id in seen or unique_id not in nodes:
            return
        seen.add(unique_id)
        for dependency in sorted(nodes[unique_id].get("depends_on", {}).get("nodes", [])):
            visit(dependency)
        order.append(unique_id)

    for unique_id in sorted(nodes):
        visit(unique_id)
    return order


def create_statement(node: dict, sql: str) -> str:
    """The statement that builds one seed or model the way dbt materialises it."""
    relation = f"{node['schema']}.{node['name']}"
    if node["resource_type"] == "seed":
        types = ", ".join(
            f"{quote_literal(name)}: {quote_literal(kind)}"
            for name, kind in sorted(node["config"].get("column_types", {}).items())
        )
        csv_file = quote_literal("{reference}/" + Path(node["original_file_path"]).name)
        return (
            f"create table {relation} as\nselect * from read_csv({csv_file}, header = true, "
            f"types = {{{types}}});"
        )
    if node["config"]["materialized"] == "view":
        return f"create view {relation} as\n{sql.strip()}\n;"
    if not node["config"].get("contract", {}).get("enforced"):
        return f"create table {relation} as\n{sql.strip()}\n;"
    # An enforced contract: the table has the declared column types, as dbt creates it.
    columns = node["columns"].values()
    declared = ",\n".join(f"    {c['name']} {c['data_type']}" for c in columns)
    names = ", ".join(c["name"] for c in columns)
    return (
        f"create table {relation} (\n{declared}\n);\n"
        f"insert into {relation} ({names})\nselect {names} from (\n{sql.strip()}\n) as model_subq;"
    )


def generate_script(manifest: dict) -> str:
    """The lower-bound script from a compiled manifest (see the module docstring)."""
    nodes = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed") and "bookkeeping" not in node["tags"]
    }
    renames = {}
    for source in manifest["sources"].values():
        renames[source["relation_name"]] = f"landing.{source['name']}"
    for node in nodes.values():
        renames[node["relation_name"]] = f"{node['schema']}.{node['name']}"
    schemas = sorted({"landing"} | {node["schema"] for node in nodes.values()})
    statements = [
        "set TimeZone = 'Asia/Shanghai';",
        "set preserve_insertion_order = false;",
        *(f"create schema {schema};" for schema in schemas),
        *(
            f"create table landing.{name} as select * from {{{name}}};"
            for name in sorted(source["name"] for source in manifest["sources"].values())
        ),
    ]
    pre_hooks = {
        node["name"].removesuffix(PRE_HOOKS_SUFFIX): node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "analysis" and node["name"].endswith(PRE_HOOKS_SUFFIX)
    }

    def plain(sql: str) -> str:
        for dbt_name, plain_name in renames.items():
            sql = sql.replace(dbt_name, plain_name)
        # What is left is a model's bookkeeping table: schema.table, whatever the database.
        return THREE_PART_NAME.sub(r"\1.\2", sql)

    for unique_id in dependency_order(nodes):
        node = nodes[unique_id]
        if node["name"] in pre_hooks:
            hooks = pre_hooks[node["name"]]
            statements.append(f"-- {hooks['original_file_path']}\n" + plain(hooks["compiled_code"]))
        sql = plain(node.get("compiled_code") or "")
        statements.append(f"-- {node['original_file_path']}\n" + create_statement(node, sql))
    return SCRIPT_HEADER + "\n\n".join(statements) + "\n"


# A model whose work happens in its pre-hooks hands them over as an analysis named after it
# (dbt compiles analyses but never runs them): its statements go just before the model's own.
PRE_HOOKS_SUFFIX = "_pre_hooks"
THREE_PART_NAME = re.compile(r'"[^"]+"\."(\w+)"\."(\w+)"')


SCRIPT_HEADER = """\
-- GENERATED by benchmarks/lower_bound.py from the compiled dbt
-- project: do not edit by hand. The dbt models as one plain DuckDB script over the landing
-- files (see benchmarks/lower_bound.py). Placeholders, substituted when it runs:
--   {orders} {follows} {livestream_sessions} {streamers} {trust_card_events}
--   {enforcement_actions}  a relation over every landing file of the source, in the contract's
--                          types, with _partition_dt, _source_file and _source_row
--   {reference}            the folder of the reference seeds (seeds/reference)

"""


def statement_label(query: str) -> str:
    match = re.search(
        r"(create\s+(?:or\s+replace\s+)?(?:temp\s+)?(?:table|schema|view)|insert\s+into)"
        r"\s+([\w.]+)",
        query,
        re.IGNORECASE,
    )
    if match:
        verb = "insert into " if match.group(1).lower().startswith("insert") else ""
        return verb + match.group(2)
    lines = [line for line in query.splitlines() if line.strip() and not line.startswith("--")]
    return lines[0].strip().rstrip(";") if lines else query.strip()


def reset_peak_rss() -> None:
    """Reset this process's peak RSS (Linux), so the figure is the run's, not the caller's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_bytes() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_lower_bound(
    landing: Path,
    database: Path,
    memory_limit: str = "16GB",
    threads: int | None = None,
) -> dict:
    """Generate the script from the dbt models as they are now, run it on `landing` into a fresh
    `database`, and return the figures of the run (generation is not timed)."""
    script = generate_script(compile_dbt(Path(database).resolve().parent / "lower_bound_dbt"))
    landing, database = Path(landing).resolve(), Path(database).resolve()
    for stale in (database, database.with_name(database.name + ".wal")):
        stale.unlink(missing_ok=True)
    database.parent.mkdir(parents=True, exist_ok=True)
    temp_directory = database.with_name(database.name + ".tmp")
    reset_peak_rss()
    timings: list[tuple[str, float]] = []
    began = time.perf_counter()
    conn = duckdb.connect(str(database))
    try:
        conn.execute(f"set memory_limit = {quote_literal(memory_limit)}")
        conn.execute(f"set temp_directory = {quote_literal(str(temp_directory))}")
        conn.execute("set enable_progress_bar = false")
        if threads:
            conn.execute(f"set threads = {int(threads)}")
        step = time.perf_counter()
        sql = script
        for source in SOURCES:
            sql = sql.replace("{" + source + "}", source_relation(conn, landing, source))
        sql = sql.replace("{reference}", str(REFERENCE_SEEDS).replace("'", "''"))
        timings.append(("list the landing files", time.perf_counter() - step))
        for statement in conn.extract_statements(sql):
            step = time.perf_counter()
            conn.execute(statement)
            timings.append((statement_label(statement.query), time.perf_counter() - step))
            # progress on long runs (100 M orders take an hour); the figures go to stdout
            label, seconds = timings[-1]
            print(f"  done: {label} in {seconds:.1f} s", file=sys.stderr, flush=True)
        step = time.perf_counter()
        conn.execute("checkpoint")
        timings.append(("checkpoint", time.perf_counter() - step))
        marts = conn.execute(
            "select table_name, estimated_size from duckdb_tables() "
            "where schema_name = 'marts' order by table_name"
        ).fetchall()
    finally:
        conn.close()
    wall = time.perf_counter() - began
    shutil.rmtree(temp_directory, ignore_errors=True)
    return {
        "database": str(database),
        "wall_seconds": wall,
        "peak_rss_bytes": peak_rss_bytes(),
        "statements": timings,
        "marts": dict(marts),
    }


def print_figures(figures: dict) -> None:
    for label, seconds in figures["statements"]:
        print(f"{label:<40} {seconds:8.3f} s")
    print(f"{'marts written':<40} {len(figures['marts']):8d}")
    print(f"{'wall time (s)':<40} {figures['wall_seconds']:8.3f}")
    print(f"{'peak RSS (MiB)':<40} {figures['peak_rss_bytes'] / 2**20:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", type=Path, default=REPO_ROOT / "data" / "landing")
    parser.add_argument("--database", type=Path, help="default: a file in a temporary folder")
    parser.add_argument("--memory-limit", default="16GB")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--smoke", action="store_true", help="a tiny simulated landing")
    parser.add_argument(
        "--generate", type=Path, metavar="FILE", help="only write the script to FILE, to read it"
    )
    args = parser.parse_args()
    if args.generate:
        with tempfile.TemporaryDirectory(prefix="lcw-lower-bound-") as scratch:
            args.generate.write_text(generate_script(compile_dbt(Path(scratch))))
        print(f"wrote {args.generate}")
        return
    with tempfile.TemporaryDirectory(prefix="lcw-lower-bound-") as scratch:
        landing = args.landing
        if args.smoke:
            from orchestration.simulation.edge_cases import simulate

            landing = Path(scratch) / "landing"
            simulate(landing, date(2021, 6, 10), 3, seed=1, scale=0.02)
        elif not (landing / "orders").is_dir():
            sys.exit(f"no landing data in {landing}: run `uv run lcw demo` first")
        database = args.database or Path(scratch) / "lower_bound.duckdb"
        figures = run_lower_bound(landing, database, args.memory_limit, args.threads)
    print_figures(figures)


if __name__ == "__main__":
    main()
