"""A demo accounting office: client companies in JPK_V7 and KEDU files and in programs' data.

The office is generated from a seed, so the same arguments give the same files. It has what a
real office's month holds and what goes wrong in one: a client in several programs, a name that
differs between them, a JPK correction, a second DRA (correction), a quarterly VAT payer, a client
whose NIP fails the checksum and a file cut off in the middle. It scales to thousands of
companies for the benchmarks.

Besides the files, the office keeps clients in the databases of Comarch ERP Optima, Płatnik,
InsERT GT Rachmistrz and Reset2 (Księga and Firma): SQLite files with each program's tables,
read by the same readers that read SQL Server. The settings point at them through
`{settings_dir}`, so the folder can be moved. Optima makes one client's JPK files and Płatnik
settles its ZUS (so its taxes come from Optima and its ZUS from Płatnik, by the default source
order), a former client sits in an inactive Optima database, and one Reset2 client's VAT
declaration setting leaves a month uncovered, which the sync reports for that client.

Raks and Fakt keep their clients on a Firebird server: the demo writes their databases on the
local one (127.0.0.1:3050, SYSDBA, password from KONEKTO_FB_PASSWORD, "masterkey" when unset)
into firebird/ here, which the server's account must be able to reach. Raks keeps one of the
JPK clients (its taxes then come from Raks, which the default source order puts before JPK)
and a client of its own with a month without a VAT declaration; Fakt keeps two clients with
their ZUS and taxes in saved "taxes to pay" reports, one with a VAT amount whose declaration
was not generated. Both months are reported by the sync. Without a usable server the demo
leaves Raks and Fakt out, says why (`DemoOffice.skipped`), and runs the rest.

Buchalter, KPR, Mała Księgowość „Rzeczpospolitej” and Symfonia Mała Księgowość keep their
clients in DBF files: buchalter/ (a subfolder per client), kpr/KPR_<year>/ (a folder per fiscal
year the months touch, each with ImportDoKPR's export; Mazovia with a zero language-driver byte,
as DOS programs leave them), mk/Biuro/ (found through the program's options file mk/MK.INI) and
symfonia/Dane/ (a folder per client, listed in symfonia/MKP.INI). One Buchalter client employs
staff and its employees' ZUS export is missing for the last month, so that month's ZUS is
reported for it and not sent. A partnership with JPK and KEDU files keeps its books in KPR: its
taxes and summaries come from KPR, its ZUS from KEDU. What the demo wrote for these programs'
clients is in `DemoOffice.figures`, for the readers to be checked against.
"""

import os
import random
import shutil
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from konekto_pipeline.domain.money import round_tax_grosze
from konekto_pipeline.domain.periods import (
    months,
    next_period,
    parse_period,
    period,
    previous,
    quarter_end,
)
from konekto_pipeline.sources.buchalter import writer as buchalter
from konekto_pipeline.sources.fakt import writer as fakt
from konekto_pipeline.sources.firebird.connection import FirebirdConnectionError
from konekto_pipeline.sources.firebird.local import (
    DEFAULT_PASSWORD,
    PASSWORD_ENV,
    give_to_server,
    local_target,
    server_problem,
)
from konekto_pipeline.sources.jpk.writer import JpkDeclaration, JpkFile, write_jpk
from konekto_pipeline.sources.kedu.writer import DraDocument, write_kedu
from konekto_pipeline.sources.kpr import writer as kpr
from konekto_pipeline.sources.mala_ksiegowosc import writer as mk
from konekto_pipeline.sources.optima import writer as optima
from konekto_pipeline.sources.platnik import writer as platnik
from konekto_pipeline.sources.rachmistrz import writer as gt
from konekto_pipeline.sources.raks import writer as raks
from konekto_pipeline.sources.reset2 import writer as reset2
from konekto_pipeline.sources.symfonia import writer as symfonia

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

# Clients with JPK/KEDU files (by index) that database programs keep as well: Optima keeps the
# books of the first and makes its JPK files, Płatnik settles its ZUS (KEDU files are Płatnik's
# export); the sole trader without KEDU files has its ZUS in Płatnik only.
_ALSO_IN_PROGRAMS: dict[int, tuple[str, ...]] = {3: ("optima", "platnik"), 8: ("platnik",)}

_PROGRAM_TITLES = {
    "optima": "Optima",
    "platnik": "Płatnik",
    "rachmistrz": "Rachmistrz",
    "reset2_ksiega": "Reset2 Księga",
    "reset2_firma": "Reset2 Firma",
}
_FIREBIRD_TITLES = {"raks": "Raks", "fakt": "Fakt"}
_FILE_TITLES = {
    "buchalter": "Buchalter",
    "kpr": "KPR",
    "mala_ksiegowosc": "Mała Księgowość",
    "symfonia": "Symfonia",
}
_PLATNIK_DATABASE = "Platnik"
_FIREBIRD_FOLDER = "firebird"
_FAKT_DATABASE = "FAKT.FDB"
_RESET2_DATABASES = {"reset2_ksiega": "R2Ksiega", "reset2_firma": "R2Firma"}


@dataclass(frozen=True)
class DemoCompany:
    """One client of the demo office and where the office keeps it.

    `vat_period` is the period of the client's JPK_V7 files (None: the office has none for it);
    `programs` are the database programs that keep it (optima, platnik, rachmistrz, reset2_*).
    """

    nip: str
    name: str
    legal_form: str
    person: tuple[str, str] | None = None
    pesel: str | None = None
    regon: str | None = None
    vat_period: str | None = "M"
    in_kedu: bool = True
    kedu_name: str | None = None
    programs: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoFigures:
    """What the demo wrote for a client of a file-based program and a month, in grosze: what
    the program's reader must give back.

    `taxes` are the amounts to pay by tax (a VAT-7K in its quarter's last month); `zus` is the
    month's ZUS total (None: none to send); `summary` holds revenue, costs, revenue_ytd and
    costs_ytd (None: the program sends no summary for the client).
    """

    program: str
    nip: str
    period: str
    taxes: Mapping[str, int]
    zus: int | None = None
    summary: Mapping[str, int] | None = None


@dataclass
class DemoOffice:
    """Where the generated office lives and what it holds.

    `inactive` are former clients whose Optima database is marked inactive: never read.
    `skipped` says why programs were left out (Raks and Fakt without a usable Firebird server).
    `figures` are the months written for the file-based programs' clients.
    """

    folder: Path
    first_period: str
    last_period: str
    companies: list[DemoCompany] = field(default_factory=list)
    inactive: list[DemoCompany] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    figures: list[DemoFigures] = field(default_factory=list)

    @property
    def settings_path(self) -> Path:
        return self.folder / "konekto.yaml"

    @property
    def panel_database(self) -> Path:
        return self.folder / "panel.sqlite"

    @property
    def uses_firebird(self) -> bool:
        """Whether Raks's and Fakt's demo databases are on this machine's Firebird server."""
        settings = yaml.safe_load(self.settings_path.read_text(encoding="utf-8"))
        return bool({"raks", "fakt"} & set(settings.get("programs") or {}))

    def describe(self) -> str:
        in_kedu = sum(company.in_kedu for company in self.companies)
        with_vat = sum(company.vat_period is not None for company in self.companies)
        in_programs = self._counts(_PROGRAM_TITLES)
        inactive = len(self.inactive)
        on_firebird = ""
        if not self.skipped:
            on_firebird = f"; on the local Firebird server: {self._counts(_FIREBIRD_TITLES)}"
        text = (
            f"{len(self.companies)} companies ({with_vat} with JPK_V7 files, {in_kedu} with KEDU "
            f"files; in program databases (SQLite): {in_programs}{on_firebird}; in program "
            f"files (DBF): {self._counts(_FILE_TITLES)}; former clients in an inactive Optima "
            f"database: {inactive}), months {self.first_period}..{self.last_period}"
        )
        return "".join([text, *(f". {reason}" for reason in self.skipped)])

    def _counts(self, titles: Mapping[str, str]) -> str:
        """How many companies each program keeps: "Optima 3, Płatnik 2"."""
        return ", ".join(
            f"{title} {sum(key in company.programs for company in self.companies)}"
            for key, title in titles.items()
        )


