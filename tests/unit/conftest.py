"""Fixtures of the unit tests."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest


@pytest.fixture
def conn(tmp_path: Path):
    """A connection to a fresh warehouse file."""
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        yield connection
