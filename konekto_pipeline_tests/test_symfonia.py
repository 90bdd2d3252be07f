"""Symfonia Mała Księgowość reader: MKP.INI, then DBF folders or SQL databases per company.

Nothing of MKP.INI's inside nor of the data layout has been seen in a real installation, so
the tests pin what must hold around the guessed map: MKP.INI read as Windows writes it (CP1250
or UTF-16 with a byte order mark, repeated `Firma=` keys, Windows paths mapped through `paths`,
Polish names); exact grosze, whole-złoty taxes and due dates; a correction superseding a first
filing and a deleted record skipped; the same companies read alike from DBF folders, from
SQLite files and from PostgreSQL through the SQL Server code, whose statements must compile for
SQL Server; Btrieve data refused with a clear reason; and every company-sized failure (missing
folder, file, field, table, bad record) a problem for that company while the others are read.
Files are written by `symfonia.writer` (the `dbf` package), not by the reader's library.
"""

import dataclasses
import json
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from konekto_pipeline.schemas import validate
from konekto_pipeline.sources.base import SourceData
from konekto_pipeline.sources.files.paths import FolderUnavailable, PathMap, UnmappedPath
from konekto_pipeline.sources.files.tables import TableProblem
from konekto_pipeline.sources.sql.connection import SqlConnectionError
from konekto_pipeline.sources.sql.tables import SchemaMismatch
from konekto_pipeline.sources.symfonia.program import SymfoniaProgram
from konekto_pipeline.sources.symfonia.reader import (
    DATA_TYPES,
    BtrieveData,
    SymfoniaReader,
    read_mkp_ini,
)
from konekto_pipeline.sources.symfonia.writer import (
    MkCompany,
    MkDeclaration,
    MkMonth,
    MkZus,
    write_company_database,
    write_company_folder,
    write_company_sqlite,
    write_mkp_ini,
    write_symfonia,
)

Q1 = ["2026-01", "2026-02", "2026-03"]
SHARED_NIP = "5260250274"  # also a client in the other programs' fixtures
RYCZALT_NIP = "6462933516"
LEGAL_PERSON_NIP = "5213017228"
INI_WINDOWS = r"C:\Users\ksiegowa\AppData\Roaming\Sage\Config\MKP.INI"
INI_LOCAL = Path("Users/ksiegowa/AppData/Roaming/Sage/Config/MKP.INI")
DATA_LOCAL = Path("Symfonia/Dane")  # C:\Symfonia\Dane

KOWALSKI = MkCompany(
    key="FIRMA1",
    name="Źdźbło",
    full_name="Łukasz Żółć-Kowalski Usługi Leśne „Źdźbło”",
    nip="PL 526-025-02-74",
    regon="012100784",
    email="biuro@zdzblo.pl",
    phone="+48 12 345 67 89",
    declarations=(
        MkDeclaration("VAT-7", 2025, 12, 90000),
        MkDeclaration("VAT-7", 2026, 1, 123449),
        MkDeclaration("VAT-7", 2026, 1, 150050, correction=True),
        MkDeclaration("VAT-7", 2026, 1, 999900, correction=True, deleted=True),
        MkDeclaration("VAT-7", 2026, 2, 0, carried_forward=30049),
        MkDeclaration("PIT-5", 2026, 1, 43250),
        MkDeclaration("PIT-4", 2026, 2, 18049),
        MkDeclaration("PIT-11", 2026, 1, 0),
    ),
    zus=(
        MkZus(2026, 1, 141234, 38178, 12345),
        MkZus(2026, 2, 141234, 38178, 12345),
        MkZus(2026, 2, 150000, 38178, 12345, number=2, correction=True),
        MkZus(2026, 3, 100, 100, deleted=True),
    ),
    ledger=(
        MkMonth(2025, 12, 500000, 100000),
        MkMonth(2026, 1, 1050000, 500000),
        MkMonth(2026, 2, 800000, 123456),
    ),
)
NOWAK = MkCompany(
    key="FIRMA2",
    name="Grażyna Nowak-Śliwińska Pracownia Ceramiki „Ćma”",
    nip=RYCZALT_NIP,
    tax_form="R",
    vat_period="K",
    declarations=(
        MkDeclaration("VAT-7K", 2026, 2, 210000),
        MkDeclaration("PIT-28", 2026, 1, 35000),
        MkDeclaration("PIT-28", 2026, 2, 42000),
    ),
    zus=(MkZus(2026, 1, 0, 83000),),
    ledger=(MkMonth(2026, 1, 500000), MkMonth(2026, 2, 600000)),
)
DZWIG = MkCompany(
    key="FIRMA3",
    name="Dźwig sp. z o.o.",
    nip=LEGAL_PERSON_NIP,
    legal_form="P",
    declarations=(
        MkDeclaration("JPK_V7M", 2026, 1, 77750, correction=True),
        # entered after the correction, yet a first filing: the correction still counts
        MkDeclaration("JPK_V7M", 2026, 1, 10000),
    ),
    zus=(MkZus(2026, 1, 200000, 50000, 10000),),
)
DORMANT = MkCompany(
    key="FIRMA4",
    name="Zawieszona Działalność Jędrzej Ęś",
    nip="8992689516",
    active=False,
    declarations=(MkDeclaration("VAT-7", 2026, 1, 10000),),
)
OFFICE = (KOWALSKI, NOWAK, DORMANT)


