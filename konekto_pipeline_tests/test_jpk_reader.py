"""JPK_V7M / JPK_V7K reader: what the office sees for VAT, read from real and generated files.

The public samples pin the reader to files written by another program; generated files (from
`jpk.writer`, written independently) cover variants, quarters, corrections, records and the
ways a file can be bad. Every frame must fit `schemas`, and generated files must validate
against the MF XSDs, so the writer cannot drift into a dialect only our reader understands.
"""

import time
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from konekto_pipeline.domain.accounts import micro_account
from konekto_pipeline.schemas import validate
from konekto_pipeline.sources.base import SourceData
from konekto_pipeline.sources.jpk.reader import JpkReader
from konekto_pipeline.sources.jpk.writer import (
    FIRST_PUBLICATION,
    JpkDeclaration,
    JpkFile,
    write_jpk,
)

NIP = "5260250274"
OTHER_NIP = "1132853869"
SAMPLE_NIP = "7018631981"


def read(folder: Path, periods: list[str] | None = None) -> SourceData:
    """Read a folder and check that every frame fits the schema structurally."""
    data = JpkReader(folder).read(periods)
    for kind in ("companies", "zus", "taxes", "summaries"):
        assert validate(kind, data.frame(kind)).structural == [], kind
    return data


def only_row(frame: pd.DataFrame) -> pd.Series:
    assert len(frame) == 1, frame
    return frame.iloc[0]


def jpk(**overrides: object) -> JpkFile:
    values: dict[str, object] = {
        "nip": NIP,
        "year": 2024,
        "month": 5,
        "company_name": "Biuro Testowe sp. z o.o.",
        "declaration": JpkDeclaration(p38=2300, p51=1800),
    }
    return JpkFile(**{**values, **overrides})


def insert_into_first(path: Path, row_name: str, elements: dict[str, str]) -> None:
    """Append elements (as `tns:` children) to the first record row of a kind."""
    text = path.read_text(encoding="utf-8")
    extra = "".join(f"<tns:{name}>{value}</tns:{name}>" for name, value in elements.items())
    end = text.index(f"</tns:{row_name}>")
    path.write_text(text[:end] + extra + text[end:], encoding="utf-8")


# --- the public samples ------------------------------------------------------------------


def test_sample_v7m1_gives_a_vat7_item_for_september_2020(samples_dir: Path) -> None:
    taxes = read(samples_dir / "jpk").taxes

    row = only_row(taxes[taxes["period"] == "2020-09"])
    assert row["source"] == "jpk"
    assert row["nip"] == SAMPLE_NIP
    assert row["source_company_id"] == SAMPLE_NIP
    assert row["tax"] == "VAT-7"
    assert row["kind"] == "D"
    assert row["amount"] == 12400
    assert pd.isna(row["refund"]) and pd.isna(row["carried_forward"])
    assert row["due_date"] == pd.Timestamp("2020-10-26")
    assert row["account"] == micro_account(SAMPLE_NIP)


def test_sample_v7k2_declaration_is_dated_to_the_quarters_last_month(samples_dir: Path) -> None:
    taxes = read(samples_dir / "jpk").taxes

    row = only_row(taxes[taxes["tax"] == "VAT-7K"])
    assert row["period"] == "2022-03"  # the file says Miesiac=2 but Kwartal=1
    assert row["amount"] == 12400
    assert row["due_date"] == pd.Timestamp("2022-04-25")


def test_samples_give_one_tax_item_per_declaration(samples_dir: Path) -> None:
    data = read(samples_dir / "jpk")

    items = sorted(zip(data.taxes["period"], data.taxes["tax"], strict=True))
    assert items == [("2020-09", "VAT-7"), ("2022-02", "VAT-7"), ("2022-03", "VAT-7K")]
    assert data.problems == []
    assert data.summaries.empty


def test_sample_company_comes_from_the_newest_file(samples_dir: Path) -> None:
    company = only_row(read(samples_dir / "jpk").companies)

    # Two files are made at the same moment; the later file name (the V7M(2) person form) wins.
    assert company["nip"] == SAMPLE_NIP
    assert company["name"] == "Jan Kowaski"
    assert company["legal_form"] == "other"
    assert company["email"] == "jan.kowalski@mail.com"  # the stray trailing comma is gone
    assert company["phone"] == "566871429"
    assert company["vat_period"] == "M"
    assert company["regon"] is None


