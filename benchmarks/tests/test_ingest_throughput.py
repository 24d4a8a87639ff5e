"""The ingestion-throughput benchmark runs (its figures are not asserted: benchmarks are not tests).

The script itself raises unless, for every format, ingestion loaded exactly the rows the direct
read did, with none rejected and the same content: a zero exit means that check passed.
"""

from __future__ import annotations

from helpers import run_command

FORMATS = ("parquet", "csv", "csv.gz", "jsonl", "jsonl.gz")


def test_ingest_throughput_benchmark_smoke() -> None:
    result = run_command(["python", "benchmarks/ingest_throughput.py", "--smoke"])
    assert result.returncode == 0, result.stdout + result.stderr
    table_rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    for fmt in FORMATS:
        assert f"{fmt} ingest / direct" in result.stdout
        assert any(line.startswith(f"| {fmt} | 4,000 |") for line in table_rows), fmt
