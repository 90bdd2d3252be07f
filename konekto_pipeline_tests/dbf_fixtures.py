"""Small DBF files for the tests of the DBF machinery: real files first, damaged bytes after.

The files are written with the `dbf` package (ethanfurman), not with dbfread that the reader
builds on, so that one library's idea of the format checks the other's. What no writer does on
purpose (a NUL among the digits, a zero or Western language-driver byte over Polish text, a file
cut in the middle of a record) is patched into the bytes afterwards, at the offsets the file's
own header gives.
"""

import struct
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dbf

# Registers the Mazovia codec, which dbf then finds by name like any other.
import konekto_pipeline.sources.files.encodings  # noqa: F401

dbf.tables.code_pages[0x69] = ("mazovia", "Mazovia (Polish) MS-DOS")

VERSION = 0
RECORD_COUNT = 4
LANGUAGE_DRIVER = 29
DESCRIPTORS = 32
DESCRIPTOR_SIZE = 32
DBASE_IV_WITH_MEMO = 0x8B


def write_dbf(
    path: Path,
    fields: str,
    records: Iterable[Sequence[Any]],
    *,
    codepage: str = "cp1250",
    kind: str = "db3",
    deleted: Collection[int] = (),
) -> Path:
    """Write a table (`fields` in dbf's notation, "NAZWA C(40); KWOTA N(12,2)") and its memo file.

    `deleted` holds the 1-based numbers of the records to mark deleted.
    """
    table = dbf.Table(str(path), fields, dbf_type=kind, codepage=codepage)
    table.open(dbf.READ_WRITE)
    try:
        for record in records:
            table.append(tuple(record))
        for number in deleted:
            dbf.delete(table[number - 1])
    finally:
        table.close()
    return path


@dataclass(frozen=True)
class FieldSpot:
    """Where a field lives: its descriptor in the header and its bytes inside a record."""

    descriptor: int
    start: int
    length: int


@dataclass(frozen=True)
class Header:
    """What a test needs of a DBF header to find the bytes it wants to damage."""

    records: int
    header_length: int
    record_length: int
    fields: dict[str, FieldSpot]

    def record_offset(self, record: int) -> int:
        """Offset of a record's deletion flag; records are numbered from 1."""
        return self.header_length + (record - 1) * self.record_length


def read_header(path: Path) -> Header:
    """Parse the header the plain way (count, lengths, field descriptors up to the 0x0D)."""
    data = path.read_bytes()
    records, header_length, record_length = struct.unpack_from("<IHH", data, RECORD_COUNT)
    fields, descriptor, start = {}, DESCRIPTORS, 1
    while data[descriptor] != 0x0D:
        name = data[descriptor : descriptor + 11].split(b"\x00")[0].decode("ascii")
        length = data[descriptor + 16]
        fields[name] = FieldSpot(descriptor, start, length)
        start += length
        descriptor += DESCRIPTOR_SIZE
    return Header(records, header_length, record_length, fields)


def patch(path: Path, offset: int, data: bytes) -> None:
    """Overwrite bytes in place; the file keeps its length."""
    content = bytearray(path.read_bytes())
    if offset + len(data) > len(content):
        raise ValueError(f"patch at {offset} of {len(data)} bytes runs past the end of {path}")
    content[offset : offset + len(data)] = data
    path.write_bytes(bytes(content))


def set_language_driver(path: Path, value: int) -> None:
    patch(path, LANGUAGE_DRIVER, bytes([value]))


def set_version(path: Path, value: int) -> None:
    patch(path, VERSION, bytes([value]))


def set_record_count(path: Path, value: int) -> None:
    patch(path, RECORD_COUNT, struct.pack("<I", value))


def set_record_length(path: Path, value: int) -> None:
    patch(path, RECORD_COUNT + 6, struct.pack("<H", value))


def set_flag(path: Path, record: int, flag: int) -> None:
    """Set the byte before a record: 0x20 live, 0x2A deleted, 0x1A end of file."""
    patch(path, read_header(path).record_offset(record), bytes([flag]))


def patch_field(path: Path, record: int, name: str, raw: bytes) -> None:
    """Put `raw` (exactly the field's length) into one field of one record (1-based)."""
    header = read_header(path)
    spot = header.fields[name]
    if len(raw) != spot.length:
        raise ValueError(f"{name} holds {spot.length} bytes, not {len(raw)}: {raw!r}")
    patch(path, header.record_offset(record) + spot.start, raw)


def set_field_descriptor(
    path: Path, name: str, *, field_type: str | None = None, length: int | None = None
) -> None:
    """Change a field's type letter or declared length in the header only."""
    spot = read_header(path).fields[name]
    if field_type is not None:
        patch(path, spot.descriptor + 11, field_type.encode("ascii"))
    if length is not None:
        patch(path, spot.descriptor + 16, bytes([length]))


def cut(path: Path, size: int) -> bytes:
    """Shorten the file to `size` bytes, as a copy taken mid-write would be; returns the whole."""
    whole = path.read_bytes()
    path.write_bytes(whole[:size])
    return whole
