"""A demo accounting office: client companies with months of JPK_V7 and KEDU files.

The office is generated from a seed, so the same arguments give the same files. It has what a
real office's month holds and what goes wrong in one: a client in both programs, a name that
differs between them, a JPK correction, a second DRA (correction), a quarterly VAT payer, a client
whose NIP fails the checksum and a file cut off in the middle. It scales to thousands of
companies for the benchmarks.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from konekto_pipeline.domain.money import round_tax_grosze
from konekto_pipeline.domain.periods import months, parse_period, period, previous, quarter_end
from konekto_pipeline.sources.jpk.writer import JpkDeclaration, JpkFile, write_jpk
from konekto_pipeline.sources.kedu.writer import DraDocument, write_kedu

_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
_REGON_WEIGHTS = (8, 9, 2, 3, 4, 5, 6, 7)
_PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
_TRADES = (
    "Piekarnia", "Zakład Stolarski", "Usługi Transportowe", "Biuro Projektowe",
    "Sklep Spożywczy", "Warsztat Samochodowy", "Pracownia Krawiecka", "Gabinet Stomatologiczny",
    "Hurtownia Budowlana", "Kwiaciarnia", "Serwis Komputerowy", "Pracownia Ceramiki",
)  # fmt: skip
_MARKS = (
    "Łączka", "Żbik", "Sęk", "Źródło", "Ćma", "Pszczółka", "Gęś", "Wrzos", "Jaśmin", "Dąbek",
    "Kłos", "Świt",
)  # fmt: skip
_PEOPLE = (
    ("Józef", "Żółkiewski"), ("Małgorzata", "Wiśniewska"), ("Łukasz", "Dąbrowski"),
    ("Zofia", "Kozłowska"), ("Grzegorz", "Gałązka"), ("Agnieszka", "Świątek"),
)  # fmt: skip
_FORMS = ("sp. z o.o.", "s.c.", "person", "sp. j.", "person", "sp. z o.o.")


@dataclass(frozen=True)
class DemoCompany:
    """One client of the demo office and where the office keeps it."""

    nip: str
    name: str
    legal_form: str
    person: tuple[str, str] | None = None
    pesel: str | None = None
    regon: str | None = None
    vat_period: str | None = "M"
    in_kedu: bool = True
    kedu_name: str | None = None


@dataclass
class DemoOffice:
    """Where the generated office lives and what it holds."""

    folder: Path
    first_period: str
    last_period: str
    companies: list[DemoCompany] = field(default_factory=list)

    @property
    def settings_path(self) -> Path:
        return self.folder / "konekto.yaml"

    @property
    def panel_database(self) -> Path:
        return self.folder / "panel.sqlite"

    def describe(self) -> str:
        in_kedu = sum(company.in_kedu for company in self.companies)
        with_vat = sum(company.vat_period is not None for company in self.companies)
        return (
            f"{len(self.companies)} companies ({with_vat} with JPK_V7 files, {in_kedu} with KEDU "
            f"files), months {self.first_period}..{self.last_period}"
        )


def create_demo_office(
    folder: Path, companies: int = 12, last_period: str | None = None, month_count: int = 3
) -> DemoOffice:
    """Generate the office's files and settings under `folder` (jpk/, kedu/, konekto.yaml)."""
    today = date.today()
    last = last_period or previous(period(today.year, today.month))
    first = months_back(last, month_count - 1)
    office = DemoOffice(Path(folder).resolve(), first, last, _companies(companies))
    for sub in ("jpk", "kedu"):
        (office.folder / sub).mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"demo-{companies}-{last}")
    for index, company in enumerate(office.companies):
        _write_company_jpk(office, company, index, rng)
    _write_kedu_files(office, rng)
    _write_broken_file(office)
    _write_settings(office)
    return office


def months_back(last: str, count: int) -> str:
    first = last
    for _ in range(count):
        first = previous(first)
    return first


def _companies(count: int) -> list[DemoCompany]:
    rng = random.Random(f"companies-{count}")
    result = [_company(index, rng) for index in range(max(count - 1, 1))]
    result.append(_invalid_nip_company(rng))
    return result


