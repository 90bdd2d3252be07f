"""KEDU reader: ZUS DRA amounts and payers, read from the public sample and generated files.

The Quick-DRA sample pins the reader to a file written by another program; generated files
(from `kedu.writer`, written independently) cover several payers, `zestaw` nesting, schema
versions, corrections, duplicates and the ways a file or a DRA can be bad. Every frame must fit
`schemas`, and generated files must validate against the ZUS XSD.
"""

import time
from pathlib import Path

import pandas as pd
import pytest

from konekto_pipeline.schemas import validate
from konekto_pipeline.sources.base import SourceData
from konekto_pipeline.sources.kedu.reader import KeduReader
from konekto_pipeline.sources.kedu.writer import AnnualDocument, DraDocument, write_kedu

NIP = "5260250274"
OTHER_NIP = "1132853869"
SAMPLE_NIP = "7680002466"
SAMPLE_FILE = "quick-dra_202512-01.AB4123456_50671500000.xml"


def read(folder: Path, periods: list[str] | None = None) -> SourceData:
    """Read a folder and check that every frame fits the schema structurally."""
    data = KeduReader(folder).read(periods)
    for kind in ("companies", "zus", "taxes", "summaries"):
        assert validate(kind, data.frame(kind)).structural == [], kind
    return data


def only_row(frame: pd.DataFrame) -> pd.Series:
    assert len(frame) == 1, frame
    return frame.iloc[0]


def dra(**overrides: object) -> DraDocument:
    values: dict[str, object] = {
        "nip": NIP,
        "regon": "012100784",
        "short_name": "BIURO TESTOWE",
        "period": "2025-03",
        "social": 150000,
        "health": 40000,
        "labour_fund": 12000,
        "fgsp": 1000,
        "fep": 1500,
        "deductions": 2500,
    }
    return DraDocument(**{**values, **overrides})


def amounts(row: pd.Series) -> tuple[int, ...]:
    fields = ("social", "health", "labour_fund", "fep", "deductions", "total", "refund")
    return tuple(int(row[field]) for field in fields)


# --- the public sample ---------------------------------------------------------------------


def test_sample_dra_gives_one_zus_row_for_december_2025(samples_dir: Path) -> None:
    data = read(samples_dir / "kedu")

    row = only_row(data.zus)  # the ZUSRCA next to it is not a settlement
    assert (row["source"], row["nip"], row["source_company_id"]) == ("kedu", SAMPLE_NIP, SAMPLE_NIP)
    assert (row["period"], row["declaration_no"], row["kind"]) == ("2025-12", 1, "D")
    assert amounts(row) == (147632, 0, 0, 0, 0, 147632, 0)
    assert row["due_date"] == pd.Timestamp("2026-01-20")
    assert row["account"] is None
    assert data.problems == []


def test_sample_payer_is_a_person_with_a_short_name(samples_dir: Path) -> None:
    company = only_row(read(samples_dir / "kedu").companies)

    assert company["nip"] == SAMPLE_NIP
    assert company["name"] == "JAN NOWAK"
    assert company["regon"] is None
    assert company["legal_form"] == "other"  # a PESEL and no REGON
    assert company["vat_period"] is None


def test_sample_frames_pass_schema_validation_without_failures(samples_dir: Path) -> None:
    data = read(samples_dir / "kedu")

    for kind in ("companies", "zus"):
        assert validate(kind, data.frame(kind)).row_failures.empty, kind


# --- generated files -----------------------------------------------------------------------


def test_one_file_with_several_payers_gives_several_companies(tmp_path: Path) -> None:
    person = dra(
        nip=OTHER_NIP,
        regon=None,
        pesel="80010112345",
        short_name=None,
        first_name="ANNA",
        last_name="NOWAK",
    )
    write_kedu(tmp_path / "a.xml", [dra(), person])

    data = read(tmp_path)
    companies = data.companies.set_index("nip")
    assert companies.loc[NIP, ["name", "regon", "legal_form"]].tolist() == [
        "BIURO TESTOWE",
        "012100784",
        None,
    ]
    assert companies.loc[OTHER_NIP, ["name", "regon", "legal_form"]].tolist() == [
        "ANNA NOWAK",
        None,
        "other",
    ]
    assert sorted(data.zus["nip"]) == sorted([NIP, OTHER_NIP])


