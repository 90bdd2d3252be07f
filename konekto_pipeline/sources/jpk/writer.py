"""Writes JPK_V7M / JPK_V7K files, for tests and for the demo office's generated data.

Written independently from the reader (its own table of namespaces and codes), so a test that
writes and reads a file checks one against the other. Output follows the MF schemas: `tns:`
and `etd:` prefixes as accounting programs write them; the files of variants (1) and (2)
validate against the XSDs of the first publications (see the tests).

Variant (3) is a best effort: its XSD was not available. The namespaces and form codes are
those published for it, and each record row carries the KSeF marker `BFK` (invoice outside
KSeF) after the document dates, where we believe the schema puts it.
"""

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

_ETD_2020 = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2020/03/11/eD/DefinicjeTypy/"
_ETD_2021 = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2021/06/08/eD/DefinicjeTypy/"
_ETD_2022 = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/09/13/eD/DefinicjeTypy/"


@dataclass(frozen=True)
class _Variant:
    namespace: str
    etd_namespace: str
    schema_version: str
    declaration_code: str
    declaration_variant: int


# (form, variant) -> codes. Namespaces are those in force; FIRST_PUBLICATION has the earlier
# ones that (2) and (3) were first published with (our XSDs for (2) are of that publication).
_VARIANTS: dict[tuple[str, int], _Variant] = {
    ("V7M", 1): _Variant("http://crd.gov.pl/wzor/2020/05/08/9393/", _ETD_2020, "1-2E", "VAT-7", 21),
    ("V7K", 1): _Variant(
        "http://crd.gov.pl/wzor/2020/05/08/9394/", _ETD_2020, "1-2E", "VAT-7K", 15
    ),
    ("V7M", 2): _Variant(
        "http://crd.gov.pl/wzor/2021/12/27/11148/", _ETD_2021, "1-0E", "VAT-7", 22
    ),
    ("V7K", 2): _Variant(
        "http://crd.gov.pl/wzor/2021/12/27/11149/", _ETD_2021, "1-0E", "VAT-7K", 16
    ),
    ("V7M", 3): _Variant(
        "http://crd.gov.pl/wzor/2025/12/19/14090/", _ETD_2022, "1-0E", "VAT-7", 23
    ),
    ("V7K", 3): _Variant(
        "http://crd.gov.pl/wzor/2025/12/19/14089/", _ETD_2022, "1-0E", "VAT-7K", 17
    ),
}

FIRST_PUBLICATION: dict[tuple[str, int], str] = {
    ("V7M", 2): "http://crd.gov.pl/wzor/2021/07/08/07081/",
    ("V7K", 2): "http://crd.gov.pl/wzor/2021/07/08/07082/",
    ("V7M", 3): "http://crd.gov.pl/wzor/2025/06/18/06181/",
    ("V7K", 3): "http://crd.gov.pl/wzor/2025/06/18/06182/",
}


@dataclass(frozen=True)
class JpkDeclaration:
    """The VAT-7 / VAT-7K part, amounts in whole złoty (P_ fields are integers).

    Pairs the schema requires together (P_19/P_20, P_42/P_43) are written together when either
    is set. `quarter` is for V7K only; None means the quarter of the file's month.
    """

    p51: int = 0
    p38: int = 0
    p19: int | None = None
    p20: int | None = None
    p37: int | None = None
    p39: int | None = None
    p42: int | None = None
    p43: int | None = None
    p48: int | None = None
    p53: int | None = None
    p54: int | None = None
    p62: int | None = None
    quarter: int | None = None


