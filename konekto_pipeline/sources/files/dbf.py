"""Reading one DBF table exactly: every byte decoded in the right code page, amounts as Decimal.

The file is read once; dbfread's header and field structures decode its header from those bytes
and its memo readers read the memo file; the records are parsed here from the same snapshot,
because what dBASE-era programs leave in their files needs more care than a general reader gives:

- numeric fields become `Decimal` (never float); trailing NULs and a lone "." are empty, a field
  of nothing but NULs is an error (never written); the "**"
  a program writes when a value did not fit, a NUL inside the digits, or "inf"/"nan", is an
  error for that record, never a guess; Visual FoxPro currency (Y) and double (B) fields are
  `Decimal`s too (B is a memo only in the other dBASE dialects);
- dates that are blank, zero or NUL are empty; any other unreadable date is an error for that
  record;
- deleted records are skipped and counted; a memo file that is missing leaves memo fields empty
  and is reported once for the file;
- a file that changes while it is read, is shorter than its header says, or is locked by the
  program that writes it (the memo file too), is read again after a pause; if it stays so, the
  file is refused with the reason. A half-written file is never read as if it were whole.

A problem in one record (a field that cannot be read) is reported with the record number and the
field, and the other records carry on.
"""

import datetime as dt
import errno
import math
import re
import struct
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from dbfread.dbf import DBFField, DBFHeader
from dbfread.memo import BinaryMemo, open_memofile

from konekto_pipeline.sources.files.encodings import Choice, canonical, choose
from konekto_pipeline.sources.files.paths import find_entry

_PLAIN_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?")
_SMALLEST_HEADER = 33  # 32 bytes of header and the byte that ends the field list
_LIVE = 0x20
_DELETED = 0x2A
_END_OF_FILE = 0x1A
_BUSY_ERRNOS = {errno.EACCES, errno.EAGAIN, errno.EBUSY, errno.ETXTBSY}
_TEXT_TYPES = frozenset("CV")
_NUMERIC_TYPES = frozenset("NF")
_MEMO_TYPES = frozenset("MGPB")
_VISUAL_FOXPRO = frozenset({0x30, 0x31, 0x32})


class DbfError(Exception):
    """A DBF file that cannot be read at all; the message names the file and the reason."""


@dataclass(frozen=True)
class Retry:
    """How long to wait for a file the program is writing: `attempts` reads, `pause` apart."""

    attempts: int = 5
    pause: float = 0.2


@dataclass(frozen=True)
class RecordProblem:
    """One record (1-based, as the program counts them) that could not be read, and why."""

    record: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"record {self.record}, field {self.field}: {self.message}"


@dataclass
class DbfTable:
    """The live records of one file, with what was learnt reading it."""

    path: Path
    encoding: Choice
    language_driver: int
    field_names: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    record_numbers: list[int] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)
    deleted: int = 0

    def has(self, name: str) -> bool:
        return name.upper() in self.field_names


def read_dbf(
    path: Path,
    *,
    program_encoding: str,
    encoding: str | None = None,
    fields: Collection[str] | None = None,
    retry: Retry | None = None,
) -> DbfTable:
    """Read a DBF file's live records; only `fields` (upper-case names) when given.

    `program_encoding` is the code page the program is known to write; `encoding` the one the
    office set in the settings (which wins). Raises DbfError when the file cannot be read.
    """
    retry = retry or Retry()
    program = canonical(program_encoding)
    configured = canonical(encoding) if encoding else None
    for attempt in range(1, retry.attempts + 1):
        try:
            return _read_once(path, program, configured, fields)
        except _Unsteady as unsteady:
            if attempt == retry.attempts:
                raise DbfError(
                    f"{path}: {unsteady} (tried {retry.attempts} times over "
                    f"{retry.pause * (retry.attempts - 1):.1f} s; is the program writing it?)"
                ) from None
            time.sleep(retry.pause)
    raise AssertionError("unreachable")


class _Unsteady(Exception):
    """The file is being written: locked, changing, or shorter than its header says."""


