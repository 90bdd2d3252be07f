"""Robustness regressions found by trying to break the pipeline with bad files and settings.

Each test pins behaviour that already works: a bad file is named with what is wrong and the other
files and companies go on; foreign encodings with Polish letters are read; entities are refused;
settings mistakes are refused with a clear message; the panel token never reaches the office's
storage folder or the Dagster event log.
"""

import shutil
from pathlib import Path

import pytest
import yaml

from konekto_pipeline.cli import main, run_sync
from konekto_pipeline.demo import create_demo_office
from konekto_pipeline.panel.server import PanelThread, dump
from konekto_pipeline.sources.jpk.reader import JpkReader
from konekto_pipeline.sources.jpk.writer import JpkDeclaration, JpkFile, write_jpk
from konekto_pipeline.sources.kedu.reader import KeduReader
from konekto_pipeline.sources.kedu.writer import DraDocument, write_kedu

LAST = "2026-06"
NIP = "7018631981"
OTHER_NIP = "5260250274"
THIRD_NIP = "1830166138"


def _jpk(nip: str = NIP, name: str = "Firma Testowa", p51: int = 1000) -> JpkFile:
    return JpkFile(
        nip=nip,
        year=2026,
        month=6,
        variant=3,
        company_name=name,
        declaration=JpkDeclaration(p51=p51, p38=p51),
        sales=[(100_000, 23_000)],
        purchases=[(50_000, 11_500)],
    )


def _jpk_text(tmp_path: Path, jpk: JpkFile) -> str:
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    return write_jpk(scratch / "made.xml", jpk).read_text(encoding="utf-8")


def _reencode(text: str, encoding: str) -> bytes:
    declared = text.replace("encoding='utf-8'", f"encoding='{encoding}'")
    assert declared != text
    return declared.encode("utf-16" if encoding == "UTF-16" else encoding)


# --- the JPK reader --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"", bytes(range(256)) * 16],
    ids=["empty", "binary"],
)
def test_an_empty_or_binary_jpk_file_is_named_and_the_others_load(tmp_path, content):
    folder = tmp_path / "jpk"
    folder.mkdir()
    write_jpk(folder / "good.xml", _jpk())
    (folder / "bad.xml").write_bytes(content)

    data = JpkReader(folder).read()

    assert [(p.where, p.nip) for p in data.problems] == [(str(folder / "bad.xml"), None)]
    assert "not well-formed" in data.problems[0].message
    assert list(data.taxes["nip"]) == [NIP]


@pytest.mark.parametrize("encoding", ["UTF-16", "windows-1250"])
def test_a_jpk_in_another_declared_encoding_keeps_its_polish_letters(tmp_path, encoding):
    folder = tmp_path / "jpk"
    folder.mkdir()
    name = "Łódzka Spółdzielnia Źrebięta Zażółć"
    text = _jpk_text(tmp_path, _jpk(name=name))
    (folder / "encoded.xml").write_bytes(_reencode(text, encoding))

    data = JpkReader(folder).read()

    assert data.problems == []
    assert list(data.companies["name"]) == [name]
    assert list(data.taxes["amount"]) == [100_000]


def test_an_external_entity_is_refused_and_nothing_of_the_target_file_is_read(tmp_path):
    folder = tmp_path / "jpk"
    folder.mkdir()
    write_jpk(folder / "good.xml", _jpk())
    text = _jpk_text(tmp_path, _jpk(nip=OTHER_NIP, name="XXE"))
    text = text.replace(
        "?>", '?>\n<!DOCTYPE JPK [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', 1
    ).replace(">XXE<", ">&xxe;<")
    (folder / "xxe.xml").write_text(text, encoding="utf-8")

    data = JpkReader(folder).read()

    assert [p.where for p in data.problems] == [str(folder / "xxe.xml")]
    assert "entities" in data.problems[0].message
    assert list(data.companies["nip"]) == [NIP]
    assert not data.companies["name"].str.contains("root:").any()


@pytest.mark.parametrize("value", ["-1000", "12.50", "1 000", ""])
def test_a_p51_that_is_not_whole_non_negative_zloty_is_a_problem_naming_the_file(tmp_path, value):
    folder = tmp_path / "jpk"
    folder.mkdir()
    write_jpk(folder / "good.xml", _jpk())
    text = _jpk_text(tmp_path, _jpk(nip=OTHER_NIP))
    (folder / "bad.xml").write_text(
        text.replace("<tns:P_51>1000</tns:P_51>", f"<tns:P_51>{value}</tns:P_51>"),
        encoding="utf-8",
    )

    data = JpkReader(folder).read()

    assert len(data.problems) == 1
    problem = data.problems[0]
    assert (problem.where, problem.nip) == (str(folder / "bad.xml"), OTHER_NIP)
    assert "P_51" in problem.message
    assert list(data.taxes["nip"]) == [NIP]


