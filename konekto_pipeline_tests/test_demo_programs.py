"""The demo office's program databases, synced end to end into the panel.

`konekto demo` is how an office first sees the pipeline, so its Optima, Płatnik, Rachmistrz and
Reset2 databases (SQLite files with each program's tables, read by the readers that read SQL
Server) must reach the panel beside the JPK and KEDU files: a client kept in several programs
gets each data type from the program the default source order prefers, a former client in an
inactive Optima database stays out, a Reset2 month no declaration setting covers is reported
for its company, a second run sends nothing, and the folder still works after a move.

Raks and Fakt are written on the local Firebird server (127.0.0.1:3050) into firebird/ of the
demo folder, which the server's account must reach: the module's office lives under a folder
made for that server. Without a usable server the demo says so and the rest runs as before.

Buchalter, KPR, Mała Księgowość and Symfonia keep their clients in DBF files written by their
own writers: each reader must give back exactly what the demo wrote (`DemoOffice.figures`),
across a new year too (KPR then has two year folders), the Buchalter month without its
employees' ZUS export must be reported for that company and month, and a JPK client kept in
KPR must stay one company, merged by NIP.
"""

import shutil
import sqlite3
from pathlib import Path, PurePosixPath

import pandas as pd
import pytest
import yaml

from konekto_pipeline.checks import check_all, probe_program
from konekto_pipeline.cli import run_sync
from konekto_pipeline.demo import DemoOffice, create_demo_office
from konekto_pipeline.domain.periods import months
from konekto_pipeline.panel.client import PanelClient
from konekto_pipeline.panel.server import PanelThread, dump
from konekto_pipeline.settings import load_settings
from konekto_pipeline.sources.base import SourceData
from konekto_pipeline.sources.files import encodings  # noqa: F401  (the Mazovia codec)
from konekto_pipeline.sources.firebird.local import remove_folder, server_folder
from konekto_pipeline.sources.registry import PROGRAMS_BY_KEY

FIRST = "2026-04"
LAST = "2026-06"
DATABASE_PROGRAMS = ("optima", "platnik", "rachmistrz", "reset2_firma", "reset2_ksiega")


FIREBIRD_PROGRAMS = ("raks", "fakt")
FILE_PROGRAMS = ("buchalter", "kpr", "mala_ksiegowosc", "symfonia")
# What each DBF program's reader reports of the demo: Buchalter the missing employees' export.
FILE_PROBLEMS = {"buchalter": 1, "kpr": 0, "mala_ksiegowosc": 0, "symfonia": 0}
FILE_FOLDERS = ("buchalter", "kpr", "mk", "symfonia")
NO_SERVER = "no Firebird server listens on 127.0.0.1:3050 (simulated by the test)"


@pytest.fixture(scope="module")
def demo():
    parent = server_folder(prefix="konekto-demo-")  # a folder the Firebird server can reach
    try:
        office = create_demo_office(parent / "biuro", last_period=LAST, month_count=3)
        first = run_sync(office.settings_path, FIRST, LAST)
        second = run_sync(office.settings_path, FIRST, LAST)
        yield office, first, second
    finally:
        remove_folder(parent)


@pytest.fixture
def firebird_demo(demo):
    office = demo[0]
    if office.skipped:
        pytest.skip(f"Firebird is not usable here: {'; '.join(office.skipped)}")
    return demo


def _without_firebird(monkeypatch) -> None:
    monkeypatch.setattr("konekto_pipeline.demo.server_problem", lambda target: NO_SERVER)


def _items(office) -> list[dict]:
    return list(dump(f"sqlite:///{office.panel_database}"))


def _sources(office, nip: str, data_type: str) -> set[str]:
    return {i["source"] for i in _items(office) if i["nip"] == nip and i["data_type"] == data_type}


def test_every_program_of_the_demo_supplies_uploaded_items(demo):
    office, first, _ = demo
    assert first.success, first.errors
    sources = {item["source"] for item in _items(office)}
    assert set(DATABASE_PROGRAMS) <= sources
    assert set(FILE_PROGRAMS) <= sources
    assert {"jpk", "kedu"} <= sources


