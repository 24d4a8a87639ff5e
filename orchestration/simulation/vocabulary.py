"""The landing contract's enums and columns, as the simulators use them.

Every enum value comes from `orchestration.landing.contract`, never re-declared here. Numpy
arrays cannot hold strings cheaply, so the calibrated simulator stores an enum value as its
position in the contract's list (`ORDER_STATUS["paid"]`) and SQL turns it back into the name
(`ORDER_STATUS.sql("status")`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from orchestration.landing.contract import SOURCES as CONTRACT
from orchestration.landing.contract import ColumnKind


@dataclass(frozen=True)
class Vocabulary:
    """The allowed values of one enum, coded by their position."""

    values: tuple[str, ...]

    def __getitem__(self, value: str) -> int:
        return self.values.index(value)

    def sql(self, column: str) -> str:
        """SQL that renders the integer code in `column` as the value's name."""
        listed = ", ".join(f"'{v}'" for v in self.values)
        return f"[{listed}][{column} + 1]"


def _enum(source: str, column: str) -> Vocabulary:
    (found,) = (c for c in CONTRACT[source].columns if c.name == column)
    return Vocabulary(found.values)


def columns(source: str) -> tuple[str, ...]:
    return CONTRACT[source].column_names


ORDER_STATUS = _enum("orders", "status")
ENTRY_POINT = _enum("orders", "entry_point")
TRUST_CARD_RIGHT = _enum("trust_card_events", "right")
ACTION_TYPE = _enum("enforcement_actions", "action_type")
REASON = _enum("enforcement_actions", "reason")
TARGET_TYPE = _enum("enforcement_actions", "target_type")

# Product categories are the simulators' own (the contract leaves `category` free text).
CATEGORY = Vocabulary(("美妆", "apparel", "food", "home", "electronics", "jewelry", "mother_baby"))

# Parquet types of each contract column kind; quantities fit 32 bits.
_ARROW_TYPES: dict[ColumnKind, pa.DataType] = {
    "id": pa.string(),
    "string": pa.string(),
    "enum": pa.string(),
    "integer": pa.int32(),
    "money": pa.decimal128(18, 2),
    "timestamp": pa.timestamp("us", tz="Asia/Shanghai"),
}


def arrow_schema(source: str) -> pa.Schema:
    return pa.schema([(c.name, _ARROW_TYPES[c.kind]) for c in CONTRACT[source].columns])