def test_a_large_p51_is_kept_to_the_grosz(tmp_path):
    folder = tmp_path / "jpk"
    folder.mkdir()
    write_jpk(folder / "huge.xml", _jpk(p51=10**12))

    data = JpkReader(folder).read()

    assert data.problems == []
    assert list(data.taxes["amount"]) == [10**14]


@pytest.mark.parametrize("p51", [10**12 + 1, 10**17, 10**18])
def test_an_amount_beyond_any_real_declaration_is_a_problem_naming_the_file(tmp_path, p51):
    folder = tmp_path / "jpk"
    folder.mkdir()
    write_jpk(folder / "huge.xml", _jpk(p51=p51))

    data = JpkReader(folder).read()

    assert data.taxes.empty
    assert [problem.where for problem in data.problems] == [str(folder / "huge.xml")]
    assert "beyond any real figure" in data.problems[0].message


def test_the_same_jpk_under_two_names_gives_one_item(tmp_path):
    folder = tmp_path / "jpk"
    folder.mkdir()
    write_jpk(folder / "copy_a.xml", _jpk())
    shutil.copy(folder / "copy_a.xml", folder / "copy_b.xml")

    data = JpkReader(folder).read()

    assert data.problems == []
    assert len(data.taxes) == len(data.summaries) == len(data.companies) == 1


def test_a_directory_named_like_an_xml_file_is_ignored(tmp_path):
    folder = tmp_path / "jpk"
    (folder / "x.xml").mkdir(parents=True)
    write_jpk(folder / "good.xml", _jpk())

    data = JpkReader(folder).read()

    assert data.problems == []
    assert list(data.taxes["nip"]) == [NIP]


# --- the KEDU reader -------------------------------------------------------------------------


def _dra(nip: str | None = NIP, period: str = LAST, **amounts: int) -> DraDocument:
    return DraDocument(nip=nip, period=period, short_name="PŁATNIK ŻÓŁTY", social=10_000, **amounts)


@pytest.mark.parametrize("encoding", ["UTF-16", "windows-1250"])
def test_a_kedu_in_another_declared_encoding_keeps_its_polish_letters(tmp_path, encoding):
    folder = tmp_path / "kedu"
    folder.mkdir()
    path = write_kedu(folder / "dra.xml", [_dra()])
    path.write_bytes(_reencode(path.read_text(encoding="utf-8"), encoding))

    data = KeduReader(folder).read()

    assert data.problems == []
    assert list(data.companies["name"]) == ["PŁATNIK ŻÓŁTY"]
    assert list(data.zus["total"]) == [10_000]


@pytest.mark.parametrize(
    ("document", "words", "nip"),
    [
        (_dra(OTHER_NIP, period="2025-13"), "not YYYY-MM", OTHER_NIP),
        (
            DraDocument(
                nip=None,
                pesel="80010112345",
                period=LAST,
                first_name="JAN",
                last_name="KOWALSKI",
                social=10_000,
            ),
            "has no NIP",
            None,
        ),
        (_dra(OTHER_NIP, total=99_999), "does not add up", OTHER_NIP),
    ],
    ids=["month-13", "pesel-without-nip", "totals-do-not-add-up"],
)
def test_a_bad_dra_is_a_problem_naming_the_file_and_the_others_load(tmp_path, document, words, nip):
    folder = tmp_path / "kedu"
    folder.mkdir()
    write_kedu(folder / "good.xml", [_dra()])
    write_kedu(folder / "bad.xml", [document])

    data = KeduReader(folder).read()

    assert [(p.where, p.nip) for p in data.problems] == [(str(folder / "bad.xml"), nip)]
    assert words in data.problems[0].message
    assert list(data.zus["nip"]) == [NIP]


@pytest.mark.parametrize("content", [b"", b"\x00\xff\xfe garbage \x01"], ids=["empty", "binary"])
def test_an_empty_or_binary_kedu_file_is_named(tmp_path, content):
    folder = tmp_path / "kedu"
    folder.mkdir()
    write_kedu(folder / "good.xml", [_dra()])
    (folder / "bad.kdu").write_bytes(content)
    (folder / "y.xml").mkdir()

    data = KeduReader(folder).read()

    assert [p.where for p in data.problems] == [str(folder / "bad.kdu")]
    assert list(data.zus["nip"]) == [NIP]


# --- a whole sync with bad files ---------------------------------------------------------------