def test_amounts_are_read_in_grosze_and_add_up(tmp_path: Path) -> None:
    write_kedu(tmp_path / "a.xml", [dra()])

    row = only_row(read(tmp_path).zus)
    assert amounts(row) == (150000, 40000, 12000, 1500, 2500, 201000, 0)
    assert row["due_date"] == pd.Timestamp("2025-04-22")  # 20 April 2025 is Easter Sunday


def test_a_dra_with_more_deductions_than_contributions_is_a_refund(tmp_path: Path) -> None:
    write_kedu(tmp_path / "a.xml", [dra(social=1000, health=0, labour_fund=0, fgsp=0, fep=0)])

    row = only_row(read(tmp_path).zus)
    assert (row["total"], row["refund"]) == (0, 1500)


def test_the_labour_fund_is_p1_plus_p2_when_the_total_is_missing(tmp_path: Path) -> None:
    write_kedu(tmp_path / "a.xml", [dra(write_labour_total=False)])

    assert only_row(read(tmp_path).zus)["labour_fund"] == 12000


@pytest.mark.parametrize("version", ["4", "5.4", "5.5", "5.6", "5.7"])
def test_every_kedu_version_namespace_is_read(tmp_path: Path, version: str) -> None:
    write_kedu(tmp_path / "a.xml", [dra()], version=version)

    assert only_row(read(tmp_path).zus)["total"] == 201000


def test_dras_inside_zestaw_are_read(tmp_path: Path) -> None:
    write_kedu(tmp_path / "a.xml", [dra(), dra(nip=OTHER_NIP)], in_zestaw=True)

    assert sorted(read(tmp_path).zus["nip"]) == sorted([NIP, OTHER_NIP])


def test_dras_nested_deeper_in_zestaw_are_read(tmp_path: Path) -> None:
    path = write_kedu(tmp_path / "a.kdu", [dra()], in_zestaw=True)
    text = path.read_text(encoding="utf-8")
    text = text.replace('<zestaw id_zestawu="1"', '<zestaw id_zestawu="9"><zestaw id_zestawu="1"')
    path.write_text(text.replace("</zestaw>", "</zestaw></zestaw>"), encoding="utf-8")

    assert only_row(read(tmp_path).zus)["nip"] == NIP


def test_annual_zusdra2_documents_are_ignored(tmp_path: Path) -> None:
    annual = [AnnualDocument(nip=NIP, year=2024, amounts=(100, 200, 300))]
    write_kedu(tmp_path / "a.xml", [dra()], extra_documents=annual)

    data = read(tmp_path)
    assert only_row(data.zus)["period"] == "2025-03"
    assert data.problems == []


def test_every_declaration_number_is_kept_for_the_merge(tmp_path: Path) -> None:
    write_kedu(tmp_path / "a.xml", [dra()])
    write_kedu(tmp_path / "b.xml", [dra(declaration_no=2, social=160000)])

    zus = read(tmp_path).zus.sort_values("declaration_no")
    assert zus[["declaration_no", "kind", "social"]].values.tolist() == [
        [1, "D", 150000],
        [2, "K", 160000],
    ]


def test_the_same_dra_in_two_files_is_kept_once(tmp_path: Path) -> None:
    write_kedu(tmp_path / "a.xml", [dra()])
    write_kedu(tmp_path / "b.xml", [dra()])

    data = read(tmp_path)
    assert len(data.zus) == 1
    assert data.problems == []


def test_differing_copies_of_a_dra_keep_the_later_file_and_say_so(tmp_path: Path) -> None:
    write_kedu(tmp_path / "a.xml", [dra()])
    write_kedu(tmp_path / "b.xml", [dra(social=150001)])

    data = read(tmp_path)
    assert only_row(data.zus)["social"] == 150001
    problem = data.problems[0]
    assert (problem.where, problem.nip) == (str(tmp_path / "b.xml"), NIP)
    assert "more than once" in problem.message