# --- building offices -------------------------------------------------------------------------


def dbf_office(
    tmp_path: Path,
    companies: Sequence[MkCompany] = OFFICE,
    *,
    ini_encoding: str = "cp1250",
    leave_out: dict[str, list[str]] | None = None,
) -> SymfoniaReader:
    """Company folders under C:\\Symfonia\\Dane and MKP.INI in the user's profile on C:."""
    write_symfonia(
        tmp_path / DATA_LOCAL,
        companies,
        ini_file=tmp_path / INI_LOCAL,
        ini_encoding=ini_encoding,
        leave_out=leave_out,
    )
    return SymfoniaReader(
        SymfoniaProgram(ini_file=INI_WINDOWS), PathMap({"C:": tmp_path}), tmp_path
    )


@dataclass
class SqlOffice:
    """Company databases and the MKP.INI listing them; `names` maps a company key to its
    database."""

    reader: SymfoniaReader
    names: dict[str, str]


Builder = Callable[..., SqlOffice]


def sql_ini(tmp_path: Path, companies: Sequence[MkCompany], names: dict[str, str]) -> Path:
    return write_mkp_ini(
        tmp_path / "MKP.INI",
        [(company.name, names[company.key]) for company in companies],
        storage="MSSQL",
        inactive=[company.name for company in companies if not company.active],
        server=r"BIURO\SYMFONIA",
        auth="Windows",
        password="ZXhhbXBsZQ==",
    )


def sqlite_office(
    tmp_path: Path,
    companies: Sequence[MkCompany] = OFFICE,
    *,
    leave_out: dict[str, list[str]] | None = None,
) -> SqlOffice:
    folder = tmp_path / "bazy"
    for company in companies:
        write_company_sqlite(folder, company, leave_out=(leave_out or {}).get(company.key, ()))
    names = {company.key: company.key for company in companies}
    program = SymfoniaProgram(
        ini_file=str(sql_ini(tmp_path, companies, names)),
        url=f"sqlite:///{folder}/{{database}}.sqlite",
    )
    return SqlOffice(SymfoniaReader(program, PathMap(), tmp_path), names)


def postgres_office(
    tmp_path: Path,
    create: Callable[..., str],
    template: str,
    companies: Sequence[MkCompany] = OFFICE,
    *,
    leave_out: dict[str, list[str]] | None = None,
) -> SqlOffice:
    suffix = uuid.uuid4().hex[:8]
    names = {company.key: f"mkp_{company.key.lower()}_{suffix}" for company in companies}
    for company in companies:
        url = template.format(database=create(names[company.key]))
        write_company_database(url, company, leave_out=(leave_out or {}).get(company.key, ()))
    program = SymfoniaProgram(ini_file=str(sql_ini(tmp_path, companies, names)), url=template)
    return SqlOffice(SymfoniaReader(program, PathMap(), tmp_path), names)


@pytest.fixture(params=["sqlite", "postgresql"])
def build_sql(request: pytest.FixtureRequest, tmp_path: Path) -> Builder:
    """Writes company databases on the engine of the test's parameter."""
    if request.param == "sqlite":
        return lambda *args, **kwargs: sqlite_office(tmp_path, *args, **kwargs)
    create = request.getfixturevalue("pg_database")
    template = request.getfixturevalue("pg_template")
    return lambda *args, **kwargs: postgres_office(tmp_path, create, template, *args, **kwargs)


@pytest.fixture(params=["dbf", "sqlite"])
def storage(request: pytest.FixtureRequest) -> str:
    """DBF folders or SQL databases (PostgreSQL gives the same frames as SQLite: tested once)."""
    return request.param


def read_office(tmp_path: Path, storage: str) -> SourceData:
    """OFFICE written in the storage of the test's parameter, read for Q1 2026."""
    if storage == "dbf":
        return read(dbf_office(tmp_path))
    return read(sqlite_office(tmp_path).reader)


def read(reader: SymfoniaReader, periods: list[str] | None = Q1) -> SourceData:
    """Read and check that every frame fits its schema structurally."""
    data = reader.read(periods)
    for kind in ("companies", "zus", "taxes", "summaries"):
        assert validate(kind, data.frame(kind)).structural == [], kind
    return data


