"""Reads a folder of KEDU files (Płatnik / ePłatnik exports) into payers and ZUS DRA amounts.

Surprising parts:
- One file may hold many payers, and a ZUSDRA may sit at the top level or inside `zestaw`
  elements (nested at any depth); every ZUSDRA is read, nothing else (ZUSDRA2 / ZUSRCA2 are
  annual documents).
- Every declaration number is kept (01 = first filing, higher = corrections); the merge picks
  the highest. The same payer/period/number met twice (a file exported twice) is kept once.
- A DRA whose IX block does not equal IV.37 + VI.07 + VII.03 + VIII.03 - V.05 is reported and
  dropped: loading it would put a wrong amount in front of the client.
- The ZUS account (NRS) is never derived: three of its digits are not public.
"""

import functools
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pandas as pd

from konekto_pipeline.domain.due_dates import due_date
from konekto_pipeline.domain.identifiers import normalize_nip
from konekto_pipeline.domain.money import to_grosze
from konekto_pipeline.schemas import schema_frame
from konekto_pipeline.sources.base import SourceData, SourceProblem, file_identity
from konekto_pipeline.sources.kedu import settings
from konekto_pipeline.sources.xml import XmlFileError, parse_file, text_at
from konekto_pipeline.sources.xml import local_name as _local
from konekto_pipeline.sources.xml import split_tag as _split_tag