def test_a_client_in_optima_jpk_kedu_and_platnik_gets_taxes_from_optima_and_zus_from_platnik(
    demo,
):
    office, _, _ = demo
    shared = next(c for c in office.companies if "optima" in c.programs and c.in_kedu)
    assert shared.vat_period is not None and "platnik" in shared.programs
    assert _sources(office, shared.nip, "taxes") == {"optima"}
    assert _sources(office, shared.nip, "zus") == {"platnik"}
    taxes = {i["tax"] for i in _items(office) if i["nip"] == shared.nip}
    assert {"VAT-7", "PIT-5"} <= taxes


def test_the_sole_trader_without_kedu_files_gets_zus_from_platnik_and_vat_from_jpk(demo):
    office, _, _ = demo
    trader = next(c for c in office.companies if c.programs == ("platnik",))
    assert trader.person is not None and not trader.in_kedu
    assert _sources(office, trader.nip, "zus") == {"platnik"}
    assert _sources(office, trader.nip, "taxes") == {"jpk"}


def test_platnik_correction_supersedes_the_first_dra(demo):
    office, _, _ = demo
    corrected = [i for i in _items(office) if i["source"] == "platnik" and i["period"] == FIRST
                 and i["details"]["declaration_no"] == 2]  # fmt: skip
    assert len(corrected) == 1
    assert corrected[0]["kind"] == "K"


def test_the_company_of_an_inactive_optima_database_is_not_uploaded(demo):
    office, first, _ = demo
    (former,) = office.inactive
    assert former.nip not in {item["nip"] for item in _items(office)}
    assert former.nip not in {outcome["nip"] for outcome in first.outcomes}


def test_a_reset2_month_no_declaration_setting_covers_is_reported_for_that_company(demo):
    office, first, _ = demo
    reported = [p for p in first.problems if p.startswith("reset2_ksiega:") and "does not cover"
                in p]  # fmt: skip
    assert len(reported) == 1 and f"no VAT item for {FIRST}" in reported[0]
    nip = reported[0].split("(NIP ")[1][:10]
    vat = {i["period"] for i in _items(office) if i["nip"] == nip and i["tax"] == "VAT-7"}
    assert vat == {"2026-05", LAST}
    assert next(o for o in first.outcomes if o["nip"] == nip)["status"] == "uploaded"


def test_a_company_whose_data_a_program_could_not_give_is_marked_in_the_panel(demo):
    office, first, second = demo
    reported = [p for p in first.problems if p.startswith("reset2_ksiega:") and "does not cover"
                in p]  # fmt: skip
    nip = reported[0].split("(NIP ")[1][:10]
    outcome = next(o for o in first.outcomes if o["nip"] == nip)
    assert "does not cover" in outcome["reason"]
    with PanelThread(f"sqlite:///{office.panel_database}") as panel:
        with PanelClient(panel.url) as client:
            listed = {company.nip: company for company in client.companies()}
    assert listed[nip].sync_status == "warning" and "does not cover" in listed[nip].sync_reason
    assert second.panel_requests == 2  # the same warning again is not told again


def test_a_second_sync_uploads_nothing(demo):
    _, first, second = demo
    assert second.success, second.errors
    assert sum(o["uploaded"] for o in first.outcomes) > 0
    assert sum(o["uploaded"] for o in second.outcomes) == 0


def test_the_office_still_reads_its_databases_after_the_folder_moves(demo, tmp_path):
    office, _, _ = demo
    settings = yaml.safe_load(office.settings_path.read_text(encoding="utf-8"))
    firebird = [settings["programs"].pop(key, None) for key in FIREBIRD_PROGRAMS]
    assert str(office.folder) not in yaml.safe_dump(settings, allow_unicode=True)
    moved = tmp_path / "przeniesione biuro"
    shutil.copytree(office.folder, moved, ignore=shutil.ignore_patterns(".konekto", "firebird"))
    results = check_all(load_settings(moved / "konekto.yaml"))
    # Raks and Fakt are named by their absolute paths on the server: they still read the
    # databases the demo wrote.
    kept = FIREBIRD_PROGRAMS if any(firebird) else ()
    programs = [*DATABASE_PROGRAMS, *kept, *FILE_PROGRAMS, "jpk", "kedu", "panel"]
    expected = dict.fromkeys(programs, True)
    assert {r.name: r.ok for r in results} == expected, [r.message for r in results]