def records(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """The frame's rows as tuples (NIP first), NA as None, in a stable order."""
    rows = []
    for row in frame.itertuples(index=False):
        values = [_plain(getattr(row, name)) for name in columns]
        rows.append((row.nip, *values))
    return sorted(rows, key=str)


def _plain(value: object) -> object:
    """None for NA, a Python int for a numpy one, so rows compare and sort as written."""
    if pd.isna(value):
        return None
    return int(value) if isinstance(value, np.integer) else value


def messages(data: SourceData) -> list[str]:
    return [str(problem) for problem in data.problems]


TAX_COLUMNS = ["period", "tax", "kind", "amount", "refund", "carried_forward", "due_date"]
ZUS_COLUMNS = ["period", "declaration_no", "kind", "social", "health", "labour_fund", "total"]
SUMMARY_COLUMNS = ["period", "revenue", "costs", "income", "revenue_ytd", "costs_ytd"]


# --- the same office from every storage -------------------------------------------------------


def test_companies_come_from_the_ini_with_polish_names_and_inactive_ones_skipped(
    tmp_path: Path, storage: str
) -> None:
    data = read_office(tmp_path, storage)

    assert data.problems == []
    companies = data.companies.set_index("nip")
    assert sorted(companies.index) == [SHARED_NIP, RYCZALT_NIP]
    kowalski = companies.loc[SHARED_NIP]
    assert kowalski["name"] == "Łukasz Żółć-Kowalski Usługi Leśne „Źdźbło”"
    assert kowalski["source"] == "symfonia"
    assert (kowalski["regon"], kowalski["email"]) == ("012100784", "biuro@zdzblo.pl")
    assert kowalski["phone"] == "+48 12 345 67 89"
    assert kowalski["vat_period"] == "M"
    nowak = companies.loc[RYCZALT_NIP]
    assert nowak["name"] == "Grażyna Nowak-Śliwińska Pracownia Ceramiki „Ćma”"
    assert nowak["vat_period"] == "Q"


def test_taxes_are_whole_zloty_with_due_dates_and_the_correction_wins(
    tmp_path: Path, storage: str
) -> None:
    data = read_office(tmp_path, storage)

    assert records(data.taxes, TAX_COLUMNS) == sorted(
        [
            # the correction (1500.50 zł) supersedes the first filing (1234.49 zł); the
            # deleted correction (9999 zł) is not there at all
            (SHARED_NIP, "2026-01", "VAT-7", "K", 150100, None, None, pd.Timestamp("2026-02-25")),
            (SHARED_NIP, "2026-01", "PIT-5", "D", 43300, None, None, pd.Timestamp("2026-02-20")),
            (SHARED_NIP, "2026-02", "VAT-7", "D", 0, None, 30000, pd.Timestamp("2026-03-25")),
            (SHARED_NIP, "2026-02", "PIT-4", "D", 18000, None, None, pd.Timestamp("2026-03-20")),
            (RYCZALT_NIP, "2026-01", "PIT-28", "D", 35000, None, None, pd.Timestamp("2026-02-20")),
            (RYCZALT_NIP, "2026-02", "PIT-28", "D", 42000, None, None, pd.Timestamp("2026-03-20")),
            # quarterly VAT filed in February: the quarter's last month, due 25 April 2026, a
            # Saturday, so on Monday
            (RYCZALT_NIP, "2026-03", "VAT-7K", "D", 210000, None, None, pd.Timestamp("2026-04-27")),
        ],
        key=str,
    )
    accounts = data.taxes.set_index("nip")["account"]
    assert set(accounts.loc[SHARED_NIP]) == {"49101000712222526025027400"}


def test_zus_is_exact_in_grosze_with_the_correction_as_a_second_declaration(
    tmp_path: Path, storage: str
) -> None:
    data = read_office(tmp_path, storage)

    assert records(data.zus, ZUS_COLUMNS) == sorted(
        [
            (SHARED_NIP, "2026-01", 1, "D", 141234, 38178, 12345, 191757),
            (SHARED_NIP, "2026-02", 1, "D", 141234, 38178, 12345, 191757),
            (SHARED_NIP, "2026-02", 2, "K", 150000, 38178, 12345, 200523),
            (RYCZALT_NIP, "2026-01", 1, "D", 0, 83000, 0, 83000),
        ],
        key=str,
    )
    assert set(data.zus["due_date"]) == {pd.Timestamp("2026-02-20"), pd.Timestamp("2026-03-20")}
    assert data.zus["account"].isna().all()


def test_ledger_totals_carry_year_to_date_sums_from_january(tmp_path: Path, storage: str) -> None:
    data = read_office(tmp_path, storage)

    assert records(data.summaries, SUMMARY_COLUMNS) == [
        # December 2025 is another year: it is not in 2026's running totals
        (SHARED_NIP, "2026-01", 1050000, 500000, 550000, 1050000, 500000),
        (SHARED_NIP, "2026-02", 800000, 123456, 676544, 1850000, 623456),
        (RYCZALT_NIP, "2026-01", 500000, 0, 500000, 500000, 0),
        (RYCZALT_NIP, "2026-02", 600000, 0, 600000, 1100000, 0),
    ]


# --- MKP.INI ----------------------------------------------------------------------------------


def test_the_ini_is_read_in_cp1250_with_repeated_firma_keys(tmp_path: Path) -> None:
    reader = dbf_office(tmp_path)
    raw = (tmp_path / INI_LOCAL).read_bytes()

    config = reader.config()

    assert "Ćma".encode("cp1250") in raw and raw.count(b"\r\nFirma=") == 3
    assert config.ini.encoding == "cp1250"
    assert config.storage == "dbf"
    assert [(company.name, company.location, company.active) for company in config.companies] == [
        ("Źdźbło", r"C:\Symfonia\Dane\FIRMA1", True),
        ("Grażyna Nowak-Śliwińska Pracownia Ceramiki „Ćma”", r"C:\Symfonia\Dane\FIRMA2", True),
        ("Zawieszona Działalność Jędrzej Ęś", r"C:\Symfonia\Dane\FIRMA4", False),
    ]


def test_a_utf16_ini_with_byte_order_mark_reads_like_the_cp1250_one(tmp_path: Path) -> None:
    cp1250 = read(dbf_office(tmp_path / "a"))
    utf16 = read(dbf_office(tmp_path / "b", ini_encoding="utf-16-le"))

    assert (tmp_path / "b" / INI_LOCAL).read_bytes().startswith(b"\xff\xfe")
    columns = ["name", "regon", "vat_period"]
    assert records(utf16.companies, columns) == records(cp1250.companies, columns)
    assert records(utf16.taxes, TAX_COLUMNS) == records(cp1250.taxes, TAX_COLUMNS)
    assert set(utf16.companies["source_company_id"]) == {
        r"C:\Symfonia\Dane\FIRMA1",
        r"C:\Symfonia\Dane\FIRMA2",
    }


def test_the_default_ini_file_is_found_through_appdata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dbf_office(tmp_path)
    monkeypatch.setenv("APPDATA", r"C:\Users\ksiegowa\AppData\Roaming")

    reader = SymfoniaReader(SymfoniaProgram(), PathMap({"C:": tmp_path}), tmp_path)

    assert reader.ini_path() == tmp_path / INI_LOCAL
    assert sorted(read(reader).companies["nip"]) == [SHARED_NIP, RYCZALT_NIP]


def test_a_missing_ini_names_the_file_and_the_setting(tmp_path: Path) -> None:
    reader = SymfoniaReader(
        SymfoniaProgram(ini_file=INI_WINDOWS), PathMap({"C:": tmp_path}), tmp_path
    )

    for attempt in (reader.read, reader.check, reader.probe):
        with pytest.raises(FolderUnavailable) as raised:
            attempt()
        message = str(raised.value)
        assert str(tmp_path / INI_LOCAL) in message
        assert "programs.symfonia.ini_file" in message


def test_an_ini_on_an_unmapped_drive_says_which_mapping_is_missing(tmp_path: Path) -> None:
    program = SymfoniaProgram(ini_file=r"D:\Sage\Config\MKP.INI")
    reader = SymfoniaReader(program, PathMap({"C:": tmp_path}), tmp_path)

    with pytest.raises(UnmappedPath, match=r"D:\\Sage\\Config\\MKP.INI"):
        reader.read(Q1)


def test_a_company_folder_listed_twice_is_read_once(tmp_path: Path) -> None:
    write_company_folder(tmp_path / DATA_LOCAL / "FIRMA1", KOWALSKI)
    write_mkp_ini(
        tmp_path / INI_LOCAL,
        [("Źdźbło", r"C:\Symfonia\Dane\FIRMA1"), ("Źdźbło (kopia)", r"c:\symfonia\dane\firma1")],
        storage="DBF",
    )
    reader = SymfoniaReader(
        SymfoniaProgram(ini_file=INI_WINDOWS), PathMap({"C:": tmp_path}), tmp_path
    )

    data = read(reader)

    assert list(data.companies["nip"]) == [SHARED_NIP]
    assert len(data.taxes) == 4


def test_relative_company_folders_are_under_the_ini_data_folder(tmp_path: Path) -> None:
    write_company_folder(tmp_path / "D" / "Dane" / "FIRMA2", NOWAK)
    write_mkp_ini(tmp_path / "MKP.INI", [("Ćma", "FIRMA2")], storage="DBF", folder=r"D:\Dane")
    program = SymfoniaProgram(ini_file=str(tmp_path / "MKP.INI"))
    reader = SymfoniaReader(program, PathMap({"D:": tmp_path / "D"}), tmp_path)

    data = read(reader)

    assert list(data.companies["source_company_id"]) == ["FIRMA2"]
    assert list(data.companies["tax_form"]) == ["ryczalt"]


def test_an_unknown_storage_type_is_said_and_each_entry_decides(tmp_path: Path) -> None:
    write_company_folder(tmp_path / DATA_LOCAL / "FIRMA2", NOWAK)
    write_mkp_ini(tmp_path / INI_LOCAL, [("Ćma", r"C:\Symfonia\Dane\FIRMA2")], storage="Paradox")
    reader = SymfoniaReader(
        SymfoniaProgram(ini_file=INI_WINDOWS), PathMap({"C:": tmp_path}), tmp_path
    )

    data = read(reader)

    assert list(data.companies["nip"]) == [RYCZALT_NIP]
    [problem] = data.problems
    assert problem.where == str(tmp_path / INI_LOCAL)
    assert "[Baza] Typ=Paradox is not known" in problem.message


# --- Btrieve ----------------------------------------------------------------------------------


def test_an_ini_saying_the_base_is_btrieve_is_refused_with_the_reason(tmp_path: Path) -> None:
    write_mkp_ini(tmp_path / INI_LOCAL, [("Źdźbło", r"C:\Symfonia\Dane\FIRMA1")], storage="Btrieve")
    reader = SymfoniaReader(
        SymfoniaProgram(ini_file=INI_WINDOWS), PathMap({"C:": tmp_path}), tmp_path
    )

    for attempt in (reader.read, reader.check):
        with pytest.raises(BtrieveData, match="Btrieve .* cannot read") as raised:
            attempt()
        assert str(tmp_path / INI_LOCAL) in str(raised.value)
        assert isinstance(raised.value, FolderUnavailable)
    found = reader.probe()
    assert "Btrieve" in found["error"]
    assert found["companies"] == [r"Źdźbło (C:\Symfonia\Dane\FIRMA1)"]


def test_a_company_in_btrieve_files_is_a_problem_and_the_others_are_read(tmp_path: Path) -> None:
    write_company_folder(tmp_path / DATA_LOCAL / "FIRMA1", KOWALSKI)
    old = tmp_path / DATA_LOCAL / "STARA"
    old.mkdir(parents=True)
    for name in ("FIRMA.BTR", "DEKLAR.BTR"):
        (old / name).write_bytes(b"FC\x00\x00" + bytes(508))
    write_mkp_ini(
        tmp_path / INI_LOCAL,
        [
            ("Źdźbło", r"C:\Symfonia\Dane\FIRMA1"),
            ("Stara Firma", r"C:\Symfonia\Dane\STARA"),
            ("Bardzo Stara", r"C:\Symfonia\Dane\BARDZO\FIRMA.BTR"),
        ],
        storage="DBF",
    )
    reader = SymfoniaReader(
        SymfoniaProgram(ini_file=INI_WINDOWS), PathMap({"C:": tmp_path}), tmp_path
    )

    data = read(reader)

    assert list(data.companies["nip"]) == [SHARED_NIP]
    folder, file = data.problems
    assert folder.where == r"C:\Symfonia\Dane\STARA"
    assert "Stara Firma" in folder.message and "Btrieve" in folder.message
    assert "the company is skipped" in folder.message
    assert file.where == r"C:\Symfonia\Dane\BARDZO\FIRMA.BTR"
    assert "cannot read" in file.message


# --- DBF folders ------------------------------------------------------------------------------


def test_a_legal_persons_zus_is_due_on_the_15th_and_its_jpk_v7m_correction_is_its_vat(
    tmp_path: Path,
) -> None:
    data = read(dbf_office(tmp_path, [DZWIG]))

    company = data.companies.iloc[0]
    assert (company["legal_form"], company["tax_form"]) == ("legal_person", "kpir")
    # 15 February 2026 is a Sunday
    assert list(data.zus["due_date"]) == [pd.Timestamp("2026-02-16")]
    assert records(data.taxes, ["period", "tax", "kind", "amount"]) == [
        (LEGAL_PERSON_NIP, "2026-01", "VAT-7", "K", 77800)
    ]


def test_all_months_are_read_when_no_periods_are_given(tmp_path: Path) -> None:
    data = read(dbf_office(tmp_path), None)

    assert (SHARED_NIP, "2025-12", "VAT-7") in set(
        zip(data.taxes["nip"], data.taxes["period"], data.taxes["tax"], strict=True)
    )
    december = data.summaries.set_index(["nip", "period"]).loc[(SHARED_NIP, "2025-12")]
    assert (december["revenue_ytd"], december["costs_ytd"]) == (500000, 100000)


def test_a_missing_company_folder_is_a_problem_and_the_others_are_read(tmp_path: Path) -> None:
    reader = dbf_office(tmp_path)
    shutil.rmtree(tmp_path / DATA_LOCAL / "FIRMA2")

    data = read(reader)

    assert list(data.companies["nip"]) == [SHARED_NIP]
    [problem] = data.problems
    assert problem.where == r"C:\Symfonia\Dane\FIRMA2"
    assert str(tmp_path / DATA_LOCAL / "FIRMA2") in problem.message
    assert "does not exist" in problem.message and "Ćma" in problem.message


def test_a_company_on_an_unmapped_drive_is_a_problem_and_the_others_are_read(
    tmp_path: Path,
) -> None:
    write_company_folder(tmp_path / DATA_LOCAL / "FIRMA1", KOWALSKI)
    write_mkp_ini(
        tmp_path / INI_LOCAL,
        [("Źdźbło", r"C:\Symfonia\Dane\FIRMA1"), ("Sieciowa", r"\\SERWER\dane\FIRMA9")],
        storage="DBF",
    )
    reader = SymfoniaReader(
        SymfoniaProgram(ini_file=INI_WINDOWS), PathMap({"C:": tmp_path}), tmp_path
    )

    data = read(reader)

    assert list(data.companies["nip"]) == [SHARED_NIP]
    [problem] = data.problems
    assert "no local folder is mapped for \\\\SERWER\\dane\\FIRMA9" in problem.message


def test_when_no_company_folder_can_be_reached_the_program_is_unavailable(
    tmp_path: Path,
) -> None:
    reader = dbf_office(tmp_path)
    shutil.rmtree(tmp_path / DATA_LOCAL)

    with pytest.raises(FolderUnavailable, match="FIRMA1 .*does not exist"):
        reader.read(Q1)


def test_a_missing_file_is_a_problem_naming_it_and_the_companys_other_data_is_read(
    tmp_path: Path,
) -> None:
    reader = dbf_office(tmp_path, leave_out={"FIRMA1": ["ZUS.DBF"]})

    data = read(reader)

    [problem] = data.problems
    assert (problem.program, problem.nip) == ("symfonia", SHARED_NIP)
    assert problem.where == str(tmp_path / DATA_LOCAL / "FIRMA1" / "ZUS.DBF")
    assert "ZUS declarations: file not found" in problem.message
    assert SHARED_NIP not in set(data.zus["nip"])
    assert SHARED_NIP in set(data.taxes["nip"]) and SHARED_NIP in set(data.summaries["nip"])


def test_a_missing_required_field_names_program_file_and_field(tmp_path: Path) -> None:
    reader = dbf_office(tmp_path, leave_out={"FIRMA1": ["DEKLAR.DBF:DOZAPLATY"]})

    data = read(reader)

    [problem] = data.problems
    text = str(problem)
    assert text.startswith(f"symfonia: {tmp_path / DATA_LOCAL / 'FIRMA1' / 'DEKLAR.DBF'}")
    assert "field(s) DOZAPLATY missing" in text
    assert "no declarations are read for the company" in text
    assert SHARED_NIP not in set(data.taxes["nip"])
    assert SHARED_NIP in set(data.zus["nip"])
    with pytest.raises(TableProblem, match="DOZAPLATY"):
        reader.check()


def test_missing_optional_fields_are_tolerated(tmp_path: Path) -> None:
    leave_out = {
        "FIRMA1": ["FIRMA.DBF:NAZWAPEL", "FIRMA.DBF:VATOKRES", "DEKLAR.DBF:KOREKTA"],
        "FIRMA2": ["ZUS.DBF:RAZEM", "KPIR.DBF:KOSZTY"],
    }
    data = read(dbf_office(tmp_path, leave_out=leave_out))

    assert data.problems == []
    companies = data.companies.set_index("nip")
    # without the memo's full name the short name is used; the VAT period comes from the
    # newest VAT declaration
    assert companies.loc[SHARED_NIP, "name"] == "Źdźbło"
    assert companies.loc[SHARED_NIP, "vat_period"] == "M"
    taxes = data.taxes.set_index(["nip", "period", "tax"])
    # without KOREKTA every filing is a first one: the later record wins
    vat = taxes.loc[(SHARED_NIP, "2026-01", "VAT-7")]
    assert (vat["kind"], vat["amount"]) == ("D", 150100)
    assert list(data.zus.set_index("nip").loc[[RYCZALT_NIP], "total"]) == [83000]


def test_an_overflowing_amount_skips_that_record_only(tmp_path: Path) -> None:
    reader = dbf_office(tmp_path)
    path = tmp_path / DATA_LOCAL / "FIRMA1" / "DEKLAR.DBF"
    raw = path.read_bytes()
    assert raw.count(b"      432.50") == 1
    path.write_bytes(raw.replace(b"      432.50", b"************"))

    data = read(reader)

    [problem] = data.problems
    assert (problem.where, problem.nip) == (str(path), SHARED_NIP)
    assert "record 6, field DOZAPLATY" in problem.message and "did not fit" in problem.message
    taxes = set(zip(data.taxes["nip"], data.taxes["period"], data.taxes["tax"], strict=True))
    assert (SHARED_NIP, "2026-01", "PIT-5") not in taxes
    assert (SHARED_NIP, "2026-01", "VAT-7") in taxes


def test_a_company_without_nip_is_a_problem_and_skipped(tmp_path: Path) -> None:
    nameless = dataclasses.replace(NOWAK, nip=None)
    data = read(dbf_office(tmp_path, [KOWALSKI, nameless]))

    assert list(data.companies["nip"]) == [SHARED_NIP]
    [problem] = data.problems
    assert problem.where == str(tmp_path / DATA_LOCAL / "FIRMA2" / "FIRMA.DBF")
    assert "the NIP (field NIP) is empty" in problem.message
    assert "the company is skipped" in problem.message


def test_a_negative_amount_to_pay_and_an_impossible_month_skip_their_records(
    tmp_path: Path,
) -> None:
    odd = dataclasses.replace(
        NOWAK,
        declarations=(
            MkDeclaration("PIT-28", 2026, 1, -500),
            MkDeclaration("PIT-28", 2026, 13, 100),
            MkDeclaration("PIT-28", 2026, 2, 42000),
        ),
    )
    data = read(dbf_office(tmp_path, [odd]))

    assert records(data.taxes, ["period", "amount"]) == [(RYCZALT_NIP, "2026-02", 42000)]
    assert sorted(messages(data)) == sorted(
        [
            f"symfonia: {tmp_path / DATA_LOCAL / 'FIRMA2' / 'DEKLAR.DBF'} (NIP {RYCZALT_NIP}): "
            "record 1: the amount to pay is negative; the record is skipped",
            f"symfonia: {tmp_path / DATA_LOCAL / 'FIRMA2' / 'DEKLAR.DBF'} (NIP {RYCZALT_NIP}): "
            "record 2: 2026-13 is not a month; the record is skipped",
        ]
    )


# --- check and probe of DBF folders -------------------------------------------------------------


def test_check_answers_works_with_the_companies_and_the_inactive_ones(tmp_path: Path) -> None:
    answer = dbf_office(tmp_path).check()

    assert answer == (
        f"works: 2 companies from {tmp_path / INI_LOCAL} (DBF folders): "
        r"Źdźbło (C:\Symfonia\Dane\FIRMA1), "
        r"Grażyna Nowak-Śliwińska Pracownia Ceramiki „Ćma” (C:\Symfonia\Dane\FIRMA2); "
        "1 inactive skipped"
    )


def test_check_names_a_missing_company_folder(tmp_path: Path) -> None:
    reader = dbf_office(tmp_path)
    shutil.rmtree(tmp_path / DATA_LOCAL / "FIRMA2")

    with pytest.raises(FolderUnavailable, match="data folder of Grażyna .*does not exist"):
        reader.check()


def test_probe_lists_the_ini_files_code_pages_and_codes(tmp_path: Path) -> None:
    found = dbf_office(tmp_path).probe()

    json.dumps(found)
    assert found["ini_encoding"] == "cp1250"
    assert ["Typ", "DBF"] in found["ini"]["Baza"]
    assert found["inactive"] == [r"Zawieszona Działalność Jędrzej Ęś (C:\Symfonia\Dane\FIRMA4)"]
    kowalski, nowak = found["company_folders"]
    assert kowalski["folder"] == str(tmp_path / DATA_LOCAL / "FIRMA1")
    assert kowalski["other_files"] == ["KONTRAH.DBF"]
    declarations = kowalski["files"]["DEKLAR.DBF"]
    assert (declarations["records"], declarations["deleted"]) == (7, 1)
    assert (declarations["encoding"], declarations["encoding_reason"]) == (
        "cp1250",
        "language driver 0xC8",
    )
    assert declarations["periods"] == ["2025-12", "2026-02"]
    assert declarations["symbols"]["PIT-11"] == {"rows": 1, "mapped_to": None}
    assert declarations["symbols"]["VAT-7"] == {"rows": 4, "mapped_to": "VAT-7"}
    assert declarations["missing_required"] == declarations["missing_optional"] == []
    assert kowalski["files"]["FIRMA.DBF"]["FORMA_codes"] == {"F": {"rows": 1, "mapped_to": "other"}}
    assert nowak["files"]["FIRMA.DBF"]["VATOKRES_codes"] == {"K": {"rows": 1, "mapped_to": "Q"}}
    assert nowak["files"]["ZUS.DBF"]["records"] == 1


# --- SQL Server databases ---------------------------------------------------------------------


def test_sqlite_and_postgresql_give_identical_frames(
    tmp_path: Path, pg_database: Callable[..., str], pg_template: str
) -> None:
    on_sqlite = read(sqlite_office(tmp_path / "a").reader)
    on_postgresql = read(postgres_office(tmp_path / "b", pg_database, pg_template).reader)

    for kind in ("companies", "zus", "taxes", "summaries"):
        left = on_sqlite.frame(kind).drop(columns="source_company_id")
        right = on_postgresql.frame(kind).drop(columns="source_company_id")
        pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True))