_AMOUNT = re.compile(r"^\d+(\.\d+)?$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_NUMBER = re.compile(r"^\d{1,4}$")


class _BadInput(Exception):
    """A file or a document the reader cannot use; `message` names the element at fault."""

    def __init__(self, message: str, nip: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.nip = nip


@dataclass(frozen=True)
class _Payer:
    nip: str
    name: str
    regon: str | None
    legal_form: str | None


@dataclass(frozen=True)
class _Dra:
    """One ZUSDRA: whose, for which month, which filing, and its amounts in grosze."""

    path: Path
    position: int
    payer: _Payer
    period: str
    declaration_no: int
    amounts: dict[str, int]

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.payer.nip, self.period, self.declaration_no)

    def rank(self) -> tuple[str, str, int]:
        """Which copy of a duplicated DRA to keep: the later file name, then the later one."""
        return (self.path.name, str(self.path), self.position)

    def adds_up(self) -> bool:
        a = self.amounts
        due = a["social"] + a["health"] + a["labour_fund"] + a["fep"] - a["deductions"]
        return a["total"] - a["refund"] == due


class KeduReader:
    """Reads every *.xml and *.kdu under `folder` (recursively) as a KEDU file."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def read(self, periods: Collection[str] | None = None) -> SourceData:
        """Read all files; keep ZUS rows of `periods` (all when None), all payers."""
        problems: list[SourceProblem] = []
        documents = list(self._documents(problems))
        balanced = [dra for dra in documents if _check_balance(dra, problems)]
        kept = _deduplicate(balanced, problems)
        if periods is not None:
            wanted = set(periods)
            kept = [dra for dra in kept if dra.period in wanted]
        return SourceData(
            companies=schema_frame("companies", _company_rows(documents)),
            zus=schema_frame("zus", [_zus_row(dra) for dra in kept]),
            problems=problems,
        )

    def _documents(self, problems: list[SourceProblem]) -> Iterator[_Dra]:
        if not self.folder.is_dir():
            problems.append(_problem(self.folder, "the KEDU folder does not exist"))
            return
        for path in _kedu_files(self.folder):
            documents, bad_inputs = _read_file_once(path, *file_identity(path))
            problems += [_problem(path, bad.message, bad.nip) for bad in bad_inputs]
            yield from documents


@functools.lru_cache(maxsize=20_000)
def _read_file_once(
    path: Path, size: int, modified_ns: int
) -> tuple[tuple["_Dra", ...], tuple[_BadInput, ...]]:
    """A file's DRAs and what is wrong in it, parsed once while the file stays unchanged (a run
    reads the folder for each of the group's assets; size and time in the key catch a change)."""
    try:
        elements = _dra_elements(_parse(path))
    except _BadInput as bad:
        return (), (bad,)
    documents, bad_inputs = [], []
    for position, element in enumerate(elements):
        try:
            documents.append(_read_dra(path, position, element))
        except _BadInput as bad:
            bad_inputs.append(bad)
    return tuple(documents), tuple(bad_inputs)


def _kedu_files(folder: Path) -> list[Path]:
    suffixes = settings.FILE_SUFFIXES
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


def _problem(path: Path, message: str, nip: str | None = None) -> SourceProblem:
    return SourceProblem(program=settings.SOURCE, where=str(path), message=message, nip=nip)


def _parse(path: Path) -> Element:
    try:
        root = parse_file(path)
    except XmlFileError as error:
        raise _BadInput(error.message) from None
    namespace, name = _split_tag(root.tag)
    if name != settings.ROOT or not settings.NAMESPACE.match(namespace):
        raise _BadInput(
            f"not a KEDU file: the root element is {name} in namespace {namespace or '(none)'}"
        )
    return root


def _dra_elements(root: Element) -> list[Element]:
    """Every ZUSDRA in the file, at the top level or inside `zestaw`, in document order."""
    return [element for element in root.iter() if _local(element.tag) == settings.DRA]


def _read_dra(path: Path, position: int, element: Element) -> _Dra:
    where = f"ZUSDRA id_dokumentu={element.get('id_dokumentu', '?')}"
    payer = _payer(element, where)
    try:
        return _Dra(
            path=path,
            position=position,
            payer=payer,
            period=_period(element),
            declaration_no=_declaration_no(element),
            amounts=_amounts(element),
        )
    except _BadInput as bad:
        raise _BadInput(f"{where}: {bad.message}", payer.nip) from None


def _payer(element: Element, where: str) -> _Payer:
    short_name = _text(element, settings.SHORT_NAME)
    full_name = " ".join(
        part
        for part in (_text(element, settings.FIRST_NAME), _text(element, settings.LAST_NAME))
        if part
    )
    name = short_name or full_name
    nip = normalize_nip(_text(element, settings.NIP) or "")
    if not nip:
        who = f"payer {name!r}" if name else "a payer with no name"
        raise _BadInput(f"{where}: {who} has no NIP (II/p1); the DRA is skipped")
    if not name:
        raise _BadInput(f"{where}: the payer has no name (II/p6, II/p7, II/p8)", nip)
    regon = _text(element, settings.REGON)
    has_pesel = _text(element, settings.PESEL) is not None
    return _Payer(
        nip=nip,
        name=name,
        regon=regon,
        legal_form="other" if has_pesel and regon is None else None,
    )


def _period(element: Element) -> str:
    period = _text(element, settings.PERIOD)
    if period is None or not _PERIOD.match(period):
        raise _BadInput("I/p2/p2 (period) is missing or not YYYY-MM")
    return period


def _declaration_no(element: Element) -> int:
    number = _text(element, settings.DECLARATION_NO)
    if number is None or not _NUMBER.match(number) or int(number) < 1:
        raise _BadInput("I/p2/p1 (declaration number) is missing or not a number from 01")
    return int(number)


def _amounts(element: Element) -> dict[str, int]:
    labour_fund = _amount(element, settings.LABOUR_FUND)
    if labour_fund is None:
        parts = (_amount(element, path) for path in settings.LABOUR_FUND_PARTS)
        labour_fund = sum(part or 0 for part in parts)
    fields = {
        "social": settings.SOCIAL,
        "health": settings.HEALTH,
        "fep": settings.FEP,
        "deductions": settings.DEDUCTIONS,
        "total": settings.TOTAL,
        "refund": settings.REFUND,
    }
    amounts = {name: _amount(element, path) or 0 for name, path in fields.items()}
    return {**amounts, "labour_fund": labour_fund}


def _amount(element: Element, path: tuple[str, ...]) -> int | None:
    text = _text(element, path)
    if text is None:
        return None
    try:
        if not _AMOUNT.match(text):
            raise ValueError(text)
        return to_grosze(Decimal(text))
    except (ValueError, InvalidOperation, ArithmeticError) as error:
        why = f"- {error}" if "beyond any real figure" in str(error) else "is not an amount"
        raise _BadInput(f"{'/'.join(path)} {why}") from None


def _check_balance(dra: _Dra, problems: list[SourceProblem]) -> bool:
    if dra.adds_up():
        return True
    problems.append(
        _problem(
            dra.path,
            f"ZUSDRA for {dra.period} (declaration {dra.declaration_no:02d}) does not add up: "
            "IX.02 - IX.01 differs from IV.37 + VI.07 + VII.03 + VIII.03 - V.05; not loaded",
            dra.payer.nip,
        )
    )
    return False


def _deduplicate(documents: list[_Dra], problems: list[SourceProblem]) -> list[_Dra]:
    """One DRA per payer, period and declaration number; differing copies are reported."""
    groups: dict[tuple[str, str, int], list[_Dra]] = {}
    for dra in documents:
        groups.setdefault(dra.key, []).append(dra)
    kept = []
    for key in sorted(groups):
        copies = sorted(groups[key], key=_Dra.rank)
        chosen = copies[-1]
        if any(copy.amounts != chosen.amounts for copy in copies):
            problems.append(_conflict(chosen))
        kept.append(chosen)
    return kept


def _conflict(chosen: _Dra) -> SourceProblem:
    return _problem(
        chosen.path,
        f"ZUSDRA for {chosen.period} (declaration {chosen.declaration_no:02d}) appears more "
        "than once with different amounts; the copy in this file was kept",
        chosen.payer.nip,
    )


def _company_rows(documents: list[_Dra]) -> list[dict[str, Any]]:
    """One row per NIP, from the payer's latest DRA (period, declaration number, file)."""
    latest: dict[str, _Dra] = {}
    for dra in documents:
        current = latest.get(dra.payer.nip)
        if current is None or _recency(dra) > _recency(current):
            latest[dra.payer.nip] = dra
    return [_company_row(latest[nip].payer) for nip in sorted(latest)]


def _recency(dra: _Dra) -> tuple[str, int, str, str, int]:
    return (dra.period, dra.declaration_no, *dra.rank())


def _origin(nip: str) -> dict[str, str]:
    return {"source": settings.SOURCE, "source_company_id": nip, "nip": nip}


def _company_row(payer: _Payer) -> dict[str, Any]:
    return {
        **_origin(payer.nip),
        "name": payer.name,
        "regon": payer.regon,
        "email": None,
        "phone": None,
        "legal_form": payer.legal_form,
        "tax_form": None,
        "vat_period": None,
    }


def _zus_row(dra: _Dra) -> dict[str, Any]:
    first = dra.declaration_no == settings.FIRST_DECLARATION_NO
    deadline = due_date("ZUS", dra.period, legal_form=dra.payer.legal_form)
    return {
        **_origin(dra.payer.nip),
        "period": dra.period,
        "declaration_no": dra.declaration_no,
        "kind": "D" if first else "K",
        **dra.amounts,
        "due_date": pd.Timestamp(deadline),
        "account": None,
    }


def _text(element: Element, path: tuple[str, ...]) -> str | None:
    return text_at(element, *path)
