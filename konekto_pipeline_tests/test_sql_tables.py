"""Tolerant reads through a program's table map, on a real SQLite database.

Program versions differ in their columns; a read must take what is there, give NULL for a
missing optional column, and name the program, table and column when a required one is missing.
Money from a database must come out as exact grosze, whatever the driver hands back.
"""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from konekto_pipeline.sources.sql.tables import (
    SchemaMismatch,
    TableReader,
    TableSpec,
    grosze_from_db,
)

DEKL = TableSpec("DeklNag", required=("DeN_DeNID", "DeN_Kwota"), optional=("DeN_Korekta",))


@pytest.fixture
def connection(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'firma.sqlite'}")
    with engine.begin() as setup:
        setup.exec_driver_sql("CREATE TABLE DeklNag (DeN_DeNID INTEGER, DeN_Kwota DECIMAL(12,2))")
        setup.exec_driver_sql("INSERT INTO DeklNag VALUES (1, '1234.56'), (2, '0.10')")
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def test_a_missing_optional_column_reads_as_null(connection):
    reader = TableReader(connection, "optima")
    table = reader.table(DEKL)
    query = sa.select(table.c.DeN_DeNID, reader.column(DEKL, "DeN_Korekta")).order_by("DeN_DeNID")
    assert connection.execute(query).all() == [(1, None), (2, None)]


def test_amounts_come_out_as_exact_grosze(connection):
    reader = TableReader(connection, "optima")
    amounts = connection.execute(sa.select(reader.table(DEKL).c.DeN_Kwota)).scalars().all()
    assert [grosze_from_db(value, "DeklNag.DeN_Kwota") for value in amounts] == [123456, 10]


def test_a_missing_required_column_names_program_table_and_column(connection):
    spec = TableSpec("DeklNag", required=("DeN_DeNID", "DeN_Okres"))
    with pytest.raises(SchemaMismatch, match=r"optima: table DeklNag: required column DeN_Okres"):
        TableReader(connection, "optima").table(spec)


def test_a_missing_table_is_named(connection):
    with pytest.raises(SchemaMismatch, match=r"optima: table CDN.BnkZdarzenia: table is missing"):
        TableReader(connection, "optima").table(TableSpec("BnkZdarzenia", schema="CDN"))


def test_column_names_match_whatever_their_case(connection):
    spec = TableSpec("DeklNag", required=("den_denid",))
    table = TableReader(connection, "optima").table(spec)
    assert connection.execute(sa.select(table.c.den_denid)).scalars().all() == [1, 2]


@pytest.mark.parametrize(
    ("value", "grosze"),
    [
        (Decimal("1476.32"), 147632),
        (Decimal("1476.3200"), 147632),
        ("1476,32", 147632),
        (12, 1200),
        (1476.32, 147632),  # a double column: accepted only when it is a whole grosz
        (None, 0),
        (Decimal("-10.50"), -1050),
    ],
)
def test_money_from_a_driver_becomes_grosze(value, grosze):
    assert grosze_from_db(value, "t.c") == grosze


@pytest.mark.parametrize("value", [Decimal("1.005"), 1.005, "abc", True])
def test_money_that_is_not_whole_grosze_is_refused_naming_the_place(value):
    with pytest.raises(ValueError, match="t.c"):
        grosze_from_db(value, "t.c")
