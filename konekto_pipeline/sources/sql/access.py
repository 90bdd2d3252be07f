"""Reading an MS Access .mdb file (Płatnik can keep its data in one) through pyodbc.

On Windows the Microsoft Access driver reads the file; on Linux the MDBTools driver does
(Debian `odbc-mdbtools`). Only what MDBTools understands is used: `SELECT * FROM [table]`, with
columns picked afterwards in pandas.

Surprising parts:
- MDBTools reads files only, never writes them, and ignores the database password (the
  Microsoft driver uses it).
- Currency and decimal values stay `Decimal`; nothing passes through floats.
- MDBTools 1.0 cannot decode dates before 1900 or far in the future (such as 9999-12-31) and
  hands over an impossible day 0. Those values become NaT, and the frame's
  `attrs["unreadable_dates"]` counts them per column, so a reader can report them.
- The drivers print some complaints (a missing file, a missing table) to standard output, so
  files and tables are checked here before the driver sees them.
"""

import logging
import os
import struct
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd

from konekto_pipeline.sources.sql.connection import SqlConnectionError, installed_odbc_drivers

logger = logging.getLogger(__name__)

ACCESS_DRIVERS = (
    "Microsoft Access Driver (*.mdb, *.accdb)",
    "Microsoft Access Driver (*.mdb)",
    "MDBTools",
)
ACCESS_INSTALL_HINT = (
    "on Debian/Ubuntu `apt-get install unixodbc odbc-mdbtools`; on Windows install the "
    "Microsoft Access Database Engine (2016 Redistributable)"
)
# Bytes 4-18 of every Jet (.mdb) and ACE (.accdb) file.
_SIGNATURES = (b"Standard Jet DB", b"Standard ACE DB")
_SQL_TYPE_TIMESTAMP = 93
_TIMESTAMP_STRUCT = struct.Struct("<hHHHHHI")
_UNREADABLE = object()


class AccessSchemaError(Exception):
    """A table or required column that is not in the Access file; the message names both."""


def access_driver(installed: list[str]) -> str:
    """The installed ODBC driver that reads Access files, or a clear error saying what to add."""
    for name in ACCESS_DRIVERS:
        if name in installed:
            return name
    found = ", ".join(installed) if installed else "none"
    raise SqlConnectionError(
        f"no ODBC driver for Access files is installed (installed drivers: {found}): "
        f"{ACCESS_INSTALL_HINT}"
    )