@dataclass(frozen=True)
class _ProgramClient:
    """A client that only a database program keeps (no JPK or KEDU files), and how it is taxed."""

    program: str
    trade: str
    person: tuple[str, str]
    lump_sum: bool = False  # ryczałt (PIT-28) instead of KPiR
    flat_tax: bool = False  # KPiR with the 19 % flat tax (PIT-5L) instead of the tax scale
    quarterly: bool = False  # VAT-7K
    in_platnik: bool = False  # Płatnik settles its ZUS
    active: bool = True  # False: its Optima database is marked inactive (a former client)
    late_vat_setting: bool = False  # Reset2: the VAT-7 setting starts a month too late
    missing_vat: bool = False  # Raks: no VAT-7 added; Fakt: VAT-7 not generated (one month)
    employs: bool = False  # Buchalter: pays its staff's ZUS; their export lacks the last month


_PROGRAM_CLIENTS = (
    _ProgramClient("optima", "Usługi Hydrauliczne", ("Włodzimierz", "Jóźwiak")),
    _ProgramClient("optima", "Gospoda Pod Śnieżką", ("Bożena", "Kłosińska"), lump_sum=True),
    _ProgramClient("optima", "Hurtownia Owoców Jabłonka", ("Edward", "Pęcikowski"),
                   quarterly=True, active=False),
    _ProgramClient("rachmistrz", "Pracownia Złotnicza", ("Jadwiga", "Łuczyńska"),
                   in_platnik=True),
    _ProgramClient("rachmistrz", "Szkoła Tańca Płomień", ("Krystyna", "Ożóg"),
                   lump_sum=True, quarterly=True),
    _ProgramClient("reset2_ksiega", "Zakład Szklarski", ("Bogusław", "Wójcik")),
    _ProgramClient("reset2_ksiega", "Studio Fotograficzne Migawka", ("Żaneta", "Pietrzyk"),
                   flat_tax=True, late_vat_setting=True),
    _ProgramClient("reset2_firma", "Sklep Rowerowy Szprycha", ("Mirosław", "Gęsiarz"),
                   lump_sum=True),
)  # fmt: skip

# Clients Raks and Fakt alone keep, on the Firebird server.
_FIREBIRD_CLIENTS = (
    _ProgramClient("raks", "Biuro Podróży Albatros", ("Zdzisław", "Żmuda"), missing_vat=True),
    _ProgramClient("fakt", "Usługi Remontowe", ("Ryszard", "Ślęzak")),
    _ProgramClient("fakt", "Salon Fryzjerski Loczek", ("Halina", "Żurawska"), lump_sum=True,
                   missing_vat=True),
)  # fmt: skip

# Clients the file-based programs alone keep (a JPK client joins KPR's when there is one).
_FILE_CLIENTS = (
    _ProgramClient("buchalter", "Zakład Ślusarski", ("Stanisław", "Kędzierski"), employs=True),
    _ProgramClient("buchalter", "Pensjonat Pod Jodłą", ("Genowefa", "Ćwiklińska"),
                   lump_sum=True),
    _ProgramClient("kpr", "Sklep Zoologiczny Żółwik", ("Tadeusz", "Głąbiński")),
    _ProgramClient("kpr", "Usługi Dekarskie", ("Wiesław", "Łęcki"), quarterly=True),
    _ProgramClient("mala_ksiegowosc", "Gabinet Masażu Relaks", ("Danuta", "Źrebiec"),
                   lump_sum=True),
    _ProgramClient("mala_ksiegowosc", "Pracownia Reklamy Szyld", ("Marek", "Śliwiński"),
                   flat_tax=True),
    _ProgramClient("symfonia", "Przychodnia Weterynaryjna Łapa", ("Bożydar", "Żuk")),
    _ProgramClient("symfonia", "Kawiarnia Pod Złotym Kłosem", ("Iwona", "Mączyńska"),
                   lump_sum=True, quarterly=True),
)  # fmt: skip


def create_demo_office(
    folder: Path, companies: int = 12, last_period: str | None = None, month_count: int = 3
) -> DemoOffice:
    """Generate the office under `folder`: jpk/ and kedu/ files, the databases in optima/,
    platnik/, rachmistrz/ and reset2/, Raks's and Fakt's on the local Firebird server in
    firebird/ (left out, with the reason in `skipped`, when that server cannot be used), the
    DBF files of Buchalter, KPR, Mała Księgowość and Symfonia in buchalter/, kpr/, mk/ and
    symfonia/, and konekto.yaml.

    `companies` counts the clients with JPK and KEDU files (the one with an invalid NIP last);
    the database programs' own clients, a fixed handful, come on top. Optima and Płatnik share
    a client with the files from 5 companies on, Płatnik the sole trader without KEDU files
    from 10 on, KPR a partnership with the files from 9 on; a smaller office's Płatnik settles
    only a Rachmistrz client.
    """
    today = date.today()
    last = last_period or previous(period(today.year, today.month))
    first = months_back(last, month_count - 1)
    clients = _companies(companies)
    kept = _program_clients({c.nip for c in clients}, random.Random(f"programs-{companies}"))
    office = DemoOffice(
        Path(folder).resolve(),
        first,
        last,
        [*clients[:-1], *(company for company, client in kept if client.active), clients[-1]],
        [company for company, client in kept if not client.active],
    )
    for sub in ("jpk", "kedu"):
        (office.folder / sub).mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"demo-{companies}-{last}")
    filings = {
        company.nip: _write_company_jpk(office, company, index, rng)
        for index, company in enumerate(office.companies)
    }
    dras = _write_kedu_files(office, rng)
    _write_broken_file(office)
    books = _ProgramBooks(office, kept, filings, dras, random.Random(f"books-{companies}-{last}"))
    databases = books.write()
    databases.update(_FirebirdBooks(office, filings, companies, last).write())
    databases.update(_FileBooks(office, filings, companies, last).write())
    _write_settings(office, databases)
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
    programs = _ALSO_IN_PROGRAMS.get(index, ())
    if form == "person":
        person = _PEOPLE[index % len(_PEOPLE)]
        return DemoCompany(
            nip, f"{person[0]} {person[1]}", "other", person=person, pesel=_pesel(rng),
            vat_period="Q" if index == 2 else "M", in_kedu=index != 8, programs=programs,
        )  # fmt: skip
    legal_form = "legal_person" if form == "sp. z o.o." else "other"
    kedu_name = _short_name(f"{trade} {form}") if index != 1 else f"PHU {_MARKS[0].upper()}"
    return DemoCompany(
        nip, f"{trade} {form}", legal_form, regon=_regon(rng),
        vat_period=None if index == 5 else "M", kedu_name=kedu_name, programs=programs,
    )  # fmt: skip


def _invalid_nip_company(rng: random.Random) -> DemoCompany:
    nip = _valid_nip(rng)
    broken = nip[:9] + str((int(nip[9]) + 1) % 10)
    return DemoCompany(broken, "Firma Z Błędnym NIP-em s.c.", "other", in_kedu=False)