def test_sample_frames_pass_schema_validation_without_failures(samples_dir: Path) -> None:
    data = read(samples_dir / "jpk")

    for kind in ("companies", "taxes", "summaries"):
        assert validate(kind, data.frame(kind)).row_failures.empty, kind


# --- declarations, corrections, quarters ---------------------------------------------------


def test_refund_and_carried_forward_are_read_in_grosze(tmp_path: Path) -> None:
    declaration = JpkDeclaration(p38=100, p48=900, p51=0, p53=800, p54=300, p62=500)
    write_jpk(tmp_path / "a.xml", jpk(declaration=declaration))

    row = only_row(read(tmp_path).taxes)
    assert (row["amount"], row["refund"], row["carried_forward"]) == (0, 30000, 50000)
    assert row["due_date"] == pd.Timestamp("2024-06-25")


def test_a_correction_supersedes_the_first_filing_even_if_made_earlier(tmp_path: Path) -> None:
    original = jpk(created=datetime(2024, 6, 20), declaration=JpkDeclaration(p51=1800))
    correction = jpk(
        correction=True, created=datetime(2024, 6, 1), declaration=JpkDeclaration(p51=2100)
    )
    write_jpk(tmp_path / "z_original.xml", original)
    write_jpk(tmp_path / "a_correction.xml", correction)

    row = only_row(read(tmp_path).taxes)
    assert (row["kind"], row["amount"]) == ("K", 210000)


def test_the_later_of_two_corrections_wins(tmp_path: Path) -> None:
    for name, created, amount in (("b.xml", 20, 2500), ("a.xml", 25, 2600), ("c.xml", 22, 2700)):
        declaration = JpkDeclaration(p51=amount)
        write_jpk(
            tmp_path / name,
            jpk(correction=True, created=datetime(2024, 7, created), declaration=declaration),
        )

    assert only_row(read(tmp_path).taxes)["amount"] == 260000


def test_filings_made_at_the_same_moment_are_decided_by_file_name(tmp_path: Path) -> None:
    moment = datetime(2024, 6, 10, 12, 0)
    write_jpk(tmp_path / "b.xml", jpk(created=moment, declaration=JpkDeclaration(p51=1)))
    write_jpk(tmp_path / "a.xml", jpk(created=moment, declaration=JpkDeclaration(p51=2)))

    assert only_row(read(tmp_path).taxes)["amount"] == 100


def test_a_correction_without_records_keeps_the_first_filings_records(tmp_path: Path) -> None:
    write_jpk(tmp_path / "1.xml", jpk(sales=[(10000, 2300)]))
    write_jpk(
        tmp_path / "2.xml",
        jpk(correction=True, records=False, declaration=JpkDeclaration(p51=99)),
    )

    data = read(tmp_path)
    assert only_row(data.summaries)["revenue"] == 10000
    assert only_row(data.taxes)["amount"] == 9900


def test_a_corrections_records_replace_the_first_filings_records(tmp_path: Path) -> None:
    write_jpk(tmp_path / "1.xml", jpk(sales=[(10000, 2300)]))
    write_jpk(tmp_path / "2.xml", jpk(correction=True, declaration=None, sales=[(7000, 1610)]))

    data = read(tmp_path)
    summary = only_row(data.summaries)
    assert (summary["revenue"], summary["vat_output"]) == (7000, 1610)
    assert only_row(data.taxes)["kind"] == "D"  # the correction carried no declaration


def test_a_file_without_a_declaration_gives_no_tax_item(tmp_path: Path) -> None:
    write_jpk(tmp_path / "a.xml", jpk(declaration=None, sales=[(100, 23)]))

    data = read(tmp_path)
    assert data.taxes.empty
    assert len(data.summaries) == 1
    assert len(data.companies) == 1


def test_a_v7k_quarter_gives_one_vat7k_item_and_three_monthly_summaries(tmp_path: Path) -> None:
    for month in (4, 5):
        write_jpk(tmp_path / f"{month}.xml", jpk(form="V7K", month=month, declaration=None))
    declaration = JpkDeclaration(p38=500, p51=450)
    write_jpk(tmp_path / "6.xml", jpk(form="V7K", month=6, declaration=declaration))

    data = read(tmp_path)
    tax = only_row(data.taxes)
    assert (tax["tax"], tax["period"], tax["amount"]) == ("VAT-7K", "2024-06", 45000)
    assert tax["due_date"] == pd.Timestamp("2024-07-25")
    assert list(data.summaries["period"]) == ["2024-04", "2024-05", "2024-06"]
    assert only_row(data.companies)["vat_period"] == "Q"