def test_a_declaration_without_its_amount_field_is_a_problem(build_sql: Builder) -> None:
    unfinished = dataclasses.replace(
        NOWAK, declarations=(*NOWAK.declarations, MkDeclaration("PIT-28", 2026, 3, None))
    )
    office = build_sql([KOWALSKI, unfinished])

    data = read(office.reader)

    [problem] = data.problems
    assert (problem.where, problem.nip) == (office.names["FIRMA2"], RYCZALT_NIP)
    assert "FK.dekl id 4 (PIT-28 2026-3)" in problem.message
    assert "FK.POLADEKL has no field DO_ZAPLATY" in problem.message
    assert len(data.taxes[data.taxes["nip"] == RYCZALT_NIP]) == 3


def test_a_missing_zus_table_is_a_problem_and_the_companys_taxes_are_read(
    build_sql: Builder,
) -> None:
    office = build_sql([KOWALSKI, NOWAK], leave_out={"FIRMA1": ["ZUSDEKL"]})

    data = read(office.reader)

    [problem] = data.problems
    assert (problem.where, problem.nip) == (office.names["FIRMA1"], SHARED_NIP)
    assert "table FK.ZUSDEKL: table is missing" in problem.message
    assert "no ZUS declarations are read for the company" in problem.message
    assert set(data.zus["nip"]) == {RYCZALT_NIP}
    assert SHARED_NIP in set(data.taxes["nip"])


