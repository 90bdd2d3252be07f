"""Writes KEDU files with ZUSDRA documents, for tests and for the demo office's generated data.

Written independently from the reader (its own namespace table), so a test that writes and
reads a file checks one against the other. The shape follows kedu_5_6.xsd: a default
namespace, `naglowek.KEDU/program`, then documents, optionally grouped in `zestaw` per payer.
Amounts are grosze in, "1476.32" out; only the fields the office needs are written.
"""

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

NAMESPACES: dict[str, str] = {
    "4": "http://www.zus.pl/2013/KEDU_4",
    "5.4": "http://www.zus.pl/2021/KEDU_5_4",
    "5.5": "http://www.zus.pl/2022/KEDU_5_5",
    "5.6": "http://www.zus.pl/2024/KEDU_5_6",
    "5.7": "http://www.zus.pl/2026/KEDU_5_7",
}


@dataclass(frozen=True)
class DraDocument:
    """One ZUSDRA for a payer and month; amounts in grosze.

    `labour_fund` is the VII.03 total (FP + FS + FGŚP), of which `fgsp` is FGŚP (VII.02); with
    `write_labour_total=False` only VII.01 and VII.02 are written, as some programs do.
    `total` (IX.02) and `refund` (IX.01) are computed from the other amounts unless given.
    """

    nip: str | None
    period: str
    regon: str | None = None
    pesel: str | None = None
    short_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    declaration_no: int = 1
    social: int = 0
    health: int = 0
    labour_fund: int = 0
    fgsp: int = 0
    fep: int = 0
    deductions: int = 0
    total: int | None = None
    refund: int | None = None
    write_labour_total: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.fgsp <= self.labour_fund:
            raise ValueError("fgsp is the FGŚP part of labour_fund, so 0 <= fgsp <= labour_fund")

    @property
    def balance(self) -> int:
        """IV.37 + VI.07 + VII.03 + VIII.03 - V.05: positive to pay, negative to refund."""
        return self.social + self.health + self.labour_fund + self.fep - self.deductions

    @property
    def to_pay(self) -> int:
        return self.total if self.total is not None else max(self.balance, 0)

    @property
    def to_refund(self) -> int:
        return self.refund if self.refund is not None else max(-self.balance, 0)


@dataclass(frozen=True)
class AnnualDocument:
    """An annual ZUSDRA2 / ZUSRCA2 (health settlement), which monthly totals must ignore."""

    nip: str
    year: int
    tag: str = "ZUSDRA2"
    amounts: tuple[int, ...] = (0, 0, 0)


def write_kedu(
    path: Path,
    documents: Sequence[DraDocument],
    *,
    version: str = "5.6",
    in_zestaw: bool = False,
    extra_documents: Iterable[AnnualDocument] = (),
) -> Path:
    """Write a KEDU file; with `in_zestaw` each payer's documents are wrapped in a `zestaw`."""
    root = ET.Element("KEDU", {"xmlns": NAMESPACES[version], "wersja_schematu": "1"})
    program = ET.SubElement(ET.SubElement(root, "naglowek.KEDU"), "program")
    _text(program, "producent", "Konekto")
    _text(program, "symbol", "konekto-pipeline")
    _text(program, "wersja", "1.0")
    numbers = itertools.count(1)
    if in_zestaw:
        _write_sets(root, documents, numbers)
    else:
        for document in documents:
            _dra(root, document, next(numbers))
    for extra in extra_documents:
        _annual(root, extra, next(numbers))
    tree = ET.ElementTree(root)
    ET.indent(tree, space="\t")
    path = Path(path)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path


def _write_sets(root: ET.Element, documents: Sequence[DraDocument], numbers: Iterator[int]) -> None:
    payers: dict[str | None, list[DraDocument]] = {}
    for document in documents:
        payers.setdefault(document.nip, []).append(document)
    for set_id, (nip, payer_documents) in enumerate(payers.items(), start=1):
        attributes = {"id_zestawu": str(set_id)}
        if nip:
            attributes["P_Nip"] = nip
        zestaw = ET.SubElement(root, "zestaw", attributes)
        for document in payer_documents:
            _dra(zestaw, document, next(numbers))


def _text(parent: ET.Element, tag: str, value: object) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = str(value)
    return element


def _block(parent: ET.Element, tag: str, fields: dict[str, object | None]) -> None:
    """A block (I, II, ...) with its fields in order; None fields are left out."""
    block = ET.SubElement(parent, tag)
    for name, value in fields.items():
        if value is not None:
            _text(block, name, value)


def _dra(parent: ET.Element, document: DraDocument, number: int) -> None:
    dra = ET.SubElement(parent, "ZUSDRA", {"id_dokumentu": str(number)})
    heading = ET.SubElement(dra, "I")
    _text(heading, "p1", "6")  # deadline code, as in the Quick-DRA sample; the reader ignores it
    declaration = ET.SubElement(heading, "p2")
    _text(declaration, "p1", f"{document.declaration_no:02d}")
    _text(declaration, "p2", document.period)
    _payer(dra, document)
    _block(dra, "III", {"p1": 1})
    _block(dra, "IV", {"p37": _amount(document.social)})
    _block(dra, "V", {"p5": _amount(document.deductions)})
    _block(dra, "VI", {"p7": _amount(document.health)})
    _block(dra, "VII", _labour_fund(document))
    _block(dra, "VIII", {"p3": _amount(document.fep)})
    _block(dra, "IX", {"p1": _amount(document.to_refund), "p2": _amount(document.to_pay)})


def _payer(parent: ET.Element, document: DraDocument) -> None:
    fields = {
        "p1": document.nip,
        "p2": document.regon,
        "p3": document.pesel,
        "p6": document.short_name,
        "p7": document.last_name,
        "p8": document.first_name,
    }
    _block(parent, "II", fields)


def _labour_fund(document: DraDocument) -> dict[str, object | None]:
    fields: dict[str, object | None] = {
        "p1": _amount(document.labour_fund - document.fgsp),
        "p2": _amount(document.fgsp),
    }
    if document.write_labour_total:
        fields["p3"] = _amount(document.labour_fund)
    return fields


def _annual(parent: ET.Element, document: AnnualDocument, number: int) -> None:
    annual = ET.SubElement(parent, document.tag, {"id_dokumentu": str(number)})
    _block(annual, "I", {"p1": "01", "p2": document.year})
    _block(annual, "II", {"p1": document.nip})
    amounts = {f"p{index}": _amount(value) for index, value in enumerate(document.amounts, 1)}
    _block(annual, "III", amounts)


def _amount(grosze: int) -> str:
    """Grosze as a KEDU amount ("1476.32"); the schema has no sign, so negatives are refused."""
    if grosze < 0:
        raise ValueError("KEDU amounts are unsigned; put a negative balance in the refund")
    zloty, rest = divmod(grosze, 100)
    return f"{zloty}.{rest:02d}"