def test_raks_and_fakt_items_reach_the_panel(firebird_demo):
    office, first, _ = firebird_demo
    assert first.success, first.errors
    assert set(FIREBIRD_PROGRAMS) <= {item["source"] for item in _items(office)}
    own = {key: [c for c in office.companies if c.programs == (key,)] for key in FIREBIRD_PROGRAMS}
    assert len(own["raks"]) == 2 and len(own["fakt"]) == 2
    for company in own["fakt"]:
        assert _sources(office, company.nip, "zus") == {"fakt"}
        assert _sources(office, company.nip, "taxes") == {"fakt"}
    assert "on the local Firebird server: Raks 2, Fakt 2" in office.describe()
    settings = yaml.safe_load(office.settings_path.read_text(encoding="utf-8"))["programs"]
    assert settings["raks"]["password_env"] == settings["fakt"]["password_env"]
    assert settings["raks"]["data_folder"] == str(office.folder / "firebird" / "raks")


def test_a_jpk_client_kept_in_raks_gets_its_taxes_from_raks(firebird_demo):
    office, _, _ = firebird_demo
    (shared,) = [c for c in office.companies if c.programs == ("raks",) and c.vat_period]
    assert _sources(office, shared.nip, "taxes") == {"raks"}  # raks comes before jpk
    assert _sources(office, shared.nip, "zus") == {"kedu"}
    taxes = {i["tax"] for i in _items(office) if i["nip"] == shared.nip}
    assert {"VAT-7", "PIT-5"} <= taxes


def test_a_raks_month_without_a_vat_declaration_is_reported_for_that_company(firebird_demo):
    office, first, _ = firebird_demo
    reported = [p for p in first.problems if p.startswith("raks:")]
    assert len(reported) == 1 and f"no VAT-7 declaration added for {LAST}" in reported[0]
    nip = reported[0].split("(NIP ")[1][:10]
    vat = {i["period"] for i in _items(office) if i["nip"] == nip and i["tax"] == "VAT-7"}
    assert vat == {FIRST, "2026-05"}


def test_a_fakt_vat_amount_without_its_declaration_is_reported(firebird_demo):
    office, first, _ = firebird_demo
    reported = [p for p in first.problems if p.startswith("fakt:")]
    assert len(reported) == 1
    assert f"report for {FIRST} has VAT-7 but no VAT-7 declaration was generated" in reported[0]
    nip = reported[0].split("(NIP ")[1][:10]
    vat = {i["period"] for i in _items(office) if i["nip"] == nip and i["tax"] == "VAT-7"}
    assert vat == {"2026-05", LAST}


def test_without_a_usable_firebird_server_the_demo_says_so_and_syncs_the_rest(
    tmp_path, monkeypatch
):
    _without_firebird(monkeypatch)
    office = create_demo_office(tmp_path / "biuro", companies=5, last_period=LAST, month_count=1)
    assert office.skipped == [f"Raks and Fakt left out: {NO_SERVER}"]
    assert f"Raks and Fakt left out: {NO_SERVER}" in office.describe()
    settings = yaml.safe_load(office.settings_path.read_text(encoding="utf-8"))
    assert not set(FIREBIRD_PROGRAMS) & set(settings["programs"])
    assert not (office.folder / "firebird").exists()
    assert not any(set(c.programs) & set(FIREBIRD_PROGRAMS) for c in office.companies)
    report = run_sync(office.settings_path, LAST, LAST)
    assert report.success, report.errors
    sources = {item["source"] for item in _items(office)}
    assert {*DATABASE_PROGRAMS, *FILE_PROGRAMS, "jpk", "kedu"} <= sources
    assert not sources & set(FIREBIRD_PROGRAMS)