def test_a_missing_required_column_skips_the_company_and_check_names_it(
    build_sql: Builder,
) -> None:
    office = build_sql([KOWALSKI, NOWAK], leave_out={"FIRMA2": ["FDANEADR.nip"]})

    data = read(office.reader)

    assert list(data.companies["nip"]) == [SHARED_NIP]
    [problem] = data.problems
    assert problem.where == office.names["FIRMA2"]
    assert "table FK.FDANEADR: required column nip is missing" in problem.message
    assert "the company is skipped" in problem.message
    with pytest.raises(SchemaMismatch, match="FK.FDANEADR: required column nip"):
        office.reader.check()


def test_a_listed_database_that_does_not_exist_is_a_problem(tmp_path: Path) -> None:
    office = sqlite_office(tmp_path, [NOWAK])
    write_mkp_ini(
        office.reader.ini_path(),
        [("Ćma", "FIRMA2"), ("Zaginiona", "FIRMA9")],
        storage="MSSQL",
        server=r"BIURO\SYMFONIA",
    )

    data = read(office.reader)

    assert list(data.companies["nip"]) == [RYCZALT_NIP]
    [problem] = data.problems
    assert problem.where == "FIRMA9" and "does not exist" in problem.message


def test_when_no_company_database_can_be_opened_the_program_is_unavailable(
    tmp_path: Path,
) -> None:
    office = sqlite_office(tmp_path, [NOWAK])
    write_mkp_ini(
        office.reader.ini_path(),
        [("Zaginiona", "FIRMA8"), ("Zaginiona też", "FIRMA9")],
        storage="MSSQL",
        server=r"BIURO\SYMFONIA",
    )

    with pytest.raises(SqlConnectionError, match="FIRMA8.sqlite does not exist"):
        office.reader.read(Q1)