def _program_clients(
    taken: set[str], rng: random.Random
) -> list[tuple[DemoCompany, _ProgramClient]]:
    """The database programs' own clients, sole traders with NIPs no other client has."""
    return _program_clients_of(_PROGRAM_CLIENTS, taken, rng)


def _program_clients_of(
    clients: Sequence[_ProgramClient], taken: set[str], rng: random.Random
) -> list[tuple[DemoCompany, _ProgramClient]]:
    kept = []
    for client in clients:
        nip = _valid_nip(rng)
        while nip in taken:
            nip = _valid_nip(rng)
        taken.add(nip)
        first_name, last_name = client.person
        company = DemoCompany(
            nip, f"{client.trade} {first_name} {last_name}", "other", person=client.person,
            pesel=_pesel(rng), regon=_regon(rng), vat_period=None, in_kedu=False,
            programs=(client.program, "platnik") if client.in_platnik else (client.program,),
        )  # fmt: skip
        kept.append((company, client))
    return kept


def _short_name(name: str) -> str:
    """Płatnik keeps a short name of at most 31 characters, usually in capitals."""
    return name.upper()[:31]


def _email(company: DemoCompany) -> str:
    return f"kontakt{company.nip[-4:]}@example.pl"


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


# --- JPK and KEDU files ---------------------------------------------------------------------


def _write_company_jpk(
    office: DemoOffice, company: DemoCompany, index: int, rng: random.Random
) -> list[JpkFile]:
    """The client's JPK files of every month (and one correction); returns the first filings."""
    if company.vat_period is None:
        return []
    filings = []
    for month in months(office.first_period, office.last_period):
        jpk = _jpk_file(company, month, rng)
        write_jpk(office.folder / "jpk" / f"JPK_V7_{company.nip}_{month}.xml", jpk)
        filings.append(jpk)
        if index == 1 and month == office.last_period:
            _write_correction(office, jpk)
    return filings


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
        email=_email(company),
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


def _write_kedu_files(office: DemoOffice, rng: random.Random) -> list[DraDocument]:
    """Płatnik's KEDU export of every month and one correction; returns every DRA written."""
    payers = [company for company in office.companies if company.in_kedu]
    written = []
    for number, month in enumerate(months(office.first_period, office.last_period)):
        documents = [_dra(company, month, rng) for company in payers]
        write_kedu(
            office.folder / "kedu" / f"DRA_{month}.xml",
            documents,
            version="5.7" if month >= "2026-05" else "5.6",
            in_zestaw=number % 2 == 1,
        )
        written += documents
    corrected = payers[3] if len(payers) > 3 else payers[0]
    correction = _correction(_dra(corrected, office.first_period, random.Random(corrected.nip)))
    write_kedu(office.folder / "kedu" / f"DRA_{office.first_period}_korekta.xml", [correction])
    return [*written, correction]


