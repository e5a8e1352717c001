"""DDL for collection tables, built with SQLAlchemy Core for the target dialect.

A schema change is a list of statements the storage runs in one transaction:
drop the collection's indexes, rename the table, drop / rename / add columns, convert the
data of fields that switched between single and multiple values, recreate the indexes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.schema import CreateColumn, CreateTable

from backroom.core.collections.indexes import parse_index
from backroom.core.collections.model import Collection
from backroom.core.fields.base import ColumnKind, Field

__all__ = [
    "collection_table",
    "column_type",
    "create_statements",
    "drop_statements",
    "schema_change_statements",
]

_TYPES: dict[ColumnKind, Any] = {
    ColumnKind.TEXT: sa.Text(),
    ColumnKind.NUMBER: sa.Numeric(),
    ColumnKind.BOOL: sa.Boolean(create_constraint=False),
    ColumnKind.JSON: sa.JSON(),
}


def _literal(kind: ColumnKind, value: Any) -> Any:
    if kind is ColumnKind.BOOL:
        return sa.false() if not value else sa.true()
    if kind is ColumnKind.NUMBER:
        return sa.text(str(int(value) if float(value).is_integer() else float(value)))
    return str(value)


def column_type(f: Field) -> Any:
    """The SQL type of the field's column."""
    return sa.Text() if f.name == "id" else _TYPES[f.column.kind]


def _column(f: Field) -> sa.Column[Any]:
    col = f.column
    if f.name == "id":
        return sa.Column("id", sa.Text(), primary_key=True, nullable=False)
    default = None if col.default is None else _literal(col.kind, col.default)
    return sa.Column(f.name, _TYPES[col.kind], nullable=col.default is None, server_default=default)


def collection_table(collection: Collection) -> sa.Table:
    cols = [_column(f) for f in collection.fields]
    return sa.Table(collection.name, sa.MetaData(), *cols)


def _q(dialect: Dialect, name: str) -> str:
    return dialect.identifier_preparer.quote_identifier(name)


def _index_sql(dialect: Dialect, collection: Collection) -> list[str]:
    out = []
    for raw in collection.indexes:
        idx = parse_index(raw)
        if idx is None:
            continue
        cols = []
        for c in idx.columns:
            part = _q(dialect, c.name)
            if c.collate and dialect.name == "sqlite":
                part += f" COLLATE {c.collate.upper()}"
            if c.order:
                part += f" {c.order}"
            cols.append(part)
        unique = "UNIQUE " if idx.unique else ""
        out.append(
            f"CREATE {unique}INDEX {_q(dialect, idx.name)} "
            f"ON {_q(dialect, collection.name)} ({', '.join(cols)})"
            + (f" WHERE {_q(dialect, idx.where_not_empty)} != ''" if idx.where_not_empty else "")
        )
    return out


def _drop_index_sql(dialect: Dialect, collection: Collection) -> list[str]:
    out = []
    for raw in collection.indexes:
        idx = parse_index(raw)
        if idx is not None:
            out.append(f"DROP INDEX IF EXISTS {_q(dialect, idx.name)}")
    return out


def create_statements(dialect: Dialect, collection: Collection) -> list[str]:
    table = collection_table(collection)
    return [
        str(CreateTable(table).compile(dialect=dialect)).strip(),
        *_index_sql(dialect, collection),
    ]


def drop_statements(dialect: Dialect, collection: Collection) -> list[str]:
    return [
        *_drop_index_sql(dialect, collection),
        f"DROP TABLE IF EXISTS {_q(dialect, collection.name)}",
    ]


def _convert_multiplicity(dialect: Dialect, table: str, old: Field, new: Field) -> str | None:
    if old.is_multiple == new.is_multiple or old.column.kind is ColumnKind.NUMBER:
        return None
    t, c = _q(dialect, table), _q(dialect, new.name)
    if new.is_multiple:
        return f"UPDATE {t} SET {c} = CASE WHEN {c} = '' THEN '[]' ELSE json_array({c}) END"
    return f"UPDATE {t} SET {c} = COALESCE(json_extract({c}, '$[#-1]'), '') WHERE json_valid({c})"


def schema_change_statements(dialect: Dialect, old: Collection, new: Collection) -> list[str]:
    stmts = _drop_index_sql(dialect, old)
    if old.name != new.name:
        stmts.append(f"ALTER TABLE {_q(dialect, old.name)} RENAME TO {_q(dialect, new.name)}")
    table = _q(dialect, new.name)
    new_ids = {f.id for f in new.fields}
    for f in old.fields:
        if f.id not in new_ids:
            stmts.append(f"ALTER TABLE {table} DROP COLUMN {_q(dialect, f.name)}")
    for f in new.fields:
        prev = old.field_by_id(f.id)
        if prev is None:
            col = str(CreateColumn(_column(f)).compile(dialect=dialect))
            stmts.append(f"ALTER TABLE {table} ADD COLUMN {col}")
            continue
        if prev.name != f.name:
            old_col, new_col = _q(dialect, prev.name), _q(dialect, f.name)
            stmts.append(f"ALTER TABLE {table} RENAME COLUMN {old_col} TO {new_col}")
        convert = _convert_multiplicity(dialect, new.name, prev, f)
        if convert:
            stmts.append(convert)
    stmts.extend(_index_sql(dialect, new))
    return stmts
