"""Writing a program-shaped database (for tests, the demo office and benchmarks).

A writer describes a program's tables as columns per table name and its data as rows per table
name; this module creates them on any SQLAlchemy engine and fills them with one executemany per
table. On SQLite the tables go into the file itself (no schema): the readers attach the file
under the program's schema name.
"""

from collections.abc import Collection, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

Rows = list[dict[str, object]]


def write_tables(
    url_or_engine: str | Engine,
    columns: Mapping[str, list[sa.Column]],
    rows: Mapping[str, Rows],
    *,
    schema: str,
    leave_out: Collection[str] = (),
) -> None:
    """Create the tables and insert the rows; `leave_out` names tables ("name") and columns
    ("name.column") to leave out, as older program versions lack them."""
    engine = sa.create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    table_schema = None if engine.dialect.name == "sqlite" else schema
    metadata = _metadata(columns, table_schema, leave_out)
    try:
        with engine.begin() as connection:
            if table_schema is not None:
                connection.execute(sa.schema.CreateSchema(table_schema, if_not_exists=True))
            metadata.create_all(connection)
            for name, table_rows in rows.items():
                table = metadata.tables.get(f"{table_schema}.{name}" if table_schema else name)
                if table is not None and table_rows:
                    _insert(connection, table, table_rows)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def _metadata(
    columns: Mapping[str, list[sa.Column]], schema: str | None, leave_out: Collection[str]
) -> sa.MetaData:
    metadata = sa.MetaData(schema=schema)
    for name, table_columns in columns.items():
        if name not in leave_out:
            kept = [c for c in table_columns if f"{name}.{c.name}" not in leave_out]
            sa.Table(name, metadata, *kept)
    return metadata


def _insert(connection: Connection, table: sa.Table, rows: Rows) -> None:
    """One executemany over the columns the table has; a value a row does not give is NULL."""
    names = list(table.c.keys())
    connection.execute(table.insert(), [{name: row.get(name) for name in names} for row in rows])