def _timestamp(raw: bytes | None) -> datetime | object | None:
    """pyodbc output converter for SQL_TIMESTAMP_STRUCT that survives impossible dates."""
    if raw is None:
        return None
    year, month, day, hour, minute, second, fraction = _TIMESTAMP_STRUCT.unpack(raw)
    try:
        return datetime(year, month, day, hour, minute, second, fraction // 1000)
    except ValueError:
        return _UNREADABLE


class AccessDatabase:
    """One Access file, opened read-only on first use; `close()` or `with` releases it."""

    def __init__(self, path: Path, password: str | None = None, driver: str | None = None) -> None:
        self.path = Path(path)
        self._password = password
        self._driver = driver
        self._connection: Any = None
        self._descriptor: int | None = None

    def __repr__(self) -> str:
        return f"AccessDatabase({str(self.path)!r})"

    def __enter__(self) -> "AccessDatabase":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None
        if self._descriptor is not None:
            os.close(self._descriptor)
        self._descriptor = None

    def tables(self) -> list[str]:
        """The file's own tables: no queries (views), no MSys* system tables."""
        cursor = self._open().cursor()
        try:
            rows = cursor.tables(tableType="TABLE").fetchall()
        finally:
            cursor.close()
        # MDBTools ignores the tableType filter, so the type is checked here as well.
        return [
            row.table_name
            for row in rows
            if (row.table_type or "").upper() == "TABLE" and not row.table_name.startswith("MSys")
        ]

    def columns(self, table: str) -> list[str]:
        """The column names of `table`, in the file's order."""
        cursor = self._select_all(self._table_name(table))
        try:
            return [column[0] for column in cursor.description]
        finally:
            cursor.close()

    def read_table(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        *,
        required: Sequence[str] = (),
        optional: Sequence[str] = (),
    ) -> pd.DataFrame:
        """The rows of `table`, all columns or only the ones asked for.

        `columns` and `required` must exist; `optional` ones that do not come back as columns
        of None (named in `attrs["missing_optional"]`). Names match case-insensitively and
        come back spelled as asked. Dates are datetimes, money is Decimal.
        """
        name = self._table_name(table)
        frame = self._frame(name)
        if columns is None and not required and not optional:
            return frame
        return self._pick(frame, name, [*(columns or ()), *required], list(optional))

    def _pick(
        self, frame: pd.DataFrame, table: str, required: list[str], optional: list[str]
    ) -> pd.DataFrame:
        present = {str(column).lower(): column for column in frame.columns}
        missing = [column for column in required if column.lower() not in present]
        if missing:
            raise AccessSchemaError(
                f"{self.path}: table {table!r} has no column {', '.join(map(repr, missing))} "
                f"(it has: {', '.join(map(str, frame.columns))})"
            )
        absent = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        picked = pd.DataFrame(
            {
                column: frame[present[column.lower()]] if column.lower() in present else absent
                for column in [*required, *optional]
            },
            index=frame.index,
        )
        picked.attrs = {
            **frame.attrs,
            "missing_optional": [column for column in optional if column.lower() not in present],
        }
        return picked

    def _frame(self, table: str) -> pd.DataFrame:
        cursor = self._select_all(table)
        try:
            names = [column[0] for column in cursor.description]
            rows = [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()
        unreadable: dict[str, int] = {}
        if any(value is _UNREADABLE for row in rows for value in row):
            rows = _drop_unreadable(rows, names, unreadable)
            logger.warning(
                "%s: table %s has dates the driver cannot decode: %s", self.path, table, unreadable
            )
        frame = pd.DataFrame(
            {name: _series([row[i] for row in rows]) for i, name in enumerate(names)},
            columns=names,
        )
        frame.attrs["unreadable_dates"] = unreadable
        return frame

    def _table_name(self, table: str) -> str:
        """The file's own spelling of `table`, or an error naming file and table."""
        tables = self.tables()
        for name in tables:
            if name.lower() == table.lower():
                return name
        raise AccessSchemaError(
            f"{self.path}: there is no table {table!r} (tables: {', '.join(tables) or 'none'})"
        )

    def _select_all(self, table: str) -> Any:
        if "]" in table:
            raise AccessSchemaError(f"{self.path}: table name {table!r} cannot be quoted")
        cursor = self._open().cursor()
        cursor.execute(f"SELECT * FROM [{table}]")
        return cursor

    def _open(self) -> Any:
        if self._connection is None:
            self._check_file()
            self._connection = self._connect()
        return self._connection

    def _check_file(self) -> None:
        if not self.path.is_file():
            raise SqlConnectionError("the Access file does not exist", where=str(self.path))
        try:
            with self.path.open("rb") as handle:
                header = handle.read(19)
        except OSError as error:
            raise SqlConnectionError(
                f"the Access file cannot be read: {error.strerror}", where=str(self.path)
            ) from None
        if header[4:19] not in _SIGNATURES:
            raise SqlConnectionError(
                "this is not an Access database (.mdb/.accdb) file", where=str(self.path)
            )

    def _driver_path(self, driver: str) -> str:
        """The path as the driver can take it.

        unixODBC hands MDBTools the connection string narrowed to one byte per character,
        which garbles Polish letters ("Płatnik" arrives as "PBatnik"). Such a path is passed
        as /proc/self/fd/N of a descriptor held open here, which is plain ASCII.
        """
        text = str(self.path.resolve())
        if text.isascii() or driver != "MDBTools" or not Path("/proc/self/fd").is_dir():
            return text
        if self._descriptor is None:
            self._descriptor = os.open(self.path, os.O_RDONLY)
        return f"/proc/self/fd/{self._descriptor}"

    def _connect(self) -> Any:
        try:
            import pyodbc
        except ImportError as error:
            raise SqlConnectionError(
                f"pyodbc cannot be loaded ({error}): pip install pyodbc; {ACCESS_INSTALL_HINT}",
                where=str(self.path),
            ) from None
        driver = self._driver or access_driver(installed_odbc_drivers())
        parts = [f"DRIVER={{{driver}}}", f"DBQ={_odbc_value(self._driver_path(driver))}"]
        if self._password:
            parts.append(f"PWD={_odbc_value(self._password)}")
        try:
            connection = pyodbc.connect(";".join(parts) + ";", autocommit=True, readonly=True)
        except pyodbc.Error as error:
            self.close()
            reason = _explain(error, driver)
            if self._password:
                reason = reason.replace(self._password, "***")
            raise SqlConnectionError(reason, where=str(self.path)) from None
        connection.add_output_converter(_SQL_TYPE_TIMESTAMP, _timestamp)
        logger.debug("opened Access file %s with driver %s", self.path, driver)
        return connection


def _series(values: list[Any]) -> pd.Series:
    """One column, typed by its values (the timestamp converter hides the driver's types).

    Whole numbers and yes/no become nullable pandas types, so an empty cell does not turn them
    into floats; dates become datetime64 where pandas can hold them; the rest (Decimal money
    included) stays as the driver's Python values.
    """
    kinds = {type(value) for value in values if value is not None}
    if kinds == {bool}:
        return pd.Series(values, dtype="boolean")
    if kinds == {int}:
        return pd.Series(values, dtype="Int64")
    if kinds == {float}:
        return pd.Series(values, dtype="float64")
    if kinds == {datetime}:
        return pd.Series(values)
    return pd.Series(values, dtype=object)


def _odbc_value(value: str) -> str:
    """A connection-string value, braced when it holds characters that would end it."""
    if any(char in value for char in ";{}=") or value != value.strip():
        return "{" + value.replace("}", "}}") + "}"
    return value


def _explain(error: Exception, driver: str) -> str:
    """The driver's complaint as a reason; the connection string (and password) is left out."""
    text = str(error)
    if "Can't open lib" in text or "Data source name not found" in text:
        return (
            f"the ODBC driver {driver} is not installed (installed drivers: "
            f"{', '.join(installed_odbc_drivers()) or 'none'}): {ACCESS_INSTALL_HINT}"
        )
    lines = [line for line in text.splitlines() if line.strip()]
    return f"the Access driver {driver} could not open the file: {lines[0] if lines else text}"


def _drop_unreadable(
    rows: list[tuple[Any, ...]], names: list[str], counts: dict[str, int]
) -> list[tuple[Any, ...]]:
    """The rows with undecodable dates replaced by None, counted per column into `counts`."""
    cleaned = []
    for row in rows:
        values = list(row)
        for index, value in enumerate(values):
            if value is _UNREADABLE:
                values[index] = None
                counts[names[index]] = counts.get(names[index], 0) + 1
        cleaned.append(tuple(values))
    return cleaned