def test_without_a_server_or_url_the_sql_base_cannot_be_reached(tmp_path: Path) -> None:
    write_mkp_ini(tmp_path / "MKP.INI", [("Ćma", "FIRMA2")], storage="MSSQL")
    reader = SymfoniaReader(
        SymfoniaProgram(ini_file=str(tmp_path / "MKP.INI")), PathMap(), tmp_path
    )

    with pytest.raises(
        SqlConnectionError, match=r"no SQL Server is named.*programs.symfonia.server"
    ):
        reader.read(Q1)


def test_the_server_comes_from_the_ini_and_the_settings_win(tmp_path: Path) -> None:
    ini = write_mkp_ini(
        tmp_path / "MKP.INI",
        [("Ćma", "MKP_Cma")],
        storage="MSSQL",
        server=r"BIURO\SYMFONIA",
        auth="SQL",
        user="sa_biuro",
        password="c2VrcmV0",
    )
    config = read_mkp_ini(ini)
    from_ini = SymfoniaReader(SymfoniaProgram(ini_file=str(ini)), PathMap(), tmp_path)
    overridden = SymfoniaReader(
        SymfoniaProgram(
            ini_file=str(ini),
            server="10.0.0.5,1433",
            auth="sql",
            user="konekto_ro",
            password_env="MKP_HASLO",
        ),
        PathMap(),
        tmp_path,
    )

    target = from_ini.make_server(config, environ={}).target
    assert (target.server, target.auth, target.user, target.password) == (
        r"BIURO\SYMFONIA",
        "sql",
        "sa_biuro",
        None,
    )
    target = overridden.make_server(config, environ={"MKP_HASLO": "Tajne-Hasło-1"}).target
    assert (target.server, target.user, target.password) == (
        "10.0.0.5,1433",
        "konekto_ro",
        "Tajne-Hasło-1",
    )
    assert from_ini.make_server(config, environ={}).sqlite_schemas == ("FK",)
    with pytest.raises(SqlConnectionError, match="MKP_HASLO"):
        overridden.make_server(config, environ={})