def _company(index: int, rng: random.Random) -> DemoCompany:
    form = _FORMS[index % len(_FORMS)]
    trade = f"{_TRADES[index % len(_TRADES)]} {_MARKS[(index // len(_TRADES)) % len(_MARKS)]}"
    nip = _valid_nip(rng)
    if form == "person":
        person = _PEOPLE[index % len(_PEOPLE)]
        return DemoCompany(
            nip, f"{person[0]} {person[1]}", "other", person=person, pesel=_pesel(rng),
            vat_period="Q" if index == 2 else "M", in_kedu=index != 8,
        )  # fmt: skip
    legal_form = "legal_person" if form == "sp. z o.o." else "other"
    kedu_name = _short_name(f"{trade} {form}") if index != 1 else f"PHU {_MARKS[0].upper()}"
    return DemoCompany(
        nip, f"{trade} {form}", legal_form, regon=_regon(rng),
        vat_period=None if index == 5 else "M", kedu_name=kedu_name,
    )  # fmt: skip


def _invalid_nip_company(rng: random.Random) -> DemoCompany:
    nip = _valid_nip(rng)
    broken = nip[:9] + str((int(nip[9]) + 1) % 10)
    return DemoCompany(broken, "Firma Z Błędnym NIP-em s.c.", "other", in_kedu=False)


def _short_name(name: str) -> str:
    """Płatnik keeps a short name of at most 31 characters, usually in capitals."""
    return name.upper()[:31]


