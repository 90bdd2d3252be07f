"""The whole `sync` job, in process, from real files to a real panel server on 127.0.0.1.

These are the promises an office relies on: every valid company reaches the panel with the right
amounts, due dates and accounts; a bad company or file is reported and does not stop the others;
a second run sends nothing; `--nip` updates only the chosen companies; approval works; a token
stays secret; a panel that is down loses nothing.
"""

import json
import shutil
from pathlib import Path

import pytest
import yaml

from konekto_pipeline.cli import main, run_sync
from konekto_pipeline.demo import create_demo_office
from konekto_pipeline.panel.server import PanelThread, dump

LAST = "2026-06"
FIRST = "2026-04"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    office = create_demo_office(tmp_path_factory.mktemp("office"), companies=8, last_period=LAST)
    first = run_sync(office.settings_path, FIRST, LAST)
    second = run_sync(office.settings_path, FIRST, LAST)
    return office, first, second


def _items(database: Path) -> list[dict]:
    return list(dump(f"sqlite:///{database}"))


def _outcome(report, nip: str) -> dict:
    return next(o for o in report.outcomes if o["nip"] == nip)


def _write_settings(folder: Path, **settings) -> Path:
    path = folder / "konekto.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


def test_demo_office_reaches_the_panel_except_the_company_with_a_bad_nip(demo):
    office, first, _ = demo
    assert first.success, first.errors
    invalid = office.companies[-1]
    assert _outcome(first, invalid.nip)["status"] == "rejected"
    assert "NIP" in _outcome(first, invalid.nip)["reason"]
    valid = [company.nip for company in office.companies[:-1]]
    assert {_outcome(first, nip)["status"] for nip in valid} == {"uploaded"}
    stored_nips = {item["nip"] for item in _items(office.panel_database)}
    assert stored_nips == set(valid)


def test_broken_file_is_named_and_the_other_files_still_load(demo):
    office, first, _ = demo
    assert any("JPK_V7_przerwany.xml" in problem for problem in first.problems)
    taxes = [item for item in _items(office.panel_database) if item["data_type"] == "taxes"]
    assert len({item["nip"] for item in taxes}) >= 5


def test_second_sync_sends_nothing_and_panel_holds_each_item_once(demo):
    office, first, second = demo
    assert second.success
    assert sum(o["uploaded"] for o in second.outcomes) == 0
    assert {o["status"] for o in second.outcomes} <= {"unchanged", "rejected"}
    assert second.panel_requests == 2  # one digest listing, one company listing
    items = _items(office.panel_database)
    keys = [(i["nip"], i["data_type"], i["period"], i["tax"]) for i in items]
    assert len(keys) == len(set(keys)) == sum(o["uploaded"] for o in first.outcomes)


def test_zus_due_date_follows_the_legal_form_and_account_comes_from_settings(demo):
    office, _, _ = demo
    items = _items(office.panel_database)
    legal_person = next(c for c in office.companies if c.legal_form == "legal_person")
    person = next(c for c in office.companies if c.person and c.in_kedu)
    zus = {(i["nip"], i["period"]): i for i in items if i["data_type"] == "zus"}
    assert zus[(legal_person.nip, "2026-06")]["due_date"] == "2026-07-15"
    assert zus[(legal_person.nip, "2026-06")]["account"][-10:] == legal_person.nip
    assert zus[(person.nip, "2026-06")]["due_date"] == "2026-07-20"
    assert zus[(person.nip, "2026-06")]["account"] is None


def test_zus_correction_supersedes_the_first_declaration(demo):
    office, _, _ = demo
    corrected = [i for i in _items(office.panel_database) if i["data_type"] == "zus"
                 and i["period"] == FIRST and i["details"]["declaration_no"] == 2]  # fmt: skip
    assert len(corrected) == 1
    assert corrected[0]["kind"] == "K"


def test_jpk_correction_supersedes_the_filing_and_quarterly_vat_belongs_to_its_quarter(demo):
    office, _, _ = demo
    taxes = [i for i in _items(office.panel_database) if i["data_type"] == "taxes"]
    corrected = [i for i in taxes if i["nip"] == office.companies[1].nip and i["period"] == LAST]
    assert [i["kind"] for i in corrected] == ["K"]
    quarterly = [i for i in taxes if i["nip"] == office.companies[2].nip]
    assert [(i["tax"], i["period"], i["due_date"]) for i in quarterly] == [
        ("VAT-7K", "2026-06", "2026-07-27")  # 25 July 2026 is a Saturday
    ]