def test_windows_authentication_from_the_ini_needs_no_user(tmp_path: Path) -> None:
    office = sqlite_office(tmp_path)
    config = office.reader.config()

    target = office.reader.make_server(config).target

    assert (config.server, config.auth) == (r"BIURO\SYMFONIA", "windows")
    assert (target.server, target.auth, target.user) == (r"BIURO\SYMFONIA", "windows", None)


def test_every_statement_the_reader_sends_compiles_for_sql_server(
    tmp_path: Path, record_statements: Callable[[], list[object]], mssql_text: Callable[..., str]
) -> None:
    office = sqlite_office(tmp_path, [KOWALSKI, NOWAK])
    sent = record_statements()
    office.reader.read(Q1)
    read_count = len(sent)
    office.reader.probe()

    compiled = [mssql_text(statement, render_postcompile=True) for statement in sent]
    assert read_count == 2 * 5
    text = "\n".join(compiled)
    for name in ("[FK].[FDANEADR]", "[FK].dekl", "[FK].[POLADEKL]", "[FK].[ZUSDEKL]"):
        assert name in text
    assert "[FK].[KPIRMIES]" in text
    assert "SELECT TOP 1 [FK].dekl.typ" in text
    assert "LEFT OUTER JOIN [FK].[POLADEKL] ON [FK].[POLADEKL].id_dekl = [FK].dekl.id" in text
    assert "WHERE [FK].dekl.rok IN (:rok_1_1) ORDER BY [FK].dekl.id" in text