def test_a_dra_that_does_not_add_up_is_reported_and_not_loaded(tmp_path: Path) -> None:
    write_kedu(tmp_path / "a.xml", [dra(total=201001), dra(nip=OTHER_NIP)])

    data = read(tmp_path)
    assert list(data.zus["nip"]) == [OTHER_NIP]
    problem = only_row(pd.DataFrame([p.__dict__ for p in data.problems]))
    assert (problem["program"], problem["where"], problem["nip"]) == (
        "kedu",
        str(tmp_path / "a.xml"),
        NIP,
    )
    assert "2025-03" in problem["message"] and "does not add up" in problem["message"]
    assert NIP in set(data.companies["nip"])  # the payer itself is fine


def test_a_payer_without_nip_is_skipped_with_a_problem_naming_it(tmp_path: Path) -> None:
    write_kedu(tmp_path / "a.xml", [dra(nip=None, short_name="BEZ NIPU SP J"), dra(nip=OTHER_NIP)])

    data = read(tmp_path)
    assert list(data.companies["nip"]) == [OTHER_NIP]
    assert list(data.zus["nip"]) == [OTHER_NIP]
    assert len(data.problems) == 1
    assert "BEZ NIPU SP J" in data.problems[0].message
    assert "no NIP" in data.problems[0].message


def test_a_bad_amount_drops_that_dra_only(tmp_path: Path) -> None:
    path = write_kedu(tmp_path / "a.xml", [dra(), dra(nip=OTHER_NIP, social=1)])
    path.write_text(path.read_text().replace("<p37>0.01</p37>", "<p37>0,01</p37>"))

    data = read(tmp_path)
    assert list(data.zus["nip"]) == [NIP]
    problem = data.problems[0]
    assert problem.nip == OTHER_NIP
    assert "IV/p37" in problem.message


def test_polish_diacritics_in_names_survive(tmp_path: Path) -> None:
    write_kedu(tmp_path / "a.xml", [dra(short_name="ŻÓŁTA ŁÓDŹ ŚWIĘCICKA SP. J.")])

    assert only_row(read(tmp_path).companies)["name"] == "ŻÓŁTA ŁÓDŹ ŚWIĘCICKA SP. J."


def test_a_name_is_built_from_first_and_last_name_without_a_short_name(tmp_path: Path) -> None:
    write_kedu(tmp_path / "a.xml", [dra(short_name=None, first_name="JÓZEF", last_name="BĄK")])

    assert only_row(read(tmp_path).companies)["name"] == "JÓZEF BĄK"


def test_an_invalid_nip_passes_through_as_rows(tmp_path: Path) -> None:
    write_kedu(tmp_path / "a.xml", [dra(nip="1234567890")])

    data = read(tmp_path)
    assert data.problems == []
    assert only_row(data.zus)["nip"] == "1234567890"
    assert validate("zus", data.zus).rejected_nips == ["1234567890"]


def test_periods_filter_rows_but_keeps_every_payer(tmp_path: Path) -> None:
    write_kedu(tmp_path / "a.xml", [dra(period="2025-02"), dra(nip=OTHER_NIP, period="2025-03")])

    data = read(tmp_path, periods=["2025-03"])
    assert list(data.zus["nip"]) == [OTHER_NIP]
    assert sorted(data.companies["nip"]) == sorted([NIP, OTHER_NIP])


def test_a_company_takes_the_data_of_its_latest_dra(tmp_path: Path) -> None:
    write_kedu(tmp_path / "b.xml", [dra(period="2025-01", short_name="STARA")])
    write_kedu(tmp_path / "a.xml", [dra(period="2025-02", short_name="NOWA")])

    assert only_row(read(tmp_path).companies)["name"] == "NOWA"