def _correction(original: DraDocument) -> DraDocument:
    """A second DRA of the month (declaration 02): a contribution was left out of the first."""
    return DraDocument(
        **{**original.__dict__, "declaration_no": 2, "social": original.social + 12_345}
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


# --- program databases ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Month:
    """A client's month as its books hold it: net sales and purchases, in grosze."""

    period: str
    revenue: int
    costs: int

    @property
    def year(self) -> int:
        return parse_period(self.period)[0]

    @property
    def month(self) -> int:
        return parse_period(self.period)[1]

    @property
    def output_vat(self) -> int:
        return (self.revenue * 23 + 50) // 100

    @property
    def input_vat(self) -> int:
        return (self.costs * 23 + 50) // 100


_Kept = tuple[DemoCompany, _ProgramClient, list[_Month]]  # a client, how it is taxed, its months


def _vat_return(books: Sequence[_Month], month: _Month, quarterly: bool) -> list[_Month] | None:
    """The months a VAT return filed for `month` settles; None inside a quarter (no return)."""
    if not quarterly:
        return [month]
    if quarter_end(month.period) != month.period:
        return None
    return [entry for entry in books if quarter_end(entry.period) == month.period]


def _vat_to_pay(settled: Sequence[_Month]) -> int:
    """VAT to pay in grosze of whole złoty (an excess is carried forward: nothing to pay)."""
    balance = sum(entry.output_vat - entry.input_vat for entry in settled)
    return round_tax_grosze(max(balance, 0))


def _advance(month: _Month, client: _ProgramClient) -> tuple[str, int]:
    """The month's income-tax advance in grosze of whole złoty, simplified to the month alone:
    8.5 % of revenue for ryczałt, 19 % (PIT-5L) or 12 % (PIT-5) of income for KPiR."""
    if client.lump_sum:
        return "PIT-28", round_tax_grosze(month.revenue * 85 // 1000)
    rate = 19 if client.flat_tax else 12
    income = max(month.revenue - month.costs, 0)
    return ("PIT-5L" if client.flat_tax else "PIT-5"), round_tax_grosze(income * rate // 100)


def _database_name(prefix: str, company: DemoCompany) -> str:
    """A database name as offices give them: the program's prefix and the client's surname (or
    first two words of its name), in ASCII."""
    words = [company.person[1]] if company.person else company.name.split()[:2]
    return f"{prefix}_{_ascii('_'.join(words))}"


def _sqlite_url(folder: str) -> str:
    """A url template reading `<settings folder>/<folder>/<database>.sqlite`, wherever it is."""
    return f"sqlite:///{{settings_dir}}/{folder}/{{database}}.sqlite"


_OPTIMA_ADVANCES = {"PIT-5": optima.PIT_5, "PIT-5L": optima.PIT_5L, "PIT-28": optima.PIT_28}
_GT_ADVANCES = {"PIT-5": gt.PIT_5, "PIT-5L": gt.PIT_5L, "PIT-28": gt.PIT_28}
_RESET2_ADVANCES = {"PIT-5": reset2.PIT_5, "PIT-5L": reset2.PIT_5L, "PIT-28": reset2.PIT_28}


class _ProgramBooks:
    """Writes every program's databases; each writer returns the settings that read them."""

    def __init__(
        self,
        office: DemoOffice,
        kept: list[tuple[DemoCompany, _ProgramClient]],
        filings: dict[str, list[JpkFile]],
        dras: list[DraDocument],
        rng: random.Random,
    ) -> None:
        self.office = office
        self.kept = kept
        self.filings = filings
        self.dras = dras
        self.rng = rng
        self.books = {company.nip: self._months() for company, _ in kept}

    def write(self) -> dict[str, dict[str, object]]:
        return {
            "optima": self.optima(),
            "platnik": self.platnik(),
            "rachmistrz": self.rachmistrz(),
            **{key: self.reset2(key) for key in _RESET2_DATABASES},
        }

    def _months(self) -> list[_Month]:
        books = []
        for month in months(self.office.first_period, self.office.last_period):
            revenue = self.rng.randint(1_500_000, 9_000_000)
            books.append(_Month(month, revenue, self.rng.randint(300_000, revenue * 2 // 3)))
        return books

    def _clients(self, program: str) -> list[_Kept]:
        return [
            (company, client, self.books[company.nip])
            for company, client in self.kept
            if client.program == program
        ]

    # --- Optima -----------------------------------------------------------------------------

    def optima(self) -> dict[str, object]:
        """The configuration database and one database per client, the inactive one too."""
        shared = [
            _optima_partnership(company, self.filings[company.nip])
            for company in self.office.companies
            if "optima" in company.programs and company.vat_period is not None
        ]
        own = [_optima_company(*kept) for kept in self._clients("optima")]
        office = optima.OptimaOffice([*shared, *own])
        optima.write_optima_sqlite_office(self.office.folder / "optima", office)
        return {"url": _sqlite_url("optima"), "database": office.configuration}

    # --- Płatnik ----------------------------------------------------------------------------

    def platnik(self) -> dict[str, object]:
        """One database with every payer Płatnik settles, and a correction (declaration 02)."""
        companies = [company for company in self.office.companies if "platnik" in company.programs]
        payers = [_payer(number, company) for number, company in enumerate(companies, 1)]
        documents = [
            (payer, document)
            for payer, company in zip(payers, companies, strict=True)
            for document in self._dras_of(company)
        ]
        if documents and not any(document.declaration_no > 1 for _, document in documents):
            payer, first = documents[0]
            documents.append((payer, _correction(first)))
        dras = [
            _platnik_dra(number, payer, document)
            for number, (payer, document) in enumerate(documents, 1)
        ]
        path = self.office.folder / "platnik" / f"{_PLATNIK_DATABASE}.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        platnik.write_platnik_sqlite(path, payers, dras)
        return {"url": _sqlite_url("platnik"), "database": _PLATNIK_DATABASE}

    def _dras_of(self, company: DemoCompany) -> list[DraDocument]:
        """A client with KEDU files has the DRAs of its files (they are Płatnik's export, with
        the KEDU correction); another gets new ones."""
        exported = [document for document in self.dras if document.nip == company.nip]
        synced = months(self.office.first_period, self.office.last_period)
        return exported or [_dra(company, month, self.rng) for month in synced]

    # --- Rachmistrz -------------------------------------------------------------------------

    def rachmistrz(self) -> dict[str, object]:
        """One InsERT GT database per client; GT lists none, so the settings name them."""
        databases = {
            _database_name("GT", company): _gt_company(company, client, books)
            for company, client, books in self._clients("rachmistrz")
        }
        gt.write_rachmistrz_sqlite_files(self.office.folder / "rachmistrz", databases)
        return {"url": _sqlite_url("rachmistrz"), "databases": list(databases)}

    # --- Reset2 -----------------------------------------------------------------------------

    def reset2(self, key: str) -> dict[str, object]:
        """One database holding all the edition's clients."""
        companies = [
            _reset2_company(number, company, client, books, self.office.first_period)
            for number, (company, client, books) in enumerate(self._clients(key), 1)
        ]
        database = _RESET2_DATABASES[key]
        reset2.write_reset2_sqlite(self.office.folder / "reset2" / f"{database}.sqlite", companies)
        return {"url": _sqlite_url("reset2"), "database": database}


def _optima_partnership(company: DemoCompany, filings: list[JpkFile]) -> optima.OptimaCompany:
    """The client whose JPK files Optima makes: the same VAT registers and VAT-7 amounts, and a
    PIT-5 advance for each of its two partners."""
    declarations, kpir, vat = [], [], []
    for filing in filings:
        month = period(filing.year, filing.month)
        sales_net, sales_vat = (sum(column) for column in zip(*filing.sales, strict=True))
        costs_net, costs_vat = (sum(column) for column in zip(*filing.purchases, strict=True))
        vat += [
            optima.VatEntry(month, sales=True, net=sales_net, vat=sales_vat),
            optima.VatEntry(month, sales=False, net=costs_net, vat=costs_vat),
        ]
        kpir.append(optima.KpirEntry(month, sales=sales_net, goods=costs_net))
        if filing.declaration is not None:
            amount = filing.declaration.p51 * 100
            declarations.append(optima.OptimaDeclaration(optima.VAT_7, month, amount))
        share = round_tax_grosze(max(sales_net - costs_net, 0) * 12 // 200)
        declarations += [
            optima.OptimaDeclaration(optima.PIT_5, month, share, taxpayer_id=partner)
            for partner in (1, 2)
        ]
    return optima.OptimaCompany(
        database=_database_name("CDN", company),
        name=company.name,
        nip=company.nip,
        regon=company.regon,
        email=_email(company),
        tax_form="KPiR",
        vat_period="kwartalnie" if company.vat_period == "Q" else "miesięcznie",
        declarations=tuple(declarations),
        kpir=tuple(kpir),
        vat=tuple(vat),
    )


def _optima_company(
    company: DemoCompany, client: _ProgramClient, books: list[_Month]
) -> optima.OptimaCompany:
    """A client Optima alone keeps: VAT-7 (VAT-7K) and advances, its ledger and VAT registers."""
    declarations = []
    for month in books:
        settled = _vat_return(books, month, client.quarterly)
        if settled is not None:
            amount = _vat_to_pay(settled)
            declarations.append(optima.OptimaDeclaration(optima.VAT_7, month.period, amount))
        tax, amount = _advance(month, client)
        declarations.append(optima.OptimaDeclaration(_OPTIMA_ADVANCES[tax], month.period, amount))
    vat = [
        entry
        for month in books
        for entry in (
            optima.VatEntry(month.period, sales=True, net=month.revenue, vat=month.output_vat),
            optima.VatEntry(month.period, sales=False, net=month.costs, vat=month.input_vat),
        )
    ]
    kpir = [optima.KpirEntry(m.period, sales=m.revenue, goods=m.costs) for m in books]
    ryczalt = [optima.RyczaltEntry(m.period, (0, 0, 0, m.revenue)) for m in books]
    return optima.OptimaCompany(
        database=_database_name("CDN", company),
        name=company.name,
        nip=company.nip,
        regon=company.regon,
        email=_email(company),
        tax_form="ryczałt" if client.lump_sum else "KPiR",
        vat_period="kwartalnie" if client.quarterly else "miesięcznie",
        active=client.active,
        declarations=tuple(declarations),
        kpir=() if client.lump_sum else tuple(kpir),
        ryczalt=tuple(ryczalt) if client.lump_sum else (),
        vat=tuple(vat),
    )


def _payer(number: int, company: DemoCompany) -> platnik.Payer:
    return platnik.Payer(
        payer_id=number,
        short_name=company.kedu_name or _short_name(company.name),
        nip=company.nip,
        regon=company.regon,
        pesel=company.pesel,
        first_name=company.person[0].upper() if company.person else None,
        last_name=company.person[1].upper() if company.person else None,
        full_name=None if company.person else company.name,
    )


def _platnik_dra(number: int, payer: platnik.Payer, document: DraDocument) -> platnik.Dra:
    return platnik.Dra(
        document_id=number,
        payer=payer,
        period=document.period,
        declaration_no=document.declaration_no,
        social=document.social,
        health=document.health,
        labour_fund=document.labour_fund,
        fgsp=document.fgsp,
        fep=document.fep,
        deductions=document.deductions,
    )


def _gt_company(company: DemoCompany, client: _ProgramClient, books: list[_Month]) -> gt.GtCompany:
    """A client Rachmistrz keeps: computed declarations and its KPiR or ryczałt register."""
    declarations = []
    for month in books:
        settled = _vat_return(books, month, client.quarterly)
        if settled is not None:
            code = gt.VAT_7K if client.quarterly else gt.VAT_7
            to_pay = _vat_to_pay(settled)
            declarations.append(gt.GtDeclaration(code, month.year, month.month, to_pay))
        tax, amount = _advance(month, client)
        declarations.append(gt.GtDeclaration(_GT_ADVANCES[tax], month.year, month.month, amount))
    booked = [(date(m.year, m.month, 15), m) for m in books]
    kpir = [gt.KpirEntry(day, sales=m.revenue, goods=m.costs) for day, m in booked]
    ryczalt = [gt.RyczaltEntry(day, m.revenue) for day, m in booked]
    return gt.GtCompany(
        nip=company.nip,
        name=company.name,
        short_name=client.trade,
        regon=company.regon,
        email=_email(company),
        accounting_type=gt.RYCZALT if client.lump_sum else gt.KPIR,
        declarations=tuple(declarations),
        kpir=() if client.lump_sum else tuple(kpir),
        ryczalt=tuple(ryczalt) if client.lump_sum else (),
    )


def _reset2_company(
    number: int, company: DemoCompany, client: _ProgramClient, books: list[_Month], first: str
) -> reset2.Reset2Company:
    """A client Reset2 keeps: its VAT setting, computed VAT and advances, monthly book totals."""
    advances = [(month, *_advance(month, client)) for month in books]
    return reset2.Reset2Company(
        company_id=number,
        nip=company.nip,
        name=company.name,
        short_name=client.trade,
        regon=company.regon,
        email=_email(company),
        tax_form=reset2.RYCZALT if client.lump_sum else reset2.KPIR,
        settings=_vat_settings(client, first),
        vat=_reset2_vat(client, books),
        taxes=tuple(
            reset2.TaxAdvance(month.year, month.month, _RESET2_ADVANCES[tax], amount)
            for month, tax, amount in advances
        ),
        books=_reset2_book(client, books),
    )


def _reset2_vat(client: _ProgramClient, books: list[_Month]) -> tuple[reset2.VatFigures, ...]:
    figures = []
    for month in books:
        settled = _vat_return(books, month, client.quarterly)
        if settled is not None:
            figures.append(
                reset2.VatFigures(
                    year=month.year,
                    month=month.month,
                    type_code=reset2.VAT_7K if client.quarterly else reset2.VAT_7,
                    to_pay=_vat_to_pay(settled),
                    output_vat=sum(entry.output_vat for entry in settled),
                    input_vat=sum(entry.input_vat for entry in settled),
                )
            )
    return tuple(figures)


def _reset2_book(client: _ProgramClient, books: list[_Month]) -> tuple[reset2.BookMonth, ...]:
    """Monthly totals with year-to-date sums; a ryczałt book has no costs."""
    return tuple(
        reset2.BookMonth(month.year, month.month, **totals)
        for month, totals in zip(books, _book_totals(books, client.lump_sum), strict=True)
    )


def _book_totals(books: Sequence[_Month], lump_sum: bool) -> list[dict[str, int]]:
    """Each month's revenue and costs with the year's sums to date (counted from the demo's
    first month or January); a ryczałt register has no costs."""
    totals, revenue_ytd, costs_ytd = [], 0, 0
    for month in books:
        costs = 0 if lump_sum else month.costs
        revenue_ytd = month.revenue + (revenue_ytd if month.month > 1 else 0)
        costs_ytd = costs + (costs_ytd if month.month > 1 else 0)
        totals.append(
            {
                "revenue": month.revenue,
                "costs": costs,
                "revenue_ytd": revenue_ytd,
                "costs_ytd": costs_ytd,
            }
        )
    return totals


def _vat_settings(client: _ProgramClient, first: str) -> tuple[reset2.DeclarationSetting, ...]:
    """Which VAT declaration the client files, from when: since the year before the demo; the
    late client registered for VAT with the demo's first month, but the office entered the
    setting from the month after, so no setting covers the first month."""
    if client.late_vat_setting:
        return (
            reset2.DeclarationSetting(reset2.VAT_7, date(*parse_period(next_period(first)), 1)),
        )
    code = reset2.VAT_7K if client.quarterly else reset2.VAT_7
    return (reset2.DeclarationSetting(code, date(parse_period(first)[0] - 1, 1, 1)),)


# --- Raks and Fakt (Firebird) ---------------------------------------------------------------


class _FirebirdBooks:
    """Raks's data folder and Fakt's database on the local Firebird server, in firebird/ here.

    `write` returns their settings; when the server cannot be used (or cannot write there) it
    returns none and says why in `office.skipped`, and the office's companies stay as they were.
    """

    def __init__(
        self, office: DemoOffice, filings: dict[str, list[JpkFile]], companies: int, last: str
    ) -> None:
        self.office = office
        self.filings = filings
        self.nip_rng = random.Random(f"firebird-clients-{companies}")
        self.rng = random.Random(f"firebird-{companies}-{last}")

    def write(self) -> dict[str, dict[str, object]]:
        problem = server_problem(local_target())
        if problem:
            self.office.skipped.append(f"Raks and Fakt left out: {problem}")
            return {}
        taken = {company.nip for company in [*self.office.companies, *self.office.inactive]}
        clients = _program_clients_of(_FIREBIRD_CLIENTS, taken, self.nip_rng)
        books = {company.nip: _books(self.office, self.rng) for company, _ in clients}
        shared = next(
            (
                company
                for company in self.office.companies
                if company.person and company.vat_period == "M" and not company.programs
                and company.in_kedu
            ),
            None,
        )  # fmt: skip
        folder = self.office.folder / _FIREBIRD_FOLDER
        raks_folder, fakt_database = folder / "raks", folder / "fakt" / _FAKT_DATABASE
        shutil.rmtree(folder, ignore_errors=True)  # a demo made again in the same folder
        for made in (folder, raks_folder, fakt_database.parent):
            made.mkdir(parents=True)
            give_to_server(made)
        target = local_target()
        try:
            raks_data = self._raks(clients, books, shared)
            raks.write_raks_data_folder(target, str(raks_folder), raks_data)
            fakt.write_fakt_database(target, str(fakt_database), self._fakt(clients, books))
        except FirebirdConnectionError as error:
            shutil.rmtree(folder, ignore_errors=True)
            self.office.skipped.append(
                f"Raks and Fakt left out: the Firebird server could not create the demo "
                f"databases in {folder} (its account must be able to reach that folder): {error}"
            )
            return {}
        os.environ.setdefault(PASSWORD_ENV, DEFAULT_PASSWORD)  # the demo's own sync reads it
        own = [company for company, _ in clients]
        self.office.companies = [
            *(
                replace(company, programs=("raks",)) if company == shared else company
                for company in self.office.companies[:-1]
            ),
            *own,
            self.office.companies[-1],
        ]
        server = {
            "host": target.host,
            "port": target.port,
            "user": target.user,
            "password_env": PASSWORD_ENV,
        }
        return {
            "raks": {**server, "data_folder": str(raks_folder)},
            "fakt": {**server, "database": str(fakt_database)},
        }

    def _raks(
        self,
        clients: list[tuple[DemoCompany, _ProgramClient]],
        books: dict[str, list[_Month]],
        shared: DemoCompany | None,
    ) -> raks.RaksData:
        """Raks's own client (a month without its VAT-7 added) and the shared JPK client."""
        companies, declarations = [], []
        for company, client in clients:
            if client.program != "raks":
                continue
            number = len(companies) + 1
            months_kept = books[company.nip]
            for month in months_kept:
                if not (client.missing_vat and month.period == self.office.last_period):
                    to_pay = _vat_to_pay([month])
                    declarations.append(
                        raks.RaksDeclaration(number, "VAT-7", month.year, month.month, to_pay)
                    )
                tax, amount = _advance(month, client)
                declarations.append(
                    raks.RaksDeclaration(number, tax, month.year, month.month, amount)
                )
            companies.append(
                _raks_company(
                    number,
                    company,
                    client.trade,
                    [
                        (m.year, m.month, m.revenue, m.output_vat, m.costs, m.input_vat)
                        for m in months_kept
                    ],
                )
            )
        if shared is not None:
            number = len(companies) + 1
            totals = []
            for filing in self.filings[shared.nip]:
                sales_net, sales_vat = (sum(column) for column in zip(*filing.sales, strict=True))
                costs_net, costs_vat = (
                    sum(column) for column in zip(*filing.purchases, strict=True)
                )
                totals.append((filing.year, filing.month, sales_net, sales_vat, costs_net,
                               costs_vat))  # fmt: skip
                if filing.declaration is not None:
                    declarations.append(
                        raks.RaksDeclaration(
                            number,
                            "VAT-7",
                            filing.year,
                            filing.month,
                            filing.declaration.p51 * 100,
                        )
                    )
                advance = round_tax_grosze(max(sales_net - costs_net, 0) * 12 // 100)
                declarations.append(
                    raks.RaksDeclaration(number, "PIT-5", filing.year, filing.month, advance)
                )
            companies.append(_raks_company(number, shared, shared.name, totals))
        return raks.RaksData(companies, declarations)

    def _fakt(
        self, clients: list[tuple[DemoCompany, _ProgramClient]], books: dict[str, list[_Month]]
    ) -> fakt.FaktData:
        """Fakt's clients with saved "taxes to pay" reports (ZUS in its parts, VAT-7 and the
        advance) and generated VAT-7s; one client's first VAT-7 was not generated."""
        companies, report, declarations = [], [], []
        for company, client in clients:
            if client.program != "fakt":
                continue
            number = len(companies) + 1
            companies.append(
                fakt.FaktCompany(
                    number,
                    client.trade,
                    company.nip,
                    name=company.name,
                    regon=company.regon,
                    email=_email(company),
                )
            )
            for month in books[company.nip]:
                dra = _dra(company, month.period, self.rng)
                tax, amount = _advance(month, client)
                report += [
                    fakt.ReportLine(number, month.year, month.month, symbol, value)
                    for symbol, value in (
                        ("ZUS-SPOL", dra.social),
                        ("ZUS-ZDROW", dra.health),
                        ("ZUS-FP", dra.labour_fund),
                        ("VAT-7", _vat_to_pay([month])),
                        (tax, amount),
                    )
                ]
                if not (client.missing_vat and month.period == self.office.first_period):
                    declarations.append(
                        fakt.FaktDeclaration(number, month.year, month.month, "VAT-7")
                    )
        return fakt.FaktData(companies, report, declarations)


def _raks_company(
    number: int,
    company: DemoCompany,
    short_name: str,
    totals: list[tuple[int, int, int, int, int, int]],
) -> raks.RaksCompany:
    """A Raks company with its KPiR and VAT register: (year, month, sales net, sales VAT,
    purchases net, purchases VAT) per month."""
    return raks.RaksCompany(
        number=number,
        short_name=short_name[:40],
        nip=company.nip,
        full_name=company.name,
        regon=company.regon,
        email=_email(company),
        kpir=[
            raks.KpirEntry(date(year, month, 15), sales=sales, purchases=costs)
            for year, month, sales, _, costs, _ in totals
        ],
        vat=[
            entry
            for year, month, sales, sales_vat, costs, costs_vat in totals
            for entry in (
                raks.VatEntry(year, month, "S", sales_vat, sales),
                raks.VatEntry(year, month, "Z", costs_vat, costs),
            )
        ],
    )


# --- Buchalter, KPR, Mała Księgowość and Symfonia (DBF files) -------------------------------

_BUCHALTER_FOLDER = "buchalter"
_KPR_FOLDER = "kpr"
_KPR_YEAR_FOLDERS = f"{_KPR_FOLDER}/KPR_{{year}}"  # as KPR's C:\KPR_<year>, one per fiscal year
_MK_FOLDER = "mk"
_MK_DATA = "Biuro"
_MK_OPTIONS = "MK.INI"
_SYMFONIA_FOLDER = "symfonia"
_SYMFONIA_DATA = "Dane"  # MKP.INI's [Baza] Katalog, relative to MKP.INI


class _FileBooks:
    """The file-based programs' folders: Buchalter's data folder, KPR's year folders, Mała
    Księgowość's data folder with its options file, and Symfonia Mała Księgowość's MKP.INI with
    its company folders.

    `write` returns their settings (paths relative to the settings file), adds the clients to
    the office and records each client's months in `office.figures`.
    """

    def __init__(
        self, office: DemoOffice, filings: dict[str, list[JpkFile]], companies: int, last: str
    ) -> None:
        self.office = office
        self.filings = filings
        self.nip_rng = random.Random(f"file-clients-{companies}")
        self.rng = random.Random(f"files-{companies}-{last}")

    def write(self) -> dict[str, dict[str, object]]:
        taken = {company.nip for company in [*self.office.companies, *self.office.inactive]}
        clients = _program_clients_of(_FILE_CLIENTS, taken, self.nip_rng)
        books = {company.nip: _books(self.office, self.rng) for company, _ in clients}
        kept = [(company, client, books[company.nip]) for company, client in clients]
        shared = self._shared()
        for name in (_BUCHALTER_FOLDER, _KPR_FOLDER, _MK_FOLDER, _SYMFONIA_FOLDER):
            shutil.rmtree(self.office.folder / name, ignore_errors=True)  # a demo made again
        settings = {
            "buchalter": self._buchalter(_kept_by(kept, "buchalter")),
            "kpr": self._kpr(_kept_by(kept, "kpr"), shared),
            "mala_ksiegowosc": self._mala_ksiegowosc(_kept_by(kept, "mala_ksiegowosc")),
            "symfonia": self._symfonia(_kept_by(kept, "symfonia")),
        }
        self.office.companies = [
            *(
                replace(company, programs=(*company.programs, "kpr"))
                if company == shared
                else company
                for company in self.office.companies[:-1]
            ),
            *(company for company, _ in clients),
            self.office.companies[-1],
        ]
        return settings

    def _shared(self) -> DemoCompany | None:
        """The partnership (s.c., sp. j.) with monthly JPK files and KEDU files that KPR keeps:
        one no other program keeps, named alike in both files."""
        return next(
            (
                company
                for company in self.office.companies[:-1]
                if company.person is None and company.legal_form == "other"
                and company.vat_period == "M" and company.in_kedu and not company.programs
                and company.kedu_name == _short_name(company.name)
            ),
            None,
        )  # fmt: skip

    # --- Buchalter ----------------------------------------------------------------------------

    def _buchalter(self, kept: list[_Kept]) -> dict[str, object]:
        """A subfolder per client: its owner's ZUS in the register, its declarations and its
        KPiR; the employer's employees' ZUS exports of every month but the last."""
        companies = [self._buchalter_company(*client) for client in kept]
        buchalter.write_buchalter(self.office.folder / _BUCHALTER_FOLDER, companies)
        return {"folder": _BUCHALTER_FOLDER}

    def _buchalter_company(
        self, company: DemoCompany, client: _ProgramClient, books: list[_Month]
    ) -> buchalter.BuchalterCompany:
        files = _BuchalterFiles()
        for month, totals in zip(books, _book_totals(books, client.lump_sum), strict=True):
            taxes = _taxes_to_pay(books, month, client)
            staff: list[buchalter.EmployeesZus] = []
            if client.employs:
                staff, taxes["PIT-4"] = self._staff(month)
            zus = self._buchalter_zus(company, month, staff, files)
            files.declarations += [
                buchalter.Declaration(month.year, month.month, tax, amount)
                for tax, amount in taxes.items()
            ]
            if not client.lump_sum:
                files.ledger += _buchalter_ledger(month)
            summary = None if client.lump_sum else totals  # a ryczałt register is not read
            self.office.figures.append(
                DemoFigures("buchalter", company.nip, month.period, taxes, zus, summary)
            )
        return files.company(company, client)

    def _buchalter_zus(
        self,
        company: DemoCompany,
        month: _Month,
        staff: list[buchalter.EmployeesZus],
        files: "_BuchalterFiles",
    ) -> int | None:
        """The month's owner's line in the ZUS register and its staff's export; returns the ZUS
        total the reader must give: None for an employer's last month, whose export the
        accountant has not confirmed yet (so Buchalter has not written it)."""
        owner = _dra(company, month.period, self.rng)
        files.owner_zus.append(
            buchalter.PartnerZus(month.year, month.month, 1, owner.social, owner.health,
                                 owner.labour_fund)
        )  # fmt: skip
        total = owner.social + owner.health + owner.labour_fund
        if not staff:
            return total
        if month.period == self.office.last_period:
            return None
        files.exports += staff
        return total + sum(e.social + e.health + e.labour_fund + e.fep for e in staff)

    def _staff(self, month: _Month) -> tuple[list[buchalter.EmployeesZus], int]:
        """The month's employees' ZUS lines as Buchalter exports them, and the PIT-4 withheld
        from their pay (whole złoty)."""
        exported = date(*parse_period(next_period(month.period)), 5)
        staff = [
            buchalter.EmployeesZus(
                month.year,
                month.month,
                social=self.rng.randint(120_000, 190_000),
                health=self.rng.randint(30_000, 45_000),
                labour_fund=self.rng.randint(11_000, 16_000),
                exported=exported,
            )
            for _ in range(self.rng.randint(2, 3))
        ]
        withheld = sum(self.rng.randint(15_000, 45_000) for _ in staff)
        return staff, round_tax_grosze(withheld)

    # --- KPR ----------------------------------------------------------------------------------

    def _kpr(
        self,
        kept: list[_Kept],
        shared: DemoCompany | None,
    ) -> dict[str, object]:
        """A year folder per year the months touch: the company list, each company's ledger
        and ImportDoKPR's export of that year, in Mazovia with a zero language-driver byte."""
        firms = [self._kpr_client(*client) for client in kept]
        if shared is not None:
            firms.append(self._kpr_partnership(shared))
        demo_months = months(self.office.first_period, self.office.last_period)
        years = sorted({parse_period(month)[0] for month in demo_months})
        kpr.write_kpr(self.office.folder / _KPR_FOLDER, [_kpr_year(year, firms) for year in years])
        return {"folder": _KPR_YEAR_FOLDERS}

    def _kpr_client(
        self, company: DemoCompany, client: _ProgramClient, books: list[_Month]
    ) -> "_KprFirm":
        firm = _KprFirm(
            kpr.KprCompany(
                _ascii(client.person[1]).upper()[:8],
                company.name,
                company.nip,
                company.regon,
                ryczalt=client.lump_sum,
                vat="K" if client.quarterly else "M",
            )
        )
        for month, totals in zip(books, _book_totals(books, client.lump_sum), strict=True):
            taxes = _taxes_to_pay(books, month, client)
            firm.add(month, taxes)
            self.office.figures.append(
                DemoFigures("kpr", company.nip, month.period, taxes, summary=totals)
            )
        return firm

    def _kpr_partnership(self, company: DemoCompany) -> "_KprFirm":
        """The JPK client KPR keeps: its ledger holds its JPK registers' net totals, its export
        the VAT-7 of its JPK files (its partners' PIT is theirs, not the partnership's)."""
        code = _ascii(company.name.split()[0]).upper()[:8]
        firm = _KprFirm(kpr.KprCompany(code, company.name, company.nip, company.regon))
        books = [_filed_month(filing) for filing in self.filings[company.nip]]
        totals = _book_totals(books, lump_sum=False)
        for month, filing, total in zip(books, self.filings[company.nip], totals, strict=True):
            taxes = {} if filing.declaration is None else {"VAT-7": filing.declaration.p51 * 100}
            firm.add(month, taxes)
            self.office.figures.append(
                DemoFigures("kpr", company.nip, month.period, taxes, summary=total)
            )
        return firm

    # --- Mała Księgowość ----------------------------------------------------------------------

    def _mala_ksiegowosc(self, kept: list[_Kept]) -> dict[str, object]:
        """The data folder mk/Biuro, which the options file mk/MK.INI names (as a path relative
        to itself); the settings give only the options file."""
        companies = [self._mk_company(*client) for client in kept]
        folder = self.office.folder / _MK_FOLDER
        mk.write_mala_ksiegowosc(folder / _MK_DATA, companies)
        mk.write_options_file(folder / _MK_OPTIONS, _MK_DATA)
        return {"options_file": f"{_MK_FOLDER}/{_MK_OPTIONS}"}

    def _mk_company(
        self, company: DemoCompany, client: _ProgramClient, books: list[_Month]
    ) -> mk.MkCompany:
        taxes, totals = [], []
        for month, total in zip(books, _book_totals(books, client.lump_sum), strict=True):
            to_pay = _taxes_to_pay(books, month, client)
            taxes += [
                mk.MkTax(month.year, month.month, _file_code(tax), amount)
                for tax, amount in to_pay.items()
            ]
            costs = None if client.lump_sum else total["costs"]  # a ryczałt register: blank
            costs_ytd = None if client.lump_sum else total["costs_ytd"]
            totals.append(
                mk.MkMonth(month.year, month.month, total["revenue"], costs,
                           total["revenue_ytd"], costs_ytd)
            )  # fmt: skip
            self.office.figures.append(
                DemoFigures("mala_ksiegowosc", company.nip, month.period, to_pay, summary=total)
            )
        return mk.MkCompany(
            id=_ascii(client.person[1]).upper(),
            name=company.name,
            nip=company.nip,
            regon=company.regon,
            email=_email(company),
            tax_form="R" if client.lump_sum else "K",
            vat="K" if client.quarterly else "M",
            taxes=tuple(taxes),
            months=tuple(totals),
        )

    # --- Symfonia Mała Księgowość -------------------------------------------------------------

    def _symfonia(self, kept: list[_Kept]) -> dict[str, object]:
        """MKP.INI listing a DBF folder per client under its data folder ([Baza] Katalog,
        relative to MKP.INI); the settings name MKP.INI only."""
        companies = [self._symfonia_company(*client) for client in kept]
        folder = self.office.folder / _SYMFONIA_FOLDER
        for company in companies:
            symfonia.write_company_folder(folder / _SYMFONIA_DATA / company.key, company)
        symfonia.write_mkp_ini(
            folder / symfonia.INI_FILE,
            [(company.name, company.key) for company in companies],
            storage="DBF",
            folder=_SYMFONIA_DATA,
        )
        return {"ini_file": f"{_SYMFONIA_FOLDER}/{symfonia.INI_FILE}"}

    def _symfonia_company(
        self, company: DemoCompany, client: _ProgramClient, books: list[_Month]
    ) -> symfonia.MkCompany:
        """A client with its declarations, its own ZUS (DRA) and its ledger's monthly totals;
        its short name in NAZWA, the full one in the NAZWAPEL memo."""
        declarations, zus, ledger = [], [], []
        for month, total in zip(books, _book_totals(books, client.lump_sum), strict=True):
            taxes = _taxes_to_pay(books, month, client)
            declarations += [
                symfonia.MkDeclaration(tax, month.year, month.month, amount)
                for tax, amount in taxes.items()
            ]
            dra = _dra(company, month.period, self.rng)
            zus.append(
                symfonia.MkZus(month.year, month.month, dra.social, dra.health, dra.labour_fund)
            )
            ledger.append(
                symfonia.MkMonth(month.year, month.month, total["revenue"], total["costs"])
            )
            self.office.figures.append(
                DemoFigures("symfonia", company.nip, month.period, taxes, zus[-1].amount, total)
            )
        return symfonia.MkCompany(
            key=_ascii(client.person[1]).upper()[:8],
            name=client.trade,
            nip=company.nip,
            full_name=company.name,
            regon=company.regon,
            email=_email(company),
            tax_form="R" if client.lump_sum else "K",
            vat_period="K" if client.quarterly else "M",
            declarations=tuple(declarations),
            zus=tuple(zus),
            ledger=tuple(ledger),
        )


@dataclass
class _BuchalterFiles:
    """A Buchalter client's lines of every month, gathered for its subfolder's files."""

    owner_zus: list[buchalter.PartnerZus] = field(default_factory=list)
    declarations: list[buchalter.Declaration] = field(default_factory=list)
    ledger: list[buchalter.LedgerLine] = field(default_factory=list)
    exports: list[buchalter.EmployeesZus] = field(default_factory=list)

    def company(self, company: DemoCompany, client: _ProgramClient) -> buchalter.BuchalterCompany:
        """The client's subfolder (its surname, as DOS names go) with the owner as partner 1."""
        first_name, surname = client.person
        return buchalter.BuchalterCompany(
            folder=_ascii(surname).upper()[:8],
            name=company.name,
            nip=company.nip,
            regon=company.regon,
            email=_email(company),
            city="Zakopane",
            tax_form="R" if client.lump_sum else "K",
            employs=client.employs,
            partners=(buchalter.Partner(1, surname, first_name, company.pesel),),
            partners_zus=tuple(self.owner_zus),
            declarations=tuple(self.declarations),
            ledger=tuple(self.ledger),
            employees_zus=tuple(self.exports),
        )


@dataclass
class _KprFirm:
    """A company on KPR's lists, with its ledger lines and export lines of every year."""

    company: kpr.KprCompany
    ledger: list[kpr.LedgerLine] = field(default_factory=list)
    export: list[kpr.ExportLine] = field(default_factory=list)

    def add(self, month: _Month, taxes: Mapping[str, int]) -> None:
        """The month's sales and purchases in the ledger, its taxes in the export."""
        code = self.company.code
        number = sum(line.day.year == month.year for line in self.ledger) + 1
        self.ledger += [
            kpr.LedgerLine(code, number, date(month.year, month.month, 10),
                           "Sprzedaż wg zestawienia faktur", revenue=month.revenue),
            kpr.LedgerLine(code, number + 1, date(month.year, month.month, 20),
                           "Zakup towarów i materiałów", costs=month.costs),
        ]  # fmt: skip
        self.export += [
            kpr.ExportLine(self.company.nip, month.year, month.month, _file_code(tax), amount)
            for tax, amount in taxes.items()
        ]


def _kept_by(kept: list[_Kept], program: str) -> list[_Kept]:
    return [
        (company, client, books) for company, client, books in kept if client.program == program
    ]


def _kpr_year(year: int, firms: list[_KprFirm]) -> kpr.KprYear:
    """One fiscal year's folder: every company listed, the lines dated in that year."""
    return kpr.KprYear(
        year,
        companies=[firm.company for firm in firms],
        ledger=[line for firm in firms for line in firm.ledger if line.day.year == year],
        export=[line for firm in firms for line in firm.export if line.year == year],
    )


def _buchalter_ledger(month: _Month) -> list[buchalter.LedgerLine]:
    """The month's KPiR: its sales and its purchases, one entry each."""
    return [
        buchalter.LedgerLine(date(month.year, month.month, 10), revenue=month.revenue,
                             description="Sprzedaż wg zestawienia faktur"),
        buchalter.LedgerLine(date(month.year, month.month, 20), costs=month.costs,
                             description="Zakup materiałów i towarów"),
    ]  # fmt: skip


def _taxes_to_pay(books: Sequence[_Month], month: _Month, client: _ProgramClient) -> dict[str, int]:
    """The month's taxes by tax: the VAT return filed for it (none inside a quarter) and the
    income-tax advance."""
    taxes = {}
    settled = _vat_return(books, month, client.quarterly)
    if settled is not None:
        taxes["VAT-7K" if client.quarterly else "VAT-7"] = _vat_to_pay(settled)
    tax, amount = _advance(month, client)
    taxes[tax] = amount
    return taxes


def _filed_month(filing: JpkFile) -> _Month:
    """A JPK client's month as its registers' net totals."""
    sales = sum(net for net, _ in filing.sales)
    purchases = sum(net for net, _ in filing.purchases)
    return _Month(period(filing.year, filing.month), sales, purchases)


def _file_code(tax: str) -> str:
    """A tax as KPR's export and Mała Księgowość write it: VAT7, VAT7K, PIT5L, PIT28."""
    return tax.replace("-", "")


def _ascii(text: str) -> str:
    """Polish letters without their marks (ł too, which has no decomposition)."""
    text = text.translate(str.maketrans("łŁ", "lL"))
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _books(office: DemoOffice, rng: random.Random) -> list[_Month]:
    """A client's months: net sales and purchases drawn from `rng`."""
    books = []
    for month in months(office.first_period, office.last_period):
        revenue = rng.randint(1_500_000, 9_000_000)
        books.append(_Month(month, revenue, rng.randint(300_000, revenue * 2 // 3)))
    return books


# --- settings -------------------------------------------------------------------------------


def _write_settings(office: DemoOffice, databases: dict[str, dict[str, object]]) -> None:
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
        "programs": {"jpk": {"folder": "jpk"}, "kedu": {"folder": "kedu"}, **databases},
        "panel": {"database": "panel.sqlite"},
        "update": {"companies": "all", "data_types": ["zus", "taxes", "summaries"]},
        "approval": {
            "zus": "never",
            "taxes": "never",
            "summaries": {"days": [20], "at": ["12:00"]},
        },
        "send_summaries": False,
        "schedules": {
            "enabled": True,
            "automatic_update": ["0 6 * * *", "0 13 * * 1-5"],
            "watch_changes": True,
            "watch_interval_seconds": 60,
        },
        "companies": overrides,
    }
    header = (
        "# konekto-pipeline settings of the demo office. Paths are relative to this file.\n"
        "# The programs' databases are SQLite files in their folders here, found through\n"
        "# {settings_dir} in `url`; a real office gives `server` (HOST\\INSTANCE) instead.\n"
        "# The DBF programs' folders are relative too; a real office writes them the Windows\n"
        "# way (C:\\BUCH, C:\\KPR_{year}) and maps drives and shares under `paths`.\n"
        f"# {conflicted.name} (NIP {conflicted.nip}) is named differently in KEDU and JPK:\n"
        "# give it a `name` under `companies` to settle the conflict.\n"
        "# Under `dagster dev` the demo syncs by itself: at 6:00, at 13:00 on working days, and\n"
        "# within a minute of a changed file; the 20th at 12:00 approves the month's summaries.\n"
    )
    if "raks" in databases:
        header += (
            "# Raks and Fakt are read from the local Firebird server: their paths are absolute,\n"
            "# as the server sees them. The SYSDBA password comes from the environment variable\n"
            f"# {PASSWORD_ENV}: export it before `konekto sync` or `konekto check`.\n"
        )
    office.settings_path.write_text(
        header + yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