def test_check_and_probe_of_the_company_databases(tmp_path: Path) -> None:
    office = sqlite_office(tmp_path)

    answer = office.reader.check()
    found = office.reader.probe()

    assert answer.startswith("works: 2 companies from ")
    assert answer.endswith(
        "(SQL Server databases): Źdźbło (FIRMA1), "
        "Grażyna Nowak-Śliwińska Pracownia Ceramiki „Ćma” (FIRMA2); "
        "1 inactive skipped"
    )
    json.dumps(found)
    assert ["Haslo", "***"] in found["ini"]["Baza"]
    assert "ZXhhbXBsZQ" not in json.dumps(found)
    kowalski, _ = found["company_databases"]
    assert kowalski["database"] == "FIRMA1"
    assert kowalski["tables"]["FK.dekl"] == {
        "present": True,
        "rows": 7,
        "missing_required": [],
        "missing_optional": [],
    }
    assert kowalski["declaration_types"]["PIT-11"] == {"rows": 1, "mapped_to": None}
    assert kowalski["declaration_fields"]["P_51"] == {
        "rows": 4,
        "mapped_to": "VAT-7 to pay, VAT-7K to pay",
    }
    assert kowalski["declaration_fields"]["P_10"]["mapped_to"] is None
    assert "FROK" in kowalski["schema_tables"]


def test_the_reader_supplies_zus_taxes_and_summaries() -> None:
    assert DATA_TYPES == ("zus", "taxes", "summaries")
