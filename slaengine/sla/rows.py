"""Writing many rows at once, for the sweep's hot path.

SQLAlchemy's executemany spends most of its time turning each parameter
into what the driver wants, and on PostgreSQL each row is still a statement
for the server to run. Here:

- on PostgreSQL a batch is one statement: every column is sent as one
  array and ``unnest`` turns the arrays back into rows;
- on SQLite, where statements are cheap and in-process, rows go straight to
  the driver's ``executemany``, with instants as the naive UTC text
  SQLAlchemy itself writes.

Values every row shares are sent once (``common``), and :func:`among` sends
a batch's ids to PostgreSQL as one array rather than a parameter each.

Values read back through the ORM exactly as if the ORM had written them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ARRAY, JSON, ColumnElement, Table, any_, bindparam
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from slaengine.models import UTCDateTime

Rows = Sequence[Mapping[str, Any]]


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


def _columns(connection: Connection, table: Table, names: Sequence[str]):
    """Quoted names, PostgreSQL array types and value converters of columns."""
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    quoted = [quote(name) for name in names]
    types = [table.c[name].type.compile(dialect=dialect) for name in names]
    converters = [_converter(table.c[name].type, dialect.name) for name in names]
    return quoted, types, converters


def _arrays(rows: Rows, names: Sequence[str], converters) -> list[list[Any]]:
    pairs = zip(names, converters, strict=True)
    return [[convert(row[name]) for row in rows] for name, convert in pairs]


def among(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement:
    """``column IN values``, sent to PostgreSQL as one array parameter.

    An IN list of a batch's ids is a parameter per id for SQLAlchemy to
    render and the driver to parse; ``= ANY(array)`` is one.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def insert_rows(
    session: Session,
    table: Table,
    rows: Rows,
    *,
    common: Mapping[str, Any] | None = None,
    skip_conflicts_on: Sequence[str] = (),
    replace_on: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple]:
    """Insert ``rows`` (dicts with the same keys) into ``table``.

    :param common: values of further columns, the same for every row.
    :param skip_conflicts_on: a unique key; rows that would repeat it are
        left out (``ON CONFLICT DO NOTHING``).
    :param replace_on: a unique key; a row that would repeat it sets the
        other columns of the row already there instead (``DO UPDATE``).
    :param returning: columns to return for the rows inserted.
    :returns: one tuple of ``returning`` values per row inserted.
    """
    if not rows:
        return []
    common = common or {}
    connection = session.connection()
    names = list(rows[0])
    quoted, types, converters = _columns(connection, table, [*names, *common])
    quote = connection.dialect.identifier_preparer.quote
    target = f"INSERT INTO {quote(table.name)} ({', '.join(quoted)}) "
    tail = ""
    if skip_conflicts_on:
        tail = f" ON CONFLICT ({', '.join(skip_conflicts_on)}) DO NOTHING"
    if replace_on:
        pairs = zip([*names, *common], quoted, strict=True)
        kept = [column for name, column in pairs if name not in replace_on]
        settings = ", ".join(f"{column} = excluded.{column}" for column in kept)
        tail = f" ON CONFLICT ({', '.join(replace_on)}) DO UPDATE SET {settings}"
    if returning:
        tail += f" RETURNING {', '.join(returning)}"
    own, shared = converters[: len(names)], converters[len(names) :]
    once = [c(value) for c, value in zip(shared, common.values(), strict=True)]
    if connection.dialect.name == "postgresql":
        arrays = ", ".join(f"%b::{kind}[]" for kind in types[: len(names)])
        scalars = "".join(f", %b::{kind}" for kind in types[len(names) :])
        result = connection.exec_driver_sql(
            f"{target}SELECT *{scalars} FROM unnest({arrays}){tail}",
            (*once, *_arrays(rows, names, own)),
        )
        return [tuple(row) for row in result.all()] if returning else []
    pairs = list(zip(names, own, strict=True))
    values = [(*(convert(row[n]) for n, convert in pairs), *once) for row in rows]
    statement = f"{target}VALUES ({', '.join('?' * len(quoted))}){tail}"
    if not returning:
        connection.exec_driver_sql(statement, values)
        return []
    # sqlite3's executemany cannot return rows: one statement a row, in-process.
    cursor = connection.connection.driver_connection.cursor()
    found = []
    for row in values:
        found.extend(tuple(r) for r in cursor.execute(statement, row).fetchall())
    cursor.close()
    return found


def update_rows(session: Session, table: Table, rows: Rows, *, key: str = "id") -> None:
    """Set the columns given in each row on the row of ``table`` with its ``key``."""
    if not rows:
        return
    connection = session.connection()
    names = list(rows[0])
    quoted, types, converters = _columns(connection, table, names)
    quote = connection.dialect.identifier_preparer.quote
    name_of = dict(zip(names, quoted, strict=True))
    settings = ", ".join(f"{name_of[n]} = v.{name_of[n]}" for n in names if n != key)
    if connection.dialect.name == "postgresql":
        arrays = ", ".join(f"%b::{kind}[]" for kind in types)
        connection.exec_driver_sql(
            f"UPDATE {quote(table.name)} SET {settings} "
            f"FROM unnest({arrays}) AS v({', '.join(quoted)}) "
            f"WHERE {quote(table.name)}.{name_of[key]} = v.{name_of[key]}",
            tuple(_arrays(rows, names, converters)),
        )
        return
    assignments = ", ".join(f"{name_of[n]} = ?" for n in names if n != key)
    order = [n for n in names if n != key] + [key]
    convert = dict(zip(names, converters, strict=True))
    connection.exec_driver_sql(
        f"UPDATE {quote(table.name)} SET {assignments} WHERE {name_of[key]} = ?",
        [tuple(convert[n](row[n]) for n in order) for row in rows],
    )