def test_a_v7k_declarations_quarter_decides_its_period(tmp_path: Path) -> None:
    declaration = JpkDeclaration(p51=10, quarter=3)
    write_jpk(tmp_path / "a.xml", jpk(form="V7K", year=2023, month=11, declaration=declaration))

    assert only_row(read(tmp_path).taxes)["period"] == "2023-09"


@pytest.mark.parametrize(
    ("form", "variant", "tax"),
    [("V7M", 1, "VAT-7"), ("V7K", 1, "VAT-7K"), ("V7M", 3, "VAT-7"), ("V7K", 3, "VAT-7K")],
)
def test_every_variant_is_read(tmp_path: Path, form: str, variant: int, tax: str) -> None:
    year = 2021 if variant == 1 else 2026
    write_jpk(
        tmp_path / "a.xml",
        jpk(form=form, variant=variant, year=year, month=3, sales=[(12345, 2839)]),
    )

    data = read(tmp_path)
    assert only_row(data.taxes)[["tax", "period", "amount"]].tolist() == [tax, f"{year}-03", 180000]
    assert only_row(data.summaries)["revenue"] == 12345


def test_first_publication_namespaces_are_read_like_the_current_ones(tmp_path: Path) -> None:
    write_jpk(tmp_path / "a.xml", jpk(namespace=FIRST_PUBLICATION[("V7M", 2)]))

    assert only_row(read(tmp_path).taxes)["amount"] == 180000


# --- records -------------------------------------------------------------------------------


def test_records_become_a_monthly_summary_in_exact_grosze(tmp_path: Path) -> None:
    sales = [(123456, 28395), (1, 0), (100000, 23000)]
    purchases = [(50001, 11500), (99, 23)]
    write_jpk(tmp_path / "a.xml", jpk(sales=sales, purchases=purchases))

    summary = only_row(read(tmp_path).summaries)
    assert summary["period"] == "2024-05"
    assert summary["revenue"] == 223457
    assert summary["costs"] == 50100
    assert summary["income"] == 173357
    assert summary["vat_output"] == 51395
    assert summary["vat_input"] == 11523
    assert pd.isna(summary["revenue_ytd"]) and pd.isna(summary["costs_ytd"])


def test_output_vat_follows_the_xsd_list_and_revenue_leaves_out_acquisitions(
    tmp_path: Path,
) -> None:
    path = write_jpk(tmp_path / "a.xml", jpk(sales=[(100000, 23000)], purchases=[(1000, 230)]))
    # intra-EU acquisition (K_23/K_24), a "w tym" subset (K_12 of K_11), K_35 subtracted
    sales_extra = {"K_11": "500.00", "K_12": "200.00", "K_23": "300.00", "K_24": "69.00"}
    insert_into_first(path, "SprzedazWiersz", {**sales_extra, "K_35": "10.00"})
    insert_into_first(path, "ZakupWiersz", {"K_40": "2000.00", "K_41": "460.00", "K_46": "-5.00"})

    summary = only_row(read(tmp_path).summaries)
    assert summary["revenue"] == 100000 + 50000
    assert summary["vat_output"] == 23000 + 6900 - 1000
    assert summary["costs"] == 1000 + 200000
    assert summary["vat_input"] == 230 + 46000 - 500


def test_fp_invoices_duplicating_receipts_are_left_out_of_the_summary(tmp_path: Path) -> None:
    path = write_jpk(tmp_path / "a.xml", jpk(sales=[(10000, 2300), (5000, 1150)]))
    text = path.read_text(encoding="utf-8")
    marker = "<tns:DataWystawienia>2024-05-02</tns:DataWystawienia>"
    path.write_text(text.replace(marker, marker + "<tns:TypDokumentu>FP</tns:TypDokumentu>"))

    summary = only_row(read(tmp_path).summaries)
    assert (summary["revenue"], summary["vat_output"]) == (10000, 2300)


