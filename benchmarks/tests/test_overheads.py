"""The fixed-overheads benchmark runs (its figures are not asserted: benchmarks are not tests)."""

from helpers import run_command


def test_overheads_benchmark_smoke() -> None:
    result = run_command(["python", "benchmarks/overheads.py", "--smoke"])
    assert result.returncode == 0, result.stderr
    assert "code location load (s)" in result.stdout
