"""Inserting many rows through the database driver, for the sweep's hot path.

SQLAlchemy's executemany spends most of its time turning each parameter
into what the driver wants. Here that work is done once per column, and the
rows go straight to the driver's ``executemany``. Values come out exactly as
SQLAlchemy would write them, so the ORM reads them back unchanged: instants
as aware UTC (naive UTC text on SQLite), JSON as text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.orm import Session

from slaengine.models import UTCDateTime


def _sqlite_instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _same(value: Any) -> Any:
    return value


def _converter(column_type: Any, dialect: str) -> Callable[[Any], Any]:
    if isinstance(column_type, UTCDateTime):
        return _sqlite_instant if dialect == "sqlite" else _same
    if isinstance(column_type, JSON):
        return _json
    return _same


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    skip_conflicts_on: Sequence[str] = (),
) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``.

    :param skip_conflicts_on: a unique key; rows that would repeat it are
        left out (``ON CONFLICT DO NOTHING``, on SQLite and PostgreSQL).
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    names = list(rows[0])
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join([mark] * len(names))})"
    )
    if skip_conflicts_on:
        sql += f" ON CONFLICT ({', '.join(quote(n) for n in skip_conflicts_on)}) DO NOTHING"
    converters = [_converter(table.c[name].type, dialect.name) for name in names]
    connection.exec_driver_sql(
        sql,
        [tuple(convert(row[name]) for convert, name in zip(converters, names, strict=True))
         for row in rows],
    )