def test_name_conflict_is_reported(demo):
    office, first, _ = demo
    conflicted = office.companies[1]
    assert [c["nip"] for c in first.name_conflicts] == [conflicted.nip]


def test_public_samples_sync_with_exact_amounts_due_dates_and_accounts(samples_dir, tmp_path):
    settings = _write_settings(
        tmp_path,
        programs={
            "jpk": {"folder": str(samples_dir / "jpk")},
            "kedu": {"folder": str(samples_dir / "kedu")},
        },  # fmt: skip
        panel={"database": "panel.sqlite"},
    )
    report = run_sync(settings, "2020-09", "2025-12")
    assert report.success, report.errors
    items = {(i["nip"], i["data_type"], i["period"], i["tax"]): i
             for i in _items(tmp_path / "panel.sqlite")}  # fmt: skip
    vat = items[("7018631981", "taxes", "2020-09", "VAT-7")]
    assert (vat["amount"], vat["due_date"]) == (12400, "2020-10-26")
    assert vat["account"] == "90101000712222701863198100"
    assert items[("7018631981", "taxes", "2022-02", "VAT-7")]["due_date"] == "2022-03-25"
    assert items[("7018631981", "taxes", "2022-03", "VAT-7K")]["due_date"] == "2022-04-25"
    zus = items[("7680002466", "zus", "2025-12", None)]
    assert (zus["amount"], zus["due_date"], zus["account"]) == (147632, "2026-01-20", None)
    assert zus["details"]["social"] == 147632


def test_nip_option_updates_only_the_selected_company(tmp_path):
    office = create_demo_office(tmp_path, companies=5, last_period=LAST, month_count=1)
    chosen = office.companies[0].nip
    report = run_sync(office.settings_path, LAST, LAST, nips=[chosen])
    assert [o["nip"] for o in report.outcomes] == [chosen]
    assert {item["nip"] for item in _items(office.panel_database)} == {chosen}


def test_approve_marks_items_and_a_changed_item_needs_approval_again(tmp_path):
    office = create_demo_office(tmp_path, companies=4, last_period=LAST, month_count=1)
    first = run_sync(office.settings_path, LAST, LAST, approve=True)
    assert all(o["approved"] == o["uploaded"] for o in first.outcomes if o["status"] == "uploaded")
    assert all(item["approved"] for item in _items(office.panel_database))

    kedu_file = office.folder / "kedu" / f"DRA_{LAST}.xml"
    text = kedu_file.read_text(encoding="utf-8")
    kedu_file.write_text(text.replace("<p3>1.67</p3>", "<p3>1.80</p3>"), encoding="utf-8")
    changed = _change_first_jpk_amount(office.folder / "jpk")
    run_sync(office.settings_path, LAST, LAST)
    unapproved = [i for i in _items(office.panel_database) if not i["approved"]]
    assert [(i["nip"], i["data_type"]) for i in unapproved] == [(changed, "taxes")]


def _change_first_jpk_amount(folder: Path) -> str:
    corrected = {path.name.split("_")[2] for path in folder.glob("JPK_V7_*_k.xml")}
    path = next(
        path
        for path in sorted(folder.glob("JPK_V7_*_2026-06.xml"))
        if path.name.split("_")[2] not in corrected
    )
    text = path.read_text(encoding="utf-8")
    start = text.index("P_51>") + len("P_51>")
    end = text.index("<", start)
    path.write_text(text[:start] + str(int(text[start:end]) + 100) + text[end:], encoding="utf-8")
    return path.name.split("_")[2]