def test_periods_filter_rows_but_keeps_every_company(tmp_path: Path) -> None:
    write_jpk(tmp_path / "a.xml", jpk(month=4, sales=[(1, 0)]))
    write_jpk(tmp_path / "b.xml", jpk(nip=OTHER_NIP, month=5, sales=[(1, 0)]))

    data = read(tmp_path, periods=["2024-05"])
    assert list(data.taxes["nip"]) == [OTHER_NIP]
    assert list(data.summaries["period"]) == ["2024-05"]
    assert sorted(data.companies["nip"]) == sorted([NIP, OTHER_NIP])


# --- companies -----------------------------------------------------------------------------


def test_a_persons_name_and_polish_diacritics_survive(tmp_path: Path) -> None:
    write_jpk(tmp_path / "a.xml", jpk(person=("Łucja", "Żółć-Ślęzak"), email="ł@óść.pl, "))
    write_jpk(tmp_path / "b.xml", jpk(nip=OTHER_NIP, company_name="Źródło Gęśla Spółka z o.o."))

    companies = read(tmp_path).companies.set_index("nip")
    assert companies.loc[NIP, "name"] == "Łucja Żółć-Ślęzak"
    assert companies.loc[NIP, "legal_form"] == "other"
    assert companies.loc[NIP, "email"] == "ł@óść.pl"
    assert companies.loc[OTHER_NIP, "name"] == "Źródło Gęśla Spółka z o.o."
    assert companies.loc[OTHER_NIP, "legal_form"] is None


def test_a_company_takes_the_data_of_its_newest_file(tmp_path: Path) -> None:
    write_jpk(tmp_path / "b.xml", jpk(month=1, company_name="Stara Nazwa", phone="111"))
    write_jpk(tmp_path / "a.xml", jpk(month=2, company_name="Nowa Nazwa", phone="222"))

    company = only_row(read(tmp_path).companies)
    assert (company["name"], company["phone"]) == ("Nowa Nazwa", "222")


def test_an_invalid_nip_passes_through_as_rows_without_an_account(tmp_path: Path) -> None:
    write_jpk(tmp_path / "a.xml", jpk(nip="1234567890", sales=[(100, 23)]))

    data = read(tmp_path)
    assert data.problems == []
    tax = only_row(data.taxes)
    assert (tax["nip"], tax["account"]) == ("1234567890", None)
    assert validate("taxes", data.taxes).rejected_nips == ["1234567890"]
    assert only_row(data.summaries)["nip"] == "1234567890"


def test_a_nip_with_prefix_and_separators_is_normalized(tmp_path: Path) -> None:
    write_jpk(tmp_path / "a.xml", jpk(nip="PL 526-025-02-74"))

    data = read(tmp_path)
    assert only_row(data.companies)["source_company_id"] == NIP
    assert only_row(data.taxes)["account"] == micro_account(NIP)


# --- files and bad files -------------------------------------------------------------------