def _read_once(
    path: Path, program_encoding: str, configured: str | None, fields: Collection[str] | None
) -> DbfTable:
    before = _stat(path)
    data = _read_bytes(path)
    if len(data) < _SMALLEST_HEADER:
        _check_steady(path, before)
        raise DbfError(
            f"{path}: empty (0 bytes)"
            if not data
            else f"{path}: not a DBF table ({len(data)} bytes, less than a DBF header)"
        )
    try:
        header = _open(path, data, configured or program_encoding)
        _check_size(path, header, len(data))
    except DbfError:
        _check_steady(path, before)
        raise
    _check_steady(path, before)
    layout = _layout(header, fields)
    choice = choose(
        header.header.language_driver,
        _high_bytes(data, header, layout),
        configured=configured,
        program_default=program_encoding,
    )
    table = DbfTable(
        path=path,
        encoding=choice,
        language_driver=header.header.language_driver,
        field_names=tuple(name.upper() for name in header.field_names),
    )
    _records(table, data, header, layout)
    return table


def _stat(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DbfError(f"{path}: file not found") from None
    except OSError as error:
        raise DbfError(f"{path}: cannot be read ({error.strerror})") from None
    return stat.st_size, stat.st_mtime_ns


def _check_steady(path: Path, before: tuple[int, int]) -> None:
    if _stat(path) != before:
        raise _Unsteady("the file changed while it was read")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        if _is_busy(error):
            raise _Unsteady(f"locked ({error.strerror})") from None
        raise DbfError(f"{path}: cannot be read ({error.strerror})") from None


def _is_busy(error: OSError) -> bool:
    """A sharing violation (Windows) or a lock: the program holds the file for a moment."""
    return error.errno in _BUSY_ERRNOS or getattr(error, "winerror", None) in (32, 33)


@dataclass
class _Opened:
    """A table's header and field list as dbfread's structures describe them, and its memo file."""

    header: Any
    fields: list[Any]
    memofilename: str | None = None

    @property
    def field_names(self) -> list[str]:
        return [spec.name for spec in self.fields]


def _open(path: Path, data: bytes, header_encoding: str) -> _Opened:
    """The header and fields from the bytes already read, so that both come from one snapshot
    of the file (dbfread's own `DBF` would open the file again, and look for memo files with a
    glob per table)."""
    try:
        header = DBFHeader.unpack(data[: DBFHeader.size])
    except struct.error as error:
        raise DbfError(f"{path}: not a readable DBF table ({error})") from None
    fields, offset = [], DBFHeader.size
    while data[offset : offset + 1] not in (b"\r", b"\n", b""):
        raw = data[offset : offset + DBFField.size]
        if len(raw) < DBFField.size:
            raise DbfError(f"{path}: not a readable DBF table (its field list is cut short)")
        fields.append(_field(path, DBFField.unpack(raw), header_encoding))
        offset += DBFField.size
    opened = _Opened(header, fields)
    if any(spec.type in _MEMO_TYPES for spec in fields):
        opened.memofilename = _memo_path(path)
    return opened


def _field(path: Path, spec: Any, header_encoding: str) -> Any:
    spec.type = chr(spec.type[0])
    if spec.type == "C":  # character fields longer than 255 keep the high byte here
        spec.length |= spec.decimal_count << 8
        spec.decimal_count = 0
    spec.name = spec.name.split(b"\0")[0].decode(header_encoding, errors="replace")
    for kind, length in (("I", 4), ("L", 1)):
        if spec.type == kind and spec.length != length:
            raise DbfError(
                f"{path}: not a readable DBF table (Field type {kind} must have length "
                f"{length} (was {spec.length}))"
            )
    return spec


def _memo_path(path: Path) -> str | None:
    for suffix in (".fpt", ".dbt"):
        try:
            found = find_entry(path.parent, path.stem + suffix)
        except (OSError, ValueError):
            found = None
        if found is not None:
            return str(found)
    return None


def _check_size(path: Path, table: _Opened, size: int) -> None:
    header = table.header
    if header.recordlen <= 0 or header.headerlen < 32:
        raise DbfError(f"{path}: not a DBF table (header length {header.headerlen})")
    used = 1 + sum(spec.length for spec in table.fields)
    if used > header.recordlen:
        # Reading on would take each field's bytes from the wrong place: refuse, never guess.
        raise DbfError(
            f"{path}: not a readable DBF table (its fields take {used} bytes, "
            f"its header says a record has {header.recordlen})"
        )
    expected = header.headerlen + header.numrecords * header.recordlen
    if size < expected:
        held = max(0, (size - header.headerlen) // header.recordlen)
        raise _Unsteady(
            f"truncated: its header counts {header.numrecords} records, the file holds {held}"
        )


@dataclass(frozen=True)
class _Field:
    name: str
    type: str
    start: int
    end: int
    decimals: int


def _layout(table: _Opened, wanted: Collection[str] | None) -> list[_Field]:
    names = None if wanted is None else {name.upper() for name in wanted}
    layout, start = [], 1
    for spec in table.fields:
        name = spec.name.upper()
        if names is None or name in names:
            layout.append(_Field(name, spec.type, start, start + spec.length, spec.decimal_count))
        start += spec.length
    return layout


def _high_bytes(data: bytes, table: _Opened, layout: list[_Field]) -> Counter[int]:
    """Bytes >= 0x80 in the text fields of the first records: the evidence for the code page."""
    counts: Counter[int] = Counter()
    text = [spec for spec in layout if spec.type in _TEXT_TYPES]
    header = table.header
    for index in range(min(header.numrecords, 2000)):
        offset = header.headerlen + index * header.recordlen
        for spec in text:
            counts.update(
                byte for byte in data[offset + spec.start : offset + spec.end] if byte > 127
            )
    return counts


def _records(table: DbfTable, data: bytes, dbf: _Opened, layout: list[_Field]) -> None:
    header = dbf.header
    memo = _memo_file(table, dbf, layout)
    parse = _Parser(table.encoding.encoding, memo, dbf.header.dbversion in _VISUAL_FOXPRO)
    readers = [(spec.name, spec.start, spec.end, parse.reader(spec.type)) for spec in layout]
    try:
        for index in range(header.numrecords):
            offset = header.headerlen + index * header.recordlen
            flag = data[offset]
            if flag == _DELETED:
                table.deleted += 1
                continue
            if flag == _END_OF_FILE:
                table.file_problems.append(
                    f"end-of-file mark after {index} of {header.numrecords} records"
                )
                break
            if flag != _LIVE:
                table.problems.append(RecordProblem(index + 1, "(flag)", f"bad flag {flag:#04x}"))
                continue
            parse.record = index + 1
            row = _row(data, offset, readers, index + 1, table.problems)
            if row is not None:
                table.rows.append(row)
                table.record_numbers.append(index + 1)
    finally:
        if memo is not None:
            memo._close()
    if parse.cut_memos:
        table.file_problems.append(
            f"its memo file {Path(dbf.memofilename).name} is cut short: the memos of records "
            f"{', '.join(str(record) for record in parse.cut_memos)} are read as empty"
        )


def _row(
    data: bytes,
    offset: int,
    readers: list[tuple[str, int, int, Callable[[bytes], Any]]],
    record: int,
    problems: list[RecordProblem],
) -> dict[str, Any] | None:
    row: dict[str, Any] = {}
    for name, start, end, read in readers:
        try:
            row[name] = read(data[offset + start : offset + end])
        except ValueError as error:
            problems.append(RecordProblem(record, name, str(error)))
            return None
    return row


def _memo_file(table: DbfTable, dbf: _Opened, layout: list[_Field]) -> Any:
    memo_types = _MEMO_TYPES - {"B"} if dbf.header.dbversion in _VISUAL_FOXPRO else _MEMO_TYPES
    if not any(spec.type in memo_types for spec in layout):
        return None
    if dbf.memofilename is None:
        table.file_problems.append(
            "its memo file (.dbt/.fpt) is missing: memo fields are read as empty"
        )
        return None
    try:
        return open_memofile(dbf.memofilename, dbf.header.dbversion)
    except OSError as error:
        if _is_busy(error):
            raise _Unsteady(f"its memo file {dbf.memofilename} is locked") from None
        raise DbfError(
            f"{table.path}: its memo file {dbf.memofilename} cannot be read ({error.strerror})"
        ) from None
    except struct.error:
        raise DbfError(
            f"{table.path}: its memo file {dbf.memofilename} is too short for a memo header"
        ) from None


class _Parser:
    """Turns one field's bytes into a value; raises ValueError with a reason a person can read."""

    def __init__(self, encoding: str, memo: Any, visual_foxpro: bool) -> None:
        self.encoding = encoding
        self.memo = memo
        self.visual_foxpro = visual_foxpro
        self.record = 0
        # Memos are notes, never amounts: one the memo file no longer holds is read as empty
        # and said once for the file, rather than costing its record.
        self.cut_memos: list[int] = []
        self.memo_end = _memo_size(memo)

    def reader(self, kind: str) -> Callable[[bytes], Any]:
        """The function that reads a field of type `kind`, chosen once per file."""
        if kind in _TEXT_TYPES:
            return self.text_field
        if kind in _NUMERIC_TYPES:
            return number
        if kind == "B" and self.visual_foxpro:
            return double
        if kind in _MEMO_TYPES:
            return self.memo_text
        return _FIXED_READERS.get(kind, bytes)

    def text_field(self, raw: bytes) -> str:
        return self.text(raw.rstrip(b"\x00 "))

    def text(self, raw: bytes) -> str:
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError as error:
            bad = raw[error.start]
            raise ValueError(
                f"byte 0x{bad:02X} is not a character in {self.encoding} (wrong code page?)"
            ) from None

    def memo_text(self, raw: bytes) -> str | None:
        if self.memo is None:
            return None
        index = _memo_index(raw)
        if index <= 0:
            return None
        if index * _memo_block(self.memo) >= self.memo_end:
            self.cut_memos.append(self.record)
            return None
        try:
            value = self.memo[index]
        except (OSError, struct.error) as error:
            raise ValueError(f"memo block {index} cannot be read ({error})") from None
        if value is None or isinstance(value, BinaryMemo):
            return None
        return self.text(bytes(value).rstrip(b"\x00\x1a "))


def _memo_size(memo: Any) -> int:
    if memo is None:
        return 0
    return Path(memo.filename).stat().st_size


def _memo_block(memo: Any) -> int:
    """Bytes per memo block: from the header of a FoxPro memo file, 512 for dBASE ones."""
    header = getattr(memo, "header", None)
    return getattr(header, "blocksize", 0) or 512


def _memo_index(raw: bytes) -> int:
    if len(raw) == 4:
        return struct.unpack("<I", raw)[0]
    text = raw.strip(b" \x00")
    if not text:
        return 0
    if not text.isdigit():
        raise ValueError(f"memo block number {raw!r} is not a number")
    return int(text)


def number(raw: bytes) -> Decimal | None:
    """A numeric field's exact value; None when empty (blanks, a lone '.').

    A field of nothing but NUL bytes was never written (a record cut short by a crash): an
    error, not an empty value a reader could take for zero.
    """
    plain = _PLAIN_NUMBER.fullmatch(raw.strip(b" "))
    if plain is not None:  # most values: digits, a point, a sign, space padding
        return Decimal(plain[0].decode("ascii"))
    if raw and raw.count(0) == len(raw):
        raise ValueError("only NUL bytes: the value was never written")
    text = raw.strip(b" \x00")
    if not text or text == b".":
        return None
    if text.strip(b"*") == b"":
        raise ValueError(f"overflow mark {raw.decode('ascii', 'replace')!r}: the value did not fit")
    if b"\x00" in text:
        raise ValueError(f"NUL bytes among the digits {raw!r}")
    try:
        value = Decimal(text.replace(b",", b".").decode("ascii"))
    except (InvalidOperation, UnicodeDecodeError):
        raise ValueError(f"{raw!r} is not a number") from None
    if not value.is_finite():
        # C-library writers print an infinite or undefined result as "inf" or "nan".
        raise ValueError(f"{raw!r} is not a number")
    return value


def currency(raw: bytes) -> Decimal:
    """A Visual FoxPro currency field: a signed 64-bit count of ten-thousandths, exact."""
    if len(raw) != 8:
        raise ValueError(f"a currency field holds 8 bytes, not {len(raw)}")
    return Decimal(int.from_bytes(raw, "little", signed=True)).scaleb(-4)


def double(raw: bytes) -> Decimal:
    """A Visual FoxPro double, as the shortest decimal that is the same binary number."""
    if len(raw) != 8:
        raise ValueError(f"a double field holds 8 bytes, not {len(raw)}")
    value = struct.unpack("<d", raw)[0]
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a number")
    return Decimal(repr(value))


def date(raw: bytes) -> dt.date | None:
    """A date field's value; None when blank, zero or NUL."""
    if raw.strip(b" 0\x00") == b"":
        return None
    try:
        return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        raise ValueError(f"{raw!r} is not a date (YYYYMMDD)") from None


def logical(raw: bytes) -> bool | None:
    if raw in (b"T", b"t", b"Y", b"y"):
        return True
    if raw in (b"F", b"f", b"N", b"n"):
        return False
    if raw in (b"?", b" ", b"\x00", b""):
        return None
    raise ValueError(f"{raw!r} is not a logical value")


def _integer(raw: bytes) -> int:
    return struct.unpack("<i", raw)[0]


_FIXED_READERS: dict[str, Callable[[bytes], Any]] = {
    "D": date,
    "L": logical,
    "Y": currency,
    "I": _integer,
}