@dataclass(frozen=True)
class JpkFile:
    """One JPK_V7 file. Give `company_name` for a firm, or `person` (first, last) for a person.

    Sales rows are written as 23% domestic sales (K_19 net, K_20 VAT) and purchase rows as
    other purchases (K_42 net, K_43 VAT), both as (net, VAT) in grosze. `created` defaults to
    the 10th of the next month; `namespace` overrides the variant's namespace (for instance
    with a FIRST_PUBLICATION one); `records=False` leaves out the Ewidencja.
    """

    nip: str
    year: int
    month: int
    form: str = "V7M"
    variant: int = 2
    company_name: str | None = None
    person: tuple[str, str] | None = None
    birth_date: date = date(1980, 1, 1)
    email: str = "biuro@example.com"
    phone: str | None = None
    correction: bool = False
    created: datetime | None = None
    declaration: JpkDeclaration | None = None
    sales: Sequence[tuple[int, int]] = field(default_factory=tuple)
    purchases: Sequence[tuple[int, int]] = field(default_factory=tuple)
    records: bool = True
    tax_office: str = "1471"
    namespace: str | None = None


def write_jpk(path: Path, jpk: JpkFile) -> Path:
    """Write `jpk` to `path` (UTF-8, with an XML declaration) and return the path."""
    variant = _VARIANTS[(jpk.form, jpk.variant)]
    root = ET.Element("tns:JPK")
    root.set("xmlns:etd", variant.etd_namespace)
    root.set("xmlns:tns", jpk.namespace or variant.namespace)
    _header(root, jpk, variant)
    _subject(root, jpk)
    if jpk.declaration is not None:
        _declaration(root, jpk, jpk.declaration, variant)
    if jpk.records:
        _records(root, jpk)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    path = Path(path)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path


def _add(parent: ET.Element, tag: str, text: object = None, **attributes: str) -> ET.Element:
    """A child with a literal prefixed tag; the prefixes are declared on the root."""
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = str(text)
    return element


def _header(root: ET.Element, jpk: JpkFile, variant: _Variant) -> None:
    header = _add(root, "tns:Naglowek")
    system_code = f"JPK_{jpk.form} ({jpk.variant})"
    attributes = {"kodSystemowy": system_code, "wersjaSchemy": variant.schema_version}
    _add(header, "tns:KodFormularza", "JPK_VAT", **attributes)
    _add(header, "tns:WariantFormularza", jpk.variant)
    created = jpk.created or _default_created(jpk.year, jpk.month)
    _add(header, "tns:DataWytworzeniaJPK", created.isoformat(timespec="seconds"))
    _add(header, "tns:NazwaSystemu", "konekto-pipeline")
    _add(header, "tns:CelZlozenia", 2 if jpk.correction else 1, poz="P_7")
    _add(header, "tns:KodUrzedu", jpk.tax_office)
    _add(header, "tns:Rok", jpk.year)
    _add(header, "tns:Miesiac", jpk.month)


def _default_created(year: int, month: int) -> datetime:
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(next_year, next_month, 10, 9, 30)


def _subject(root: ET.Element, jpk: JpkFile) -> None:
    subject = _add(root, "tns:Podmiot1", rola="Podatnik")
    if jpk.person is not None:
        party = _add(subject, "tns:OsobaFizyczna")
        _add(party, "etd:NIP", jpk.nip)
        _add(party, "etd:ImiePierwsze", jpk.person[0])
        _add(party, "etd:Nazwisko", jpk.person[1])
        _add(party, "etd:DataUrodzenia", jpk.birth_date.isoformat())
    else:
        party = _add(subject, "tns:OsobaNiefizyczna")
        _add(party, "tns:NIP", jpk.nip)
        _add(party, "tns:PelnaNazwa", jpk.company_name or f"Firma {jpk.nip}")
    _add(party, "tns:Email", jpk.email)
    if jpk.phone:
        _add(party, "tns:Telefon", jpk.phone)


