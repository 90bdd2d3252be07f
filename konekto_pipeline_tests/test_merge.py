"""The NIP merge: which name a client gets and which program supplies each data type.

The same client often lives in several programs; these tests pin the rules an office relies on:
the default source order, per-company overrides, "do not update", name conflicts and how the
settings settle them, superseding declarations, and that a bad company is set aside with its
reason while the others go on.
"""

from datetime import datetime

import pandas as pd
import pytest

from konekto_pipeline.merge import merge_companies, merge_data
from konekto_pipeline.settings import parse_settings
from konekto_pipeline.sources.base import SourceData, refuse_repeated_nips

NIP_A = "5260250274"
NIP_B = "7831916366"
BAD_NIP = "5213870274"  # fails the checksum


def settings(**overrides):
    return parse_settings({"panel": {"database": "panel.sqlite"}, **overrides}, base_dir=".")


def companies_frame(source: str, rows: list[tuple[str, str]], **extra) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": source,
            "source_company_id": [nip for nip, _ in rows],
            "nip": [nip for nip, _ in rows],
            "name": [name for _, name in rows],
            "regon": None,
            "email": None,
            "phone": None,
            "legal_form": extra.get("legal_form"),
            "tax_form": None,
            "vat_period": None,
        }
    )


def zus_frame(source: str, rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["nip", "period", "declaration_no", "total"])
    zeros = pd.Series(0, index=frame.index, dtype="int64")
    return frame.assign(
        source=source,
        source_company_id=frame["nip"],
        kind=["D" if n == 1 else "K" for n in frame["declaration_no"]],
        social=frame["total"],
        health=zeros,
        labour_fund=zeros,
        fep=zeros,
        deductions=zeros,
        refund=zeros,
        due_date=pd.Series([datetime(2026, 7, 20)] * len(frame), dtype="datetime64[ns]"),
        account=None,
    ).astype({"declaration_no": "int64", "total": "int64"})


def test_default_order_takes_zus_from_kedu_and_taxes_from_jpk():
    merged = merge_companies(
        {
            "jpk": companies_frame("jpk", [(NIP_A, "Alfa")]),
            "kedu": companies_frame("kedu", [(NIP_A, "ALFA")]),
        },  # fmt: skip
        settings(),
    ).frame
    row = merged.set_index("nip").loc[NIP_A]
    assert (row.zus_source, row.taxes_source, row.summaries_source) == ("kedu", "jpk", "jpk")
    assert row.programs == "jpk,kedu"
    assert not row.name_conflict  # the same name in capitals is not a conflict


def test_a_company_in_one_program_gets_only_what_that_program_has():
    merged = merge_companies({"kedu": companies_frame("kedu", [(NIP_B, "Beta")])}, settings())
    row = merged.frame.set_index("nip").loc[NIP_B]
    assert (row.zus_source, row.taxes_source) == ("kedu", None)


def test_different_names_are_a_conflict_until_the_settings_name_the_company():
    frames = {
        "jpk": companies_frame("jpk", [(NIP_A, "Piekarnia Łączka sp. z o.o.")]),
        "kedu": companies_frame("kedu", [(NIP_A, "PHU ŁĄCZKA")]),
    }
    unsettled = merge_companies(frames, settings()).frame.set_index("nip").loc[NIP_A]
    assert unsettled.name_conflict
    assert unsettled["name"] == "Piekarnia Łączka sp. z o.o."  # the taxes program's name wins
    assert unsettled.names == "Piekarnia Łączka sp. z o.o. | PHU ŁĄCZKA"

    office = settings(companies={NIP_A: {"name": "Piekarnia Łączka"}})
    settled = merge_companies(frames, office).frame.set_index("nip").loc[NIP_A]
    assert not settled.name_conflict
    assert settled["name"] == "Piekarnia Łączka"


def test_a_platnik_short_name_cut_at_31_characters_is_not_a_conflict():
    full = "Przedsiębiorstwo Handlowo-Usługowe Gęś sp. z o.o."
    frames = {
        "jpk": companies_frame("jpk", [(NIP_A, full)]),
        "kedu": companies_frame("kedu", [(NIP_A, full.upper()[:31])]),
    }
    assert not merge_companies(frames, settings()).frame.loc[0, "name_conflict"]


def test_overrides_choose_a_program_or_do_not_update():
    frames = {
        "jpk": companies_frame("jpk", [(NIP_A, "Alfa")]),
        "kedu": companies_frame("kedu", [(NIP_A, "Alfa")]),
    }
    office = settings(companies={NIP_A: {"sources": {"zus": "do_not_update", "summaries": "jpk"}}})
    row = merge_companies(frames, office).frame.set_index("nip").loc[NIP_A]
    assert (row.zus_source, row.summaries_source) == (None, "jpk")


