"""The ranges of the integers the database stores, to refuse the others at the edge.

A number beyond a column's range does not merely match nothing: SQLite refuses a
Python int above 2**63 - 1 ("Python int too large to convert"), and PostgreSQL
refuses one above its column type (NumericValueOutOfRange), both as a 500. Every
integer a request carries (path, query, form or body) is therefore validated
against these bounds before it reaches a query.

Row ids are `integer` columns: 32 bits on PostgreSQL (SQLite would take 64), so the
narrower range is the one both backends accept.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

ROW_ID_MAX = INT32_MAX  # `id` and `…_id` columns, checklist versions
# No listing can skip more rows than a table can number.
OFFSET_MAX = ROW_ID_MAX

RowId = Annotated[int, Field(ge=1, le=ROW_ID_MAX)]
"""A row id in a body model: 1 … ROW_ID_MAX."""