def _declaration(
    root: ET.Element, jpk: JpkFile, declaration: JpkDeclaration, variant: _Variant
) -> None:
    element = _add(root, "tns:Deklaracja")
    header = _add(element, "tns:Naglowek")
    attributes = {
        "kodSystemowy": f"{variant.declaration_code} ({variant.declaration_variant})",
        "kodPodatku": "VAT",
        "rodzajZobowiazania": "Z",
        "wersjaSchemy": variant.schema_version,
    }
    _add(header, "tns:KodFormularzaDekl", variant.declaration_code, **attributes)
    _add(header, "tns:WariantFormularzaDekl", variant.declaration_variant)
    if jpk.form == "V7K":
        _add(header, "tns:Kwartal", declaration.quarter or (jpk.month - 1) // 3 + 1)
    fields = _add(element, "tns:PozycjeSzczegolowe")
    for name, value in _declaration_fields(declaration):
        _add(fields, f"tns:{name}", value)
    _add(element, "tns:Pouczenia", 1)


def _declaration_fields(d: JpkDeclaration) -> list[tuple[str, int]]:
    """P_ fields in schema order; a refund (P_54) needs a refund-deadline flag (P_56: 25 days)."""
    fields: list[tuple[str, int | None]] = []
    if d.p19 is not None or d.p20 is not None:
        fields += [("P_19", d.p19 or 0), ("P_20", d.p20 or 0)]
    fields += [("P_37", d.p37), ("P_38", d.p38), ("P_39", d.p39)]
    if d.p42 is not None or d.p43 is not None:
        fields += [("P_42", d.p42 or 0), ("P_43", d.p43 or 0)]
    fields += [("P_48", d.p48), ("P_51", d.p51), ("P_53", d.p53)]
    if d.p54 is not None:
        fields += [("P_54", d.p54), ("P_56", 1)]
    fields += [("P_62", d.p62)]
    return [(name, value) for name, value in fields if value is not None]


def _records(root: ET.Element, jpk: JpkFile) -> None:
    records = _add(root, "tns:Ewidencja")
    for number, (net, vat) in enumerate(jpk.sales, start=1):
        row = _add(records, "tns:SprzedazWiersz")
        _add(row, "tns:LpSprzedazy", number)
        _add(row, "tns:NrKontrahenta", "BRAK")
        _add(row, "tns:NazwaKontrahenta", f"Klient {number}")
        _add(row, "tns:DowodSprzedazy", f"FV/{number}/{jpk.month:02d}/{jpk.year}")
        _add(row, "tns:DataWystawienia", _row_date(jpk, number))
        _ksef_marker(row, jpk)
        _add(row, "tns:K_19", _decimal(net))
        _add(row, "tns:K_20", _decimal(vat))
    control = _add(records, "tns:SprzedazCtrl")
    _add(control, "tns:LiczbaWierszySprzedazy", len(jpk.sales))
    _add(control, "tns:PodatekNalezny", _decimal(sum(vat for _, vat in jpk.sales)))
    _purchases(records, jpk)


def _purchases(records: ET.Element, jpk: JpkFile) -> None:
    for number, (net, vat) in enumerate(jpk.purchases, start=1):
        row = _add(records, "tns:ZakupWiersz")
        _add(row, "tns:LpZakupu", number)
        _add(row, "tns:NrDostawcy", "5260250274")
        _add(row, "tns:NazwaDostawcy", f"Dostawca {number}")
        _add(row, "tns:DowodZakupu", f"Z/{number}/{jpk.month:02d}/{jpk.year}")
        _add(row, "tns:DataZakupu", _row_date(jpk, number))
        _ksef_marker(row, jpk)
        _add(row, "tns:K_42", _decimal(net))
        _add(row, "tns:K_43", _decimal(vat))
    control = _add(records, "tns:ZakupCtrl")
    _add(control, "tns:LiczbaWierszyZakupow", len(jpk.purchases))
    _add(control, "tns:PodatekNaliczony", _decimal(sum(vat for _, vat in jpk.purchases)))


def _ksef_marker(row: ET.Element, jpk: JpkFile) -> None:
    if jpk.variant >= 3:
        _add(row, "tns:BFK", 1)


def _row_date(jpk: JpkFile, number: int) -> str:
    return date(jpk.year, jpk.month, (number - 1) % 28 + 1).isoformat()


def _decimal(grosze: int) -> str:
    """Grosze as a record amount: "1234.50", "-0.07"."""
    sign = "-" if grosze < 0 else ""
    zloty, rest = divmod(abs(grosze), 100)
    return f"{sign}{zloty}.{rest:02d}"