def test_files_are_found_in_subfolders_whatever_the_suffix_case(tmp_path: Path) -> None:
    (tmp_path / "2024" / "05").mkdir(parents=True)
    write_jpk(tmp_path / "2024" / "05" / "JPK.XML", jpk())
    (tmp_path / "notes.txt").write_text("not a JPK")

    assert len(read(tmp_path).taxes) == 1


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE JPK [
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
<JPK>&i;</JPK>
"""


def _truncated(path: Path) -> None:
    text = write_jpk(path, jpk(nip=OTHER_NIP)).read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")


def _replace(old: str, new: str):
    def make(path: Path) -> None:
        text = write_jpk(path, jpk(nip=OTHER_NIP)).read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")

    return make


@pytest.mark.parametrize(
    ("make_bad_file", "words", "nip"),
    [
        (lambda p: p.write_text("this is not XML at all"), "not well-formed", None),
        (_truncated, "not well-formed", None),
        (
            lambda p: p.write_text("<?xml version='1.0'?><Faktura/>"),
            "root element is Faktura",
            None,
        ),
        (_replace("JPK_V7M (2)", "JPK_VAT (3)"), "JPK_VAT (3)", None),
        (_replace("tns:Podmiot1", "tns:Podmiot2"), "Podmiot1", None),
        (_replace(f"<tns:NIP>{OTHER_NIP}</tns:NIP>", ""), "has no NIP", None),
        (_replace("<tns:P_51>1800</tns:P_51>", "<tns:P_51>18OO</tns:P_51>"), "P_51", OTHER_NIP),
        (_replace("<tns:P_51>1800</tns:P_51>", "<tns:P_51>18.50</tns:P_51>"), "P_51", OTHER_NIP),
        (lambda p: p.write_text(BILLION_LAUGHS), "entities", None),
    ],
    ids=[
        "not-xml",
        "truncated",
        "foreign-xml",
        "not-a-v7-form",
        "no-podmiot1",
        "no-nip",
        "letters-in-p51",
        "fraction-in-p51",
        "billion-laughs",
    ],
)
def test_a_bad_file_is_a_problem_and_the_other_files_still_load(
    tmp_path: Path, make_bad_file, words: str, nip: str | None
) -> None:
    write_jpk(tmp_path / "good.xml", jpk())
    bad = tmp_path / "bad.xml"
    make_bad_file(bad)

    started = time.monotonic()
    data = read(tmp_path)

    assert time.monotonic() - started < 5
    assert len(data.problems) == 1
    problem = data.problems[0]
    assert (problem.program, problem.where, problem.nip) == ("jpk", str(bad), nip)
    assert words in problem.message
    assert list(data.taxes["nip"]) == [NIP]
    assert list(data.companies["nip"]) == [NIP]


def test_a_missing_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    data = read(tmp_path / "nowhere")

    assert data.taxes.empty and data.companies.empty
    assert [problem.where for problem in data.problems] == [str(tmp_path / "nowhere")]
    assert "does not exist" in data.problems[0].message


# --- generated files against the MF schemas ------------------------------------------------

XSD_FILES = {
    ("V7M", 1): "Schemat_JPK_V7M(1)_v1-2E.xsd",
    ("V7K", 1): "Schemat_JPK_V7K(1)_v1-2E.xsd",
    ("V7M", 2): "Schemat_JPK_V7M(2)_v1-0.xsd",
    ("V7K", 2): "Schemat_JPK_V7K(2)_v1-0.xsd",
}


@pytest.fixture
def etree():
    """lxml is a test-only dependency, used for XSD validation."""
    return pytest.importorskip("lxml.etree", reason="lxml (a test dependency) is not installed")


def load_schema(etree, xsd: Path):
    """The MF schema with its remote imports (crd.gov.pl) mapped to the files beside it."""

    class LocalFiles(etree.Resolver):
        def resolve(self, url, public_id, context):
            return self.resolve_filename(str(xsd.parent / url.rsplit("/", 1)[-1]), context)

    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(LocalFiles())
    return etree.XMLSchema(etree.parse(str(xsd), parser))


@pytest.mark.parametrize(("form", "variant"), sorted(XSD_FILES))
@pytest.mark.parametrize("person", [None, ("Łucja", "Żółć")])
def test_generated_files_validate_against_the_mf_schema(
    samples_dir: Path,
    tmp_path: Path,
    etree,
    form: str,
    variant: int,
    person: tuple[str, str] | None,
) -> None:
    schema = load_schema(etree, samples_dir / "jpk" / XSD_FILES[(form, variant)])
    declaration = JpkDeclaration(
        p19=1000, p20=230, p37=1000, p38=230, p42=100, p43=23, p48=23, p51=207, p54=0, p62=0
    )
    path = write_jpk(
        tmp_path / "a.xml",
        jpk(
            form=form,
            variant=variant,
            year=2021 if variant == 1 else 2023,
            person=person,
            phone="600100200",
            namespace=FIRST_PUBLICATION.get((form, variant)),
            declaration=declaration,
            sales=[(100000, 23000)],
            purchases=[(10000, 2300)],
            correction=True,
        ),
    )

    assert schema.validate(etree.parse(str(path))), schema.error_log


def test_the_schema_check_accepts_the_samples_and_rejects_a_broken_file(
    samples_dir: Path, tmp_path: Path, etree
) -> None:
    schema = load_schema(etree, samples_dir / "jpk" / XSD_FILES[("V7M", 2)])
    sample = samples_dir / "jpk" / "jpk_v7m2_valid_deklaracja_osoba_fizyczna.xml"
    broken = tmp_path / "broken.xml"
    broken.write_text(sample.read_text(encoding="utf-8").replace("P_51", "P_99"), encoding="utf-8")

    assert schema.validate(etree.parse(str(sample))), schema.error_log
    assert not schema.validate(etree.parse(str(broken)))