def test_panel_url_with_token_from_environment_never_shows_the_token(tmp_path, monkeypatch):
    secret = "s3cret-token-do-not-log"
    jpk = tmp_path / "jpk"
    shutil.copytree(create_demo_office(tmp_path / "src", 3, LAST, 1).folder / "jpk", jpk)
    with PanelThread(f"sqlite:///{tmp_path / 'remote.sqlite'}", token=secret) as panel:
        settings = _write_settings(
            tmp_path, programs={"jpk": {"folder": "jpk"}}, panel={"url": panel.url}
        )
        monkeypatch.setenv("KONEKTO_PANEL_TOKEN", secret)
        report = run_sync(settings, LAST, LAST)
        assert report.success, report.errors
        monkeypatch.setenv("KONEKTO_PANEL_TOKEN", "wrong-token")
        refused = run_sync(settings, LAST, LAST)
    assert {o["status"] for o in report.outcomes} == {"uploaded", "rejected"}
    assert not refused.success
    assert secret not in json.dumps(report.__dict__ | refused.__dict__, default=str)
    assert "wrong-token" not in json.dumps(refused.__dict__, default=str)


def test_panel_down_fails_the_run_and_the_next_run_sends_everything(tmp_path):
    office = create_demo_office(tmp_path, companies=3, last_period=LAST, month_count=1)
    settings = yaml.safe_load(office.settings_path.read_text(encoding="utf-8"))
    settings["panel"] = {"url": "http://127.0.0.1:9", "timeout_seconds": 1}
    down = _write_settings(office.folder, **settings)
    failed = run_sync(down, LAST, LAST)
    assert not failed.success
    assert any("konektosmart" in e and "panel not reachable" in e for e in failed.errors)

    settings["panel"] = {"database": "panel.sqlite"}
    up = _write_settings(office.folder, **settings)
    report = run_sync(up, LAST, LAST)
    assert sum(o["uploaded"] for o in report.outcomes) == len(_items(office.panel_database)) > 0


def test_cli_sync_and_dump_print_the_table_and_json_lines(tmp_path, capsys):
    office = create_demo_office(tmp_path, companies=3, last_period=LAST, month_count=1)
    args = ["sync", "--settings", str(office.settings_path), "--from", LAST, "--to", LAST]
    assert main(args) == 0
    assert "uploaded" in capsys.readouterr().out
    assert main(["panel", "dump", "--db", str(office.panel_database)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    required = {"nip", "data_type", "period", "tax", "kind", "amount", "due_date", "account",
                "approved"}  # fmt: skip
    assert lines and all(required <= set(line) for line in lines)
    assert all(isinstance(line["amount"], int) for line in lines)


def test_cli_rejects_bad_settings_naming_the_key(tmp_path, capsys):
    path = _write_settings(tmp_path, programs={"jpk": {"folderr": "x"}}, panel={"database": "p"})
    assert main(["sync", "--settings", str(path)]) == 2
    assert "programs.jpk.folder" in capsys.readouterr().err


def test_cli_rejects_an_invalid_nip_option(tmp_path, capsys):
    office = create_demo_office(tmp_path, companies=2, last_period=LAST, month_count=1)
    assert main(["sync", "--settings", str(office.settings_path), "--nip", "1234567890"]) == 2
    assert "1234567890" in capsys.readouterr().err


def test_a_missing_program_folder_fails_the_run_instead_of_syncing_without_it(tmp_path):
    office = create_demo_office(tmp_path, companies=3, last_period=LAST, month_count=1)
    shutil.rmtree(office.folder / "jpk")
    report = run_sync(office.settings_path, LAST, LAST)
    assert not report.success
    assert any("programs.jpk.folder" in error for error in report.errors)
    assert not office.panel_database.exists() or _items(office.panel_database) == []


def test_a_nip_that_is_no_client_is_reported_as_not_found(tmp_path):
    office = create_demo_office(tmp_path, companies=2, last_period=LAST, month_count=1)
    report = run_sync(office.settings_path, LAST, LAST, nips=["5260250274"])
    assert [(o["nip"], o["status"]) for o in report.outcomes] == [("5260250274", "not found")]


def test_cli_explains_a_directory_given_as_settings_and_a_file_that_is_no_panel(tmp_path, capsys):
    assert main(["sync", "--settings", str(tmp_path)]) == 2
    assert "cannot read the settings file" in capsys.readouterr().err
    not_a_db = tmp_path / "konekto.yaml"
    not_a_db.write_text("panel: {database: p}\n", encoding="utf-8")
    assert main(["panel", "dump", "--db", str(not_a_db)]) == 2
    assert "is not a panel database" in capsys.readouterr().err
