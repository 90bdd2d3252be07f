"""Reading Access .mdb files through the real ODBC driver (MDBTools on Linux).

The files are public samples (Northwind with its German table `Umsätze`, and MDB Tools' own
date test file), read in place: tables, columns, money as Decimal, dates as dates, required and
optional columns, and the errors an office meets (no file, not an Access file, no driver).
"""

import shutil
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from konekto_pipeline.sources.sql.access import (
    ACCESS_DRIVERS,
    AccessDatabase,
    AccessSchemaError,
    access_driver,
)
from konekto_pipeline.sources.sql.connection import SqlConnectionError, installed_odbc_drivers


@pytest.fixture
def access_dir(samples_dir: Path) -> Path:
    """The Access samples, when an ODBC driver for Access files is installed."""
    if not any(driver in installed_odbc_drivers() for driver in ACCESS_DRIVERS):
        pytest.skip(
            "no ODBC driver for Access files is installed "
            "(apt-get install unixodbc odbc-mdbtools, and pip install pyodbc)"
        )
    return samples_dir / "access"


@pytest.fixture
def northwind(access_dir: Path) -> Iterator[AccessDatabase]:
    with AccessDatabase(access_dir / "nwind.mdb") as database:
        yield database


def test_tables_are_listed_with_non_ascii_names_and_without_system_tables(
    northwind: AccessDatabase,
) -> None:
    tables = northwind.tables()

    assert {"Orders", "Order Details", "Customers", "Umsätze"} <= set(tables)
    assert not [name for name in tables if name.startswith("MSys")]
    assert "Invoices" not in tables  # a saved query, not a table


def test_columns_come_in_the_files_order(northwind: AccessDatabase) -> None:
    columns = northwind.columns("Umsätze")

    assert columns[:4] == ["OrderID", "CustomerID", "EmployeeID", "OrderDate"]
    assert "Freight" in columns


def test_a_table_with_a_non_ascii_name_reads_money_as_decimal_and_dates_as_dates(
    northwind: AccessDatabase,
) -> None:
    frame = northwind.read_table("Umsätze")

    first = frame.sort_values("OrderID").iloc[0]
    assert len(frame) > 100
    assert pd.api.types.is_datetime64_any_dtype(frame["OrderDate"])
    assert isinstance(first["Freight"], Decimal)
    assert frame["Freight"].map(type).eq(Decimal).all()
    assert frame.attrs["unreadable_dates"] == {}


def test_orders_keep_text_with_accents(northwind: AccessDatabase) -> None:
    frame = northwind.read_table("Orders")

    order = frame.loc[frame["OrderID"] == 10330].iloc[0]
    assert order["ShipAddress"] == "Carrera 52 con Ave. Bolívar #65-98 Llano Largo"
    assert order["OrderDate"] == pd.Timestamp(1994, 11, 16)
    assert order["Freight"] == Decimal("12.7500")


def test_required_and_optional_columns_are_picked_case_insensitively(
    northwind: AccessDatabase,
) -> None:
    frame = northwind.read_table(
        "orders", required=["orderid", "OrderDate", "FREIGHT"], optional=["Skonto", "ShipCity"]
    )

    assert list(frame.columns) == ["orderid", "OrderDate", "FREIGHT", "Skonto", "ShipCity"]
    assert frame["Skonto"].isna().all()
    assert frame.attrs["missing_optional"] == ["Skonto"]
    assert str(frame["orderid"].dtype) == "Int64"


def test_columns_argument_picks_columns_that_must_exist(northwind: AccessDatabase) -> None:
    frame = northwind.read_table("Order Details", ["OrderID", "UnitPrice"])

    assert list(frame.columns) == ["OrderID", "UnitPrice"]
    assert isinstance(frame["UnitPrice"].iloc[0], Decimal)


def test_a_missing_required_column_names_file_table_and_column(
    northwind: AccessDatabase, access_dir: Path
) -> None:
    with pytest.raises(AccessSchemaError) as raised:
        northwind.read_table("Orders", required=["OrderID", "KwotaZUS"])

    message = str(raised.value)
    assert message.startswith(
        f"{access_dir / 'nwind.mdb'}: table 'Orders' has no column 'KwotaZUS'"
    )


def test_a_missing_table_names_file_and_table(northwind: AccessDatabase, access_dir: Path) -> None:
    with pytest.raises(AccessSchemaError) as raised:
        northwind.read_table("ZUSDRA")

    assert str(raised.value).startswith(f"{access_dir / 'nwind.mdb'}: there is no table 'ZUSDRA'")


def test_dates_come_out_as_dates_and_undecodable_ones_are_counted(access_dir: Path) -> None:
    with AccessDatabase(access_dir / "DateTestDatabase.mdb") as database:
        frame = database.read_table("DateTest").set_index("IDCol")

    assert pd.api.types.is_datetime64_any_dtype(frame["DateTimeCol"])
    assert frame.loc[1, "DateTimeCol"] == datetime(2021, 12, 2)
    assert frame.loc[6, "DateCol"] == datetime(2021, 12, 2)
    assert frame.loc[6, "LongTextCol"] == "New line\r\nin field"
    # MDBTools 1.0 cannot decode the rows of years 9999, pre-1900 and pre-1000.
    unreadable = frame.attrs["unreadable_dates"]
    assert unreadable["DateTimeCol"] == frame["DateTimeCol"].isna().sum() == 3


def test_a_path_with_polish_letters_and_spaces_is_read(access_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "Płatnik dane" / "zażółć.mdb"
    copy.parent.mkdir()
    shutil.copyfile(access_dir / "nwind.mdb", copy)

    with AccessDatabase(copy) as database:
        assert "Umsätze" in database.tables()


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "platnik.mdb"

    with pytest.raises(SqlConnectionError) as raised:
        AccessDatabase(path).tables()

    assert raised.value.where == str(path)
    assert raised.value.reason == "the Access file does not exist"


def test_a_file_that_is_not_an_access_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "platnik.mdb"
    path.write_text("to nie jest baza Accessa\n", encoding="utf-8")

    with pytest.raises(SqlConnectionError, match="not an Access database"):
        AccessDatabase(path).tables()


def test_a_driver_that_is_not_installed_says_what_to_install(access_dir: Path) -> None:
    database = AccessDatabase(
        access_dir / "nwind.mdb", password="Tajne-Haslo-42", driver="No Such Access Driver"
    )

    with pytest.raises(SqlConnectionError) as raised:
        database.tables()

    assert raised.value.reason.startswith("the ODBC driver No Such Access Driver is not installed")
    assert "odbc-mdbtools" in raised.value.reason
    assert "Tajne-Haslo-42" not in str(raised.value)


def test_no_access_driver_among_the_installed_ones_says_what_to_install() -> None:
    with pytest.raises(SqlConnectionError) as raised:
        access_driver(["FreeTDS"])

    assert "(installed drivers: FreeTDS)" in raised.value.reason
    assert "apt-get install unixodbc odbc-mdbtools" in raised.value.reason
    assert "Microsoft Access Database Engine" in raised.value.reason


@pytest.mark.parametrize(
    ("installed", "chosen"),
    [
        (["MDBTools", "FreeTDS"], "MDBTools"),
        (
            ["MDBTools", "Microsoft Access Driver (*.mdb, *.accdb)"],
            "Microsoft Access Driver (*.mdb, *.accdb)",
        ),
    ],
)
def test_the_microsoft_access_driver_is_preferred_where_installed(
    installed: list[str], chosen: str
) -> None:
    assert access_driver(installed) == chosen