def test_files_are_found_in_subfolders_with_xml_and_kdu_suffixes(tmp_path: Path) -> None:
    (tmp_path / "platnik").mkdir()
    write_kedu(tmp_path / "platnik" / "A.KDU", [dra()])
    write_kedu(tmp_path / "b.Xml", [dra(nip=OTHER_NIP)])
    (tmp_path / "readme.txt").write_text("not KEDU")

    assert len(read(tmp_path).zus) == 2


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE KEDU [
 <!ENTITY a "ha">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
 <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<KEDU xmlns="http://www.zus.pl/2024/KEDU_5_6">&i;</KEDU>
"""


def _truncated(path: Path) -> None:
    text = write_kedu(path, [dra(nip=OTHER_NIP)]).read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")


@pytest.mark.parametrize(
    ("make_bad_file", "words"),
    [
        (lambda p: p.write_text("<KEDU><ZUSDRA>"), "not well-formed"),
        (_truncated, "not well-formed"),
        (lambda p: p.write_text("<JPK xmlns='http://crd.gov.pl/wzor/2021/12/27/11148/'/>"), "JPK"),
        (lambda p: p.write_text("<KEDU wersja_schematu='1'/>"), "namespace (none)"),
        (lambda p: p.write_text("<KEDU xmlns='http://example.com/KEDU_5_6'/>"), "example.com"),
        (lambda p: p.write_text(BILLION_LAUGHS), "entities"),
    ],
    ids=["not-xml", "truncated", "foreign-xml", "no-namespace", "foreign-namespace", "laughs"],
)
def test_a_bad_file_is_a_problem_and_the_other_files_still_load(
    tmp_path: Path, make_bad_file, words: str
) -> None:
    write_kedu(tmp_path / "good.xml", [dra()])
    bad = tmp_path / "bad.xml"
    make_bad_file(bad)

    started = time.monotonic()
    data = read(tmp_path)

    assert time.monotonic() - started < 5
    assert len(data.problems) == 1
    problem = data.problems[0]
    assert (problem.program, problem.where, problem.nip) == ("kedu", str(bad), None)
    assert words in problem.message
    assert list(data.zus["nip"]) == [NIP]


def test_a_missing_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    data = read(tmp_path / "nowhere")

    assert data.zus.empty and data.companies.empty
    assert [problem.where for problem in data.problems] == [str(tmp_path / "nowhere")]


# --- generated files against the ZUS schema ------------------------------------------------


@pytest.fixture
def kedu_schema(samples_dir: Path):
    """kedu_5_6.xsd without its XMLDSig import (a remote file we do not hold) and signature."""
    etree = pytest.importorskip("lxml.etree", reason="lxml (a test dependency) is not installed")
    schema = etree.parse(str(samples_dir / "kedu" / "kedu_5_6.xsd"))
    xs = "{http://www.w3.org/2001/XMLSchema}"
    signature_parts = [
        element
        for element in schema.iter(f"{xs}import", f"{xs}element")
        if element.tag == f"{xs}import" or (element.get("ref") or "").startswith("ds:")
    ]
    for element in signature_parts:
        element.getparent().remove(element)
    return etree.XMLSchema(schema)


@pytest.mark.parametrize("in_zestaw", [False, True])
def test_generated_files_validate_against_the_zus_schema(
    tmp_path: Path, kedu_schema, in_zestaw: bool
) -> None:
    from lxml import etree

    documents = [
        dra(),
        dra(nip=OTHER_NIP, regon=None, pesel="80010112345", short_name="ŁUKASZ ŻAK", health=0),
        dra(declaration_no=2, social=1000, health=0, labour_fund=0, fgsp=0, fep=0),
    ]
    annual = [AnnualDocument(nip=NIP, year=2024, tag="ZUSRCA2")]
    path = write_kedu(tmp_path / "a.xml", documents, in_zestaw=in_zestaw, extra_documents=annual)

    assert kedu_schema.validate(etree.parse(str(path))), kedu_schema.error_log


def test_the_schema_check_accepts_the_sample_and_rejects_a_broken_file(
    samples_dir: Path, tmp_path: Path, kedu_schema
) -> None:
    from lxml import etree

    sample = samples_dir / "kedu" / SAMPLE_FILE
    broken = tmp_path / "broken.xml"
    broken.write_text(sample.read_text(encoding="utf-8").replace("1476.32", "1476,32"))

    assert kedu_schema.validate(etree.parse(str(sample))), kedu_schema.error_log
    assert not kedu_schema.validate(etree.parse(str(broken)))
