"""An independent, deliberately simple pure-Python oracle for the warehouse marts.

It reads the landing files directly (see the landing contract) and recomputes the published
figures from the metric definitions, without any SQL, so that an end-to-end test can compare
the dbt marts against it. It assumes the landing files are valid (no rejected rows).

Every mart is returned as ``dict[key_tuple, row_dict]``. Dates are ``datetime.date`` (Asia/Shanghai
calendar days), money is ``Decimal`` quantized to 0.01, rates are ``float`` (or ``None``).

One module a domain, in the order the data flows: ``values`` (parsing, calendar, ratios),
``landing`` (reading files; which export wins), ``orders`` (fct_orders, gmv_daily),
``repurchase`` (repeat purchase, returning buyers, private domain, cohorts), ``livestream``,
``audience`` (fan tiers, GMV slices), ``festivals``, ``trust_card``, ``enforcement``,
``headlines``, and ``marts`` (all of them at once). The entry points are re-exported here.
"""

from .headlines import compute_headlines, compute_headlines_from_records
from .landing import ORDER_CONTRACT_COLUMNS, SOURCES, read_landing
from .marts import compute_marts, compute_marts_from_records
from .values import SHANGHAI

__all__ = [
    "ORDER_CONTRACT_COLUMNS",
    "SHANGHAI",
    "SOURCES",
    "compute_headlines",
    "compute_headlines_from_records",
    "compute_marts",
    "compute_marts_from_records",
    "read_landing",
]
