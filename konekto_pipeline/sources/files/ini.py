"""Windows INI files as Polish accounting programs write them (Symfonia's MKP.INI and the like).

Read the way Windows reads them, not the way configparser does: no interpolation, backslashes
kept (`C:\\Symfonia\\Dane`), `;` in a value kept (Windows has no inline comments), duplicate
sections merged and duplicate keys all kept. Older programs write CP1250, newer ones UTF-16 or
UTF-8 with a byte order mark.
"""

import codecs
from dataclasses import dataclass, field
from pathlib import Path

_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

Entries = list[tuple[str, str]]


class IniError(ValueError):
    """An INI file that cannot be read or decoded."""


@dataclass
class IniFile:
    """The sections and keys of one INI file; names are matched in any case.

    Attributes:
        path: The file read.
        encoding: The codec it was decoded with (cp1250, utf-8, utf-8-sig, utf-16-le, ...).
        by_section: Key-value pairs in file order per section, under the section's first
            spelling; keys outside any section are under "".
        skipped_lines: Numbers (from 1) of lines that were neither a section, a comment nor
            key=value.
    """

    path: Path
    encoding: str
    by_section: dict[str, Entries] = field(default_factory=dict)
    skipped_lines: list[int] = field(default_factory=list)

    def sections(self) -> list[str]:
        """Section names in file order; "" first when keys come before any section."""
        return list(self.by_section)

    def items(self, section: str) -> Entries:
        """The section's key-value pairs in file order, duplicates included."""
        return list(_find_section(self.by_section, section) or [])

    def get_all(self, section: str, key: str) -> list[str]:
        """Every value of a key in a section, in file order."""
        wanted = key.casefold()
        return [value for name, value in self.items(section) if name.casefold() == wanted]

    def get(self, section: str, key: str) -> str | None:
        """A key's value, or None; of duplicate keys the last one wins."""
        values = self.get_all(section, key)
        return values[-1] if values else None


def read_ini(path: Path) -> IniFile:
    """Read an INI file, detecting its encoding; raises IniError naming the file."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IniError(f"cannot read INI file {path}: {error.strerror or error}") from error

    text, encoding = _decode(data, path)
    ini = IniFile(path=path, encoding=encoding)
    _parse(text, ini)
    return ini


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    """The text and the codec: by byte order mark, else UTF-8 when it is UTF-8, else CP1250."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return _decode_as(data[len(mark) :], encoding, path), encoding

    if b"\x00" in data:
        raise IniError(f"INI file {path} holds NUL bytes: UTF-16 without a byte order mark?")

    # Pure ASCII reads the same in both; non-ASCII bytes that happen to be valid UTF-8 are
    # practically never CP1250 text.
    if not data.isascii():
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    return _decode_as(data, "cp1250", path), "cp1250"


def _decode_as(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise IniError(
            f"INI file {path} is not valid {encoding} text (byte {error.start}): {error.reason}"
        ) from error


def _parse(text: str, ini: IniFile) -> None:
    """Fill the file's sections from its lines (CRLF or LF)."""
    entries: Entries | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith((";", "#")):
            continue

        if line.startswith("[") and "]" in line:
            entries = _section(ini.by_section, line[1 : line.index("]")].strip())
            continue

        key, equals, value = line.partition("=")
        if not equals or not key.strip():
            ini.skipped_lines.append(number)
            continue
        if entries is None:
            entries = _section(ini.by_section, "")
        entries.append((key.strip(), _unquote(value.strip())))


def _section(by_section: dict[str, Entries], name: str) -> Entries:
    """The entries of a section, created on first sight; a repeated section continues it."""
    found = _find_section(by_section, name)
    if found is None:
        found = by_section[name] = []
    return found


def _find_section(by_section: dict[str, Entries], name: str) -> Entries | None:
    wanted = name.casefold()
    for section, entries in by_section.items():
        if section.casefold() == wanted:
            return entries
    return None


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value