def test_the_same_arguments_give_the_same_databases(tmp_path, monkeypatch):
    _without_firebird(monkeypatch)  # the SQLite databases do not depend on Firebird
    one = create_demo_office(tmp_path / "one", companies=3, last_period=LAST, month_count=1)
    two = create_demo_office(tmp_path / "two", companies=3, last_period=LAST, month_count=1)
    databases = sorted(p.relative_to(one.folder) for p in one.folder.rglob("*.sqlite"))
    assert len(databases) == 9
    assert databases == sorted(p.relative_to(two.folder) for p in two.folder.rglob("*.sqlite"))
    for database in databases:
        assert _dump(one.folder / database) == _dump(two.folder / database), database
    files = sorted(
        path.relative_to(one.folder)
        for folder in FILE_FOLDERS
        for path in (one.folder / folder).rglob("*")
        if path.is_file()
    )
    assert {path.parts[0] for path in files} == set(FILE_FOLDERS)
    assert files == sorted(
        path.relative_to(two.folder)
        for folder in FILE_FOLDERS
        for path in (two.folder / folder).rglob("*")
        if path.is_file()
    )
    for file in files:
        assert _file_bytes(one.folder / file) == _file_bytes(two.folder / file), file


def _dump(path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def _file_bytes(path: Path) -> bytes:
    """A file's bytes; a DBF table's without the day it was written (header bytes 1-3)."""
    data = path.read_bytes()
    return data[:1] + data[4:] if path.suffix.upper() == ".DBF" else data


# --- the file-based programs ------------------------------------------------------------------


def test_the_demo_settings_enable_the_dbf_programs_with_paths_relative_to_the_settings(demo):
    office, _, _ = demo
    settings = load_settings(office.settings_path)
    assert set(FILE_PROGRAMS) <= set(settings.programs.enabled())
    written = yaml.safe_load(office.settings_path.read_text(encoding="utf-8"))["programs"]
    paths = [value for key in FILE_PROGRAMS for value in written[key].values()]
    assert paths == ["buchalter", "kpr/KPR_{year}", "mk/MK.INI", "symfonia/MKP.INI"]
    assert not any("\\" in path or PurePosixPath(path).is_absolute() for path in paths)
    results = {result.name: result for result in check_all(settings)}
    for program in FILE_PROGRAMS:
        assert results[program].ok and results[program].message.startswith("works:"), program
    counts = "in program files (DBF): Buchalter 2, KPR 3, Mała Księgowość 2, Symfonia 2"
    assert counts in office.describe()


@pytest.mark.parametrize("program", FILE_PROGRAMS)
def test_each_dbf_program_gives_back_its_clients_with_the_amounts_the_demo_wrote(demo, program):
    office, _, _ = demo
    _assert_gives_back(office, program, _read(office, program, FIRST, LAST))


def test_the_dbf_clients_include_ryczalt_quarterly_vat_and_an_employer(demo):
    office, _, _ = demo
    taxes = {tax for figures in office.figures for tax in figures.taxes}
    assert {"PIT-28", "VAT-7K", "PIT-4", "PIT-5", "PIT-5L", "VAT-7"} <= taxes


def test_kpr_files_are_mazovia_with_a_zero_language_driver_as_dos_left_them(demo):
    office, _, _ = demo
    tables = sorted((office.folder / "kpr").rglob("*.DBF"))
    assert len(tables) == 5  # the company list, three ledgers, the export
    assert {path.read_bytes()[29] for path in tables} == {0}
    company_list = (office.folder / "kpr" / "KPR_2026" / "FIRMY.DBF").read_bytes()
    kept = [c for c in office.companies if "kpr" in c.programs]
    assert all(c.name.encode("mazovia") in company_list for c in kept)
    probe = probe_program(PROGRAMS_BY_KEY["kpr"], load_settings(office.settings_path))
    listing = probe["years"]["2026"]["company_list"]
    assert (listing["encoding"], listing["language_driver"]) == ("mazovia", "0x00")


def test_a_buchalter_month_without_the_employees_zus_export_is_reported_for_that_company(demo):
    office, first, _ = demo
    (employer,) = {f.nip for f in office.figures if f.program == "buchalter" and f.zus is None}
    reported = [p for p in first.problems if p.startswith("buchalter:")]
    assert len(reported) == 1
    assert f"(NIP {employer})" in reported[0] and f"zusp{LAST.replace('-', '')}.dbf" in reported[0]
    assert f"no employees' ZUS export for {LAST}" in reported[0]
    zus = {
        i["period"]: i["amount"]
        for i in _items(office)
        if i["nip"] == employer and i["data_type"] == "zus"
    }
    written = {f.period: f.zus for f in office.figures if f.nip == employer and f.zus}
    assert zus == written and set(zus) == {FIRST, "2026-05"}
    assert _sources(office, employer, "zus") == {"buchalter"}
    assert next(o for o in first.outcomes if o["nip"] == employer)["status"] == "uploaded"


def test_a_jpk_client_kept_in_kpr_is_one_company_with_kpr_taxes_and_kedu_zus(demo):
    office, first, _ = demo
    (shared,) = [c for c in office.companies if "kpr" in c.programs and c.vat_period]
    assert shared.in_kedu and shared.person is None  # a partnership with JPK and KEDU files
    assert [o["nip"] for o in first.outcomes].count(shared.nip) == 1
    assert shared.nip not in {conflict["nip"] for conflict in first.name_conflicts}
    assert _sources(office, shared.nip, "taxes") == {"kpr"}  # kpr comes before jpk
    assert _sources(office, shared.nip, "zus") == {"kedu"}
    assert _sources(office, shared.nip, "summaries") == {"kpr"}
    vat = {
        i["period"]: i["amount"]
        for i in _items(office)
        if i["nip"] == shared.nip and i["tax"] == "VAT-7"
    }
    assert vat == _jpk_vat(office, shared.nip)


def test_months_across_a_new_year_fill_both_kpr_year_folders_and_read_back(tmp_path, monkeypatch):
    _without_firebird(monkeypatch)
    office = create_demo_office(
        tmp_path / "biuro", companies=3, last_period="2027-01", month_count=3
    )
    kpr = office.folder / "kpr"
    assert sorted(path.name for path in kpr.iterdir()) == ["KPR_2026", "KPR_2027"]
    assert all(
        (kpr / year / "EKSPORT" / "KPREXP.DBF").is_file() for year in ("KPR_2026", "KPR_2027")
    )
    assert {figures.period for figures in office.figures} == {"2026-11", "2026-12", "2027-01"}
    for program in FILE_PROGRAMS:
        data = _read(office, program, "2026-11", "2027-01")
        _assert_gives_back(office, program, data)


def _read(office: DemoOffice, program: str, first: str, last: str) -> SourceData:
    with PROGRAMS_BY_KEY[program].open(load_settings(office.settings_path)) as reader:
        return reader.read(months(first, last))


def _assert_gives_back(office: DemoOffice, program: str, data: SourceData) -> None:
    """The reader's companies (names with their Polish letters) and amounts are the demo's,
    and it reports no other problem than the demo made."""
    figures = [f for f in office.figures if f.program == program]
    kept = {c.nip: c.name for c in office.companies if program in c.programs}
    assert dict(zip(data.companies["nip"], data.companies["name"], strict=True)) == kept
    assert {f.nip for f in figures} == set(kept)
    taxes = {(f.nip, f.period, tax): amount for f in figures for tax, amount in f.taxes.items()}
    assert _by_key(data.taxes, ["nip", "period", "tax"], "amount") == taxes
    zus = {(f.nip, f.period): f.zus for f in figures if f.zus is not None}
    assert _by_key(data.zus, ["nip", "period"], "total") == zus
    for column in ("revenue", "costs", "revenue_ytd", "costs_ytd"):
        summaries = {(f.nip, f.period): f.summary[column] for f in figures if f.summary}
        assert _by_key(data.summaries, ["nip", "period"], column) == summaries, column
    assert len(data.problems) == FILE_PROBLEMS[program], [str(p) for p in data.problems]


def _by_key(frame: pd.DataFrame, keys: list[str], column: str) -> dict[tuple, int]:
    return {tuple(row[key] for key in keys): int(row[column]) for row in frame.to_dict("records")}


def _jpk_vat(office: DemoOffice, nip: str) -> dict[str, int]:
    """VAT to pay (P_51, whole złoty) of the client's JPK files, in grosze, by month."""
    amounts = {}
    for month in months(FIRST, LAST):
        text = (office.folder / "jpk" / f"JPK_V7_{nip}_{month}.xml").read_text(encoding="utf-8")
        start = text.index("P_51>") + len("P_51>")
        amounts[month] = int(text[start : text.index("<", start)]) * 100
    return amounts