def _valid_nip(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
        check = sum(d * w for d, w in zip(digits, _NIP_WEIGHTS, strict=True)) % 11
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def _regon(rng: random.Random) -> str:
    digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
    check = sum(d * w for d, w in zip(digits, _REGON_WEIGHTS, strict=True)) % 11 % 10
    return "".join(map(str, digits)) + str(check)


def _pesel(rng: random.Random) -> str:
    born = date(1960, 1, 1) + timedelta(days=rng.randint(0, 14000))
    digits = f"{born:%y%m%d}{rng.randint(0, 9999):04d}"
    check = (10 - sum(int(d) * w for d, w in zip(digits, _PESEL_WEIGHTS, strict=True)) % 10) % 10
    return digits + str(check)


def _nrs(nip: str) -> str:
    """A ZUS account (NRS) as ZUS would assign it, for the demo's settings file."""
    bban = f"60000002026001{nip}"
    return f"{98 - int(bban + '252100') % 97:02d}{bban}"


def _write_company_jpk(
    office: DemoOffice, company: DemoCompany, index: int, rng: random.Random
) -> None:
    if company.vat_period is None:
        return
    for month in months(office.first_period, office.last_period):
        jpk = _jpk_file(company, month, rng)
        write_jpk(office.folder / "jpk" / f"JPK_V7_{company.nip}_{month}.xml", jpk)
        if index == 1 and month == office.last_period:
            _write_correction(office, jpk)


def _jpk_file(company: DemoCompany, month: str, rng: random.Random) -> JpkFile:
    year, month_no = parse_period(month)
    sales = [_row(rng, 150_000, 2_500_000) for _ in range(rng.randint(3, 8))]
    purchases = [_row(rng, 50_000, 1_200_000) for _ in range(rng.randint(1, 6))]
    quarterly = company.vat_period == "Q"
    declares = not quarterly or quarter_end(month) == month
    return JpkFile(
        nip=company.nip,
        year=year,
        month=month_no,
        form="V7K" if quarterly else "V7M",
        variant=3 if month >= "2026-02" else 2,
        company_name=None if company.person else company.name,
        person=company.person,
        email=f"kontakt{company.nip[-4:]}@example.pl",
        declaration=_declaration(sales, purchases) if declares else None,
        sales=sales,
        purchases=purchases,
    )


def _row(rng: random.Random, low: int, high: int) -> tuple[int, int]:
    net = rng.randint(low, high)
    return net, (net * 23 + 50) // 100


def _declaration(sales: list[tuple[int, int]], purchases: list[tuple[int, int]]) -> JpkDeclaration:
    output = _zloty(sum(vat for _, vat in sales))
    deductible = _zloty(sum(vat for _, vat in purchases))
    balance = output - deductible
    return JpkDeclaration(
        p38=output,
        p42=_zloty(sum(net for net, _ in purchases)),
        p43=deductible,
        p48=deductible,
        p51=max(balance, 0),
        p53=max(-balance, 0) or None,
        p62=max(-balance, 0) or None,
    )


def _zloty(grosze: int) -> int:
    """Whole złoty of a declaration field, rounded half-up."""
    return round_tax_grosze(grosze) // 100


def _write_correction(office: DemoOffice, original: JpkFile) -> None:
    """The client found a missing sales invoice: the month is corrected with a higher VAT."""
    sales = [*original.sales, (1_000_000, 230_000)]
    corrected = JpkFile(
        **{
            **original.__dict__,
            "correction": True,
            "created": datetime(original.year, original.month, 28, 12, 0) + timedelta(days=20),
            "sales": sales,
            "declaration": _declaration(sales, list(original.purchases)),
        }
    )
    write_jpk(
        office.folder / "jpk" / f"JPK_V7_{original.nip}_{office.last_period}_k.xml", corrected
    )


def _write_kedu_files(office: DemoOffice, rng: random.Random) -> None:
    payers = [company for company in office.companies if company.in_kedu]
    for number, month in enumerate(months(office.first_period, office.last_period)):
        documents = [_dra(company, month, rng) for company in payers]
        write_kedu(
            office.folder / "kedu" / f"DRA_{month}.xml",
            documents,
            version="5.7" if month >= "2026-05" else "5.6",
            in_zestaw=number % 2 == 1,
        )
    corrected = payers[3] if len(payers) > 3 else payers[0]
    base = _dra(corrected, office.first_period, random.Random(corrected.nip))
    write_kedu(
        office.folder / "kedu" / f"DRA_{office.first_period}_korekta.xml",
        [DraDocument(**{**base.__dict__, "declaration_no": 2, "social": base.social + 12_345})],
    )


def _dra(company: DemoCompany, month: str, rng: random.Random) -> DraDocument:
    employees = 0 if company.person else rng.randint(1, 6)
    social = 178_829 + employees * rng.randint(120_000, 190_000)
    health = 43_254 + employees * rng.randint(30_000, 45_000)
    labour = 13_847 + employees * rng.randint(11_000, 16_000)
    return DraDocument(
        nip=company.nip,
        period=month,
        regon=company.regon,
        pesel=company.pesel,
        short_name=company.kedu_name or _short_name(company.name),
        first_name=company.person[0].upper() if company.person else None,
        last_name=company.person[1].upper() if company.person else None,
        social=social,
        health=health,
        labour_fund=labour,
        fgsp=employees * 500,
    )


def _write_broken_file(office: DemoOffice) -> None:
    """A file cut off mid-way, as an interrupted copy to a network share leaves it."""
    source = sorted((office.folder / "jpk").glob("JPK_V7_*.xml"))[0]
    text = source.read_text(encoding="utf-8")
    (office.folder / "jpk" / "JPK_V7_przerwany.xml").write_text(
        text[: len(text) // 2], encoding="utf-8"
    )


def _write_settings(office: DemoOffice) -> None:
    overrides: dict[str, dict[str, object]] = {}
    for company in office.companies:
        if company.legal_form == "legal_person":
            overrides[company.nip] = {
                "legal_form": "legal_person",
                "zus_account": _nrs(company.nip),
            }
    conflicted = office.companies[1]
    settings = {
        "office_name": "Biuro Rachunkowe Demo",
        "programs": {"jpk": {"folder": "jpk"}, "kedu": {"folder": "kedu"}},
        "panel": {"database": "panel.sqlite"},
        "update": {"companies": "all", "data_types": ["zus", "taxes", "summaries"]},
        "approval": {"zus": "never", "taxes": "never", "summaries": "never"},
        "send_summaries": False,
        "companies": overrides,
    }
    header = (
        "# konekto-pipeline settings of the demo office. Paths are relative to this file.\n"
        f"# {conflicted.name} (NIP {conflicted.nip}) is named differently in KEDU and JPK:\n"
        "# give it a `name` under `companies` to settle the conflict.\n"
    )
    office.settings_path.write_text(
        header + yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