@pytest.fixture(scope="module")
def office_with_bad_files(tmp_path_factory):
    office = create_demo_office(
        tmp_path_factory.mktemp("bad-files"), companies=3, last_period=LAST, month_count=1
    )
    jpk, kedu = office.folder / "jpk", office.folder / "kedu"
    (jpk / "empty.xml").write_bytes(b"")
    (jpk / "garbage.xml").write_bytes(bytes(range(256)))
    (jpk / "x.xml").mkdir()
    (jpk / "2026" / "06").mkdir(parents=True)
    write_jpk(jpk / "2026" / "06" / "NESTED.XML", _jpk(nip=NIP, name="Zagnieżdżona"))
    formatted = write_jpk(jpk / "formatted.xml", _jpk(nip=OTHER_NIP, name="Sformatowana"))
    text = formatted.read_text(encoding="utf-8")
    nip_element = f"<tns:NIP>{OTHER_NIP}</tns:NIP>"
    assert nip_element in text
    formatted.write_text(
        text.replace(nip_element, "<tns:NIP>PL 526-025-02-74</tns:NIP>"), encoding="utf-8"
    )
    write_jpk(jpk / "zeros.xml", _jpk(nip="0000000000", name="Zera"))
    write_kedu(kedu / "month13.xml", [_dra(THIRD_NIP, period="2025-13")])
    (kedu / "empty.xml").write_bytes(b"")
    return office


def test_a_sync_with_bad_files_names_each_and_uploads_the_other_companies(
    office_with_bad_files, capsys
):
    office = office_with_bad_files
    args = ["sync", "--settings", str(office.settings_path), "--from", LAST, "--to", LAST]

    code = main(args)

    out, err = capsys.readouterr()
    assert code == 0
    assert "Traceback" not in out + err
    for name in ("empty.xml", "garbage.xml", "month13.xml", "JPK_V7_przerwany.xml"):
        assert name in out
    assert "x.xml" not in out
    stored = {item["nip"] for item in dump(f"sqlite:///{office.panel_database}")}
    valid = {company.nip for company in office.companies[:-1]}
    assert stored == valid | {NIP, OTHER_NIP}
    assert "0000000000" not in stored
    zeros = next(line for line in out.splitlines() if line.startswith("0000000000"))
    assert "rejected" in zeros


# --- settings ----------------------------------------------------------------------------------


def _settings(office, **changes) -> Path:
    settings = yaml.safe_load(office.settings_path.read_text(encoding="utf-8"))
    settings.update(changes)
    path = office.folder / "changed.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def small_office(tmp_path):
    return create_demo_office(tmp_path / "office", companies=3, last_period=LAST, month_count=1)


def test_a_zus_account_of_another_nip_is_refused_naming_both(small_office, capsys):
    first, second = (company.nip for company in small_office.companies[:2])
    overrides = yaml.safe_load(small_office.settings_path.read_text(encoding="utf-8"))
    account = next(
        entry["zus_account"]
        for nip, entry in overrides["companies"].items()
        if "zus_account" in entry
    )
    owner = account[-10:]
    other = first if owner != first else second
    path = _settings(small_office, companies={other: {"zus_account": account}})

    code = main(["sync", "--settings", str(path), "--from", LAST, "--to", LAST])

    err = capsys.readouterr().err
    assert code == 2
    assert "another NIP" in err and owner in err and other in err
    assert not small_office.panel_database.exists()


def test_polish_name_override_do_not_update_and_update_list_reach_the_panel(small_office):
    companies = [c for c in small_office.companies[:-1] if c.vat_period and c.in_kedu]
    chosen, other = companies[0].nip, companies[1].nip
    name = "Zażółć gęślą jaźń — „Łódź” sp. z o.o."
    path = _settings(
        small_office,
        companies={chosen: {"name": name, "sources": {"taxes": "do_not_update"}}},
        update={"companies": [f"PL {chosen[:3]}-{chosen[3:6]}-{chosen[6:8]}-{chosen[8:]}"]},
    )

    report = run_sync(path, LAST, LAST)

    assert report.success, report.errors
    outcomes = {o["nip"]: o for o in report.outcomes}
    assert (outcomes[chosen]["status"], outcomes[chosen]["name"]) == ("uploaded", name)
    assert outcomes[other]["status"] == "skipped"
    items = list(dump(f"sqlite:///{small_office.panel_database}"))
    assert {item["nip"] for item in items} == {chosen}
    assert {item["data_type"] for item in items} == {"zus", "summaries"}


# --- secrets -------------------------------------------------------------------------------------


def test_the_token_is_in_no_file_of_the_office_and_a_wrong_one_is_explained(
    small_office, monkeypatch
):
    secret = "Tok3n-robustness-XYZZY-5e1f"
    with PanelThread(f"sqlite:///{small_office.folder / 'remote.sqlite'}", token=secret) as panel:
        path = _settings(small_office, panel={"url": panel.url, "timeout_seconds": 5})
        monkeypatch.setenv("KONEKTO_PANEL_TOKEN", secret)
        accepted = run_sync(path, LAST, LAST)
        monkeypatch.setenv("KONEKTO_PANEL_TOKEN", secret + "-wrong")
        refused = run_sync(path, LAST, LAST)

    assert accepted.success, accepted.errors
    assert not refused.success
    assert any("401" in error and "bearer token" in error for error in refused.errors)
    assert all(secret not in error for error in refused.errors)
    storage = small_office.folder / ".konekto"
    files = [p for p in storage.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files)  # the Dagster event log is among them
    for file in files:
        assert secret.encode() not in file.read_bytes(), file
