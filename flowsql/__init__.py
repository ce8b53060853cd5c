"""flowsql: Athena tables and canned investigations for Amazon VPC Flow Logs."""

from __future__ import annotations

from flowsql.errors import FlowsqlError
from flowsql.table import TableSpec
from flowsql.window import TimeWindow

__all__ = ["FlowsqlError", "TableSpec", "TimeWindow"]
__version__ = "0.1.0"