def test_an_invalid_nip_is_rejected_with_its_reason_and_the_others_are_merged():
    merged = merge_companies(
        {"jpk": companies_frame("jpk", [(NIP_A, "Alfa"), (BAD_NIP, "Zła Firma")])}, settings()
    )
    status = merged.frame.set_index("nip")["status"].to_dict()
    assert status == {NIP_A: "ok", BAD_NIP: "rejected"}
    rejected = merged.frame.set_index("nip").loc[BAD_NIP]
    assert "NIP" in rejected.reason and rejected["name"] == "Zła Firma"


def test_merged_zus_keeps_the_highest_declaration_of_the_chosen_program():
    companies = merge_companies(
        {"kedu": companies_frame("kedu", [(NIP_A, "Alfa"), (NIP_B, "Beta")])}, settings()
    ).frame
    rows = [
        (NIP_A, "2026-06", 1, 100_00),
        (NIP_A, "2026-06", 3, 130_00),
        (NIP_A, "2026-06", 2, 120_00),
        (NIP_B, "2026-06", 1, 50_00),
    ]
    zus = zus_frame("kedu", rows)
    merged = merge_data("zus", {"kedu": zus}, companies, settings()).frame.set_index("nip")
    assert merged.loc[NIP_A, "declaration_no"] == 3
    assert merged.loc[NIP_A, "total"] == 130_00
    assert merged.loc[NIP_B, "total"] == 50_00


@pytest.mark.parametrize(
    ("legal_form", "expected_due"),
    [(None, "2026-07-20"), ("legal_person", "2026-07-15"), ("budget_unit", "2026-07-06")],
)
def test_zus_due_date_follows_the_legal_form_set_in_the_settings(legal_form, expected_due):
    overrides = {NIP_A: {"legal_form": legal_form}} if legal_form else {}
    office = settings(companies=overrides)
    companies = merge_companies({"kedu": companies_frame("kedu", [(NIP_A, "Alfa")])}, office).frame
    zus = zus_frame("kedu", [(NIP_A, "2026-06", 1, 100_00)])
    merged = merge_data("zus", {"kedu": zus}, companies, office).frame
    assert merged.loc[0, "due_date"] == pd.Timestamp(expected_due)


def test_zus_account_comes_only_from_the_settings():
    nrs = "46600000020260016762725437"
    nip = "6762725437"
    office = settings(companies={nip: {"zus_account": "46 6000 0002 0260 0167 6272 5437"}})
    companies = merge_companies({"kedu": companies_frame("kedu", [(nip, "Gamma")])}, office).frame
    merged = merge_data("zus", {"kedu": zus_frame("kedu", [(nip, "2026-06", 1, 1)])}, companies,
                        office).frame  # fmt: skip
    assert merged.loc[0, "account"] == nrs


def test_rows_of_a_program_not_chosen_for_the_company_are_left_out():
    companies = merge_companies(
        {"kedu": companies_frame("kedu", [(NIP_A, "Alfa")])},
        settings(companies={NIP_A: {"sources": {"zus": "do_not_update"}}}),
    ).frame
    zus = zus_frame("kedu", [(NIP_A, "2026-06", 1, 100_00)])
    assert merge_data("zus", {"kedu": zus}, companies, settings()).frame.empty


def _two_owners(second_period: str) -> SourceData:
    from konekto_pipeline.schemas import schema_frame

    def company(company_id: str) -> dict:
        return {"source": "buchalter", "source_company_id": company_id, "nip": "5260250274",
                "name": f"Firma {company_id}"}  # fmt: skip

    def summary(company_id: str, month: str) -> dict:
        return {"source": "buchalter", "source_company_id": company_id, "nip": "5260250274",
                "period": month, "revenue": 100, "costs": 0, "income": 100}  # fmt: skip

    return SourceData(
        companies=schema_frame("companies", [company("FIRMA1"), company("FIRMA2")]),
        summaries=schema_frame(
            "summaries", [summary("FIRMA1", "2026-01"), summary("FIRMA2", second_period)]
        ),
    )


def test_a_nip_two_companies_of_one_program_share_for_the_same_month_is_not_sent():
    data = refuse_repeated_nips(_two_owners("2026-01"), "buchalter")

    assert data.companies.empty and data.summaries.empty
    assert [(p.nip, p.where) for p in data.problems] == [("5260250274", "FIRMA1, FIRMA2")]


def test_companies_of_one_nip_with_different_months_are_complementary():
    data = refuse_repeated_nips(_two_owners("2026-02"), "buchalter")

    assert len(data.summaries) == 2 and data.problems == []
