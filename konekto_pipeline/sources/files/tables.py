"""One program's DBF table described by meaning, and read into rows keyed by that meaning.

A program's `settings.py` lists its tables as `DbfSpec`s: the file name (with `{yy}`/`{yyyy}`
for programs that keep a file per year), and which field holds what. Readers then ask for
`row["nip"]`, not for a field name that differs between programs and versions. A missing file or
required field is a `TableProblem` naming the program, the file and the field; records that could
not be read become `SourceProblem`s and the other records carry on.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from konekto_pipeline.sources.base import SourceProblem
from konekto_pipeline.sources.files.dbf import DbfError, DbfTable, Retry, read_dbf
from konekto_pipeline.sources.files.paths import AmbiguousName, find_entry

RECORD = "_record"


class TableProblem(Exception):
    """A table a reader needs cannot be used: missing file, missing field, unreadable file."""

    def __init__(self, program: str, where: str, message: str) -> None:
        super().__init__(f"{program}: {where}: {message}")
        self.program = program
        self.where = where
        self.message = message

    def problem(self, nip: str | None = None) -> SourceProblem:
        return SourceProblem(self.program, self.where, self.message, nip)


@dataclass(frozen=True)
class DbfSpec:
    """A DBF table of a program: file name, fields by meaning, and how sure we are of them.

    `confidence` follows the research notes: "E" seen in a public source, "I" inferred, "G" a
    guess to be checked against a real installation with `konekto probe`.
    """

    title: str
    file: str
    fields: Mapping[str, str]
    optional: frozenset[str] = frozenset()
    confidence: str = "G"

    def file_name(self, year: int | None = None) -> str:
        if year is None:
            return self.file
        return self.file.format(yy=f"{year % 100:02d}", yyyy=f"{year:04d}")


@dataclass(frozen=True)
class Encoding:
    """How a program's files are decoded: its known code page and the office's setting."""

    program: str
    configured: str | None = None


@dataclass
class Table:
    """The rows of one table by meaning (and `_record`, the record number), and its file."""

    spec: DbfSpec
    path: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    encoding: str = ""


def find_table(folder: Path, spec: DbfSpec, year: int | None = None) -> Path | None:
    """The table's file in `folder` (any letter case), or None when there is none."""
    return find_entry(folder, spec.file_name(year), want_dir=False)


def read_table(
    program: str,
    folder: Path,
    spec: DbfSpec,
    encoding: Encoding,
    problems: list[SourceProblem],
    *,
    year: int | None = None,
    nip: str | None = None,
    retry: Retry | None = None,
) -> Table:
    """Read one table of a program; raises TableProblem when it cannot be used at all.

    Problems of single records, and of the file as a whole that still leave its records usable
    (a missing memo file), are added to `problems` with `nip` when the table is one company's.
    """
    try:
        path = find_table(folder, spec, year)
    except (OSError, AmbiguousName) as error:
        # One company's folder gone or unreadable stops that company, never the whole read.
        raise TableProblem(program, str(folder), f"{spec.title}: {_reason(error)}") from None
    if path is None:
        named = find_entry(folder, spec.file_name(year), want_dir=True)
        where = str(named or folder / spec.file_name(year))
        found = "a folder, not a file" if named else "file not found"
        raise TableProblem(program, where, f"{spec.title}: {found}")
    try:
        dbf = read_dbf(
            path,
            program_encoding=encoding.program,
            encoding=encoding.configured,
            fields=list(spec.fields.values()),
            retry=retry,
        )
    except DbfError as error:
        raise TableProblem(
            program, str(path), f"{spec.title}: {_without_path(error, path)}"
        ) from None
    _require_fields(program, spec, dbf)
    _report(program, spec, dbf, problems, nip)
    return Table(spec, path, _by_meaning(spec, dbf), dbf.encoding.encoding)


def _reason(error: OSError | AmbiguousName) -> str:
    if isinstance(error, FileNotFoundError):
        return "folder not found"
    if isinstance(error, OSError):
        return f"folder cannot be read ({error.strerror})"
    return str(error)


def _without_path(error: DbfError, path: Path) -> str:
    return str(error).removeprefix(f"{path}: ")


def _require_fields(program: str, spec: DbfSpec, dbf: DbfTable) -> None:
    missing = [
        name
        for meaning, name in spec.fields.items()
        if meaning not in spec.optional and not dbf.has(name)
    ]
    if missing:
        raise TableProblem(
            program,
            str(dbf.path),
            f"{spec.title}: field(s) {', '.join(missing)} missing; the file has "
            f"{', '.join(dbf.field_names) or 'no fields'}",
        )


def _report(
    program: str, spec: DbfSpec, dbf: DbfTable, problems: list[SourceProblem], nip: str | None
) -> None:
    where = str(dbf.path)
    problems.extend(
        SourceProblem(program, where, f"{spec.title}: {message}", nip)
        for message in dbf.file_problems
    )
    problems.extend(
        SourceProblem(program, where, f"{spec.title}: {problem} (record skipped)", nip)
        for problem in dbf.problems
    )


def _by_meaning(spec: DbfSpec, dbf: DbfTable) -> list[dict[str, Any]]:
    present = {meaning: name.upper() for meaning, name in spec.fields.items() if dbf.has(name)}
    return [
        {RECORD: record, **{meaning: row.get(name) for meaning, name in present.items()}}
        for record, row in zip(dbf.record_numbers, dbf.rows, strict=True)
    ]
