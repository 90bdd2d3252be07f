"""The panel learns how each company's last sync went, and new clients get their accounts.

Each run's outcome per company and data type is also left on the sink's materialization, with
counts the Dagster UI plots run after run.

A whole sync (`run_sync`, the job the CLI and the UI run) over a small office of JPK and KEDU
files uploads to the embedded panel. A company whose upload fails is marked on the office's
company list with the reason; the mark goes when a later sync succeeds; an unchanged office
still costs exactly two panel requests. With `clients.create_accounts` on, every new client
with an e-mail address gets an account and its activation link by e-mail (a real aiosmtpd
server on 127.0.0.1), once.
"""

import re
import shutil
import socket
from pathlib import Path

import dagster as dg
import httpx
import pytest
import yaml

from konekto_pipeline.cli import _instance, run_sync
from konekto_pipeline.demo import create_demo_office
from konekto_pipeline.panel.auth import PanelAuth
from konekto_pipeline.panel.client import PanelClient, PanelError
from konekto_pipeline.panel.contract import Company, InviteRequest, SyncState
from konekto_pipeline.panel.server import PanelThread
from konekto_pipeline.panel.storage import PanelStorage
from konekto_pipeline.settings import SettingsError, load_settings, parse_settings
from konekto_pipeline_tests.test_panel_web import Mailbox, mailbox  # noqa: F401 (fixture)

LAST = "2026-06"
PANEL_URL = "https://panel.biuro-demo.pl"


def _office(tmp_path: Path, **extra: object) -> Path:
    """JPK and KEDU files of three demo clients and a settings file for them."""
    demo = create_demo_office(tmp_path / "demo", companies=3, last_period=LAST, month_count=1)
    for folder in ("jpk", "kedu"):
        shutil.copytree(demo.folder / folder, tmp_path / folder)
    settings = {
        "programs": {"jpk": {"folder": "jpk"}, "kedu": {"folder": "kedu"}},
        "panel": {"database": "panel.sqlite"},
        **extra,
    }
    path = tmp_path / "konekto.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


def _uploaded(report) -> list[str]:
    return sorted(o["nip"] for o in report.outcomes if o["status"] == "uploaded")


def _rewrite(path: Path, **changes: object) -> None:
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump({**settings, **changes}, allow_unicode=True), encoding="utf-8")


def _listing(database: Path) -> dict:
    with PanelThread(f"sqlite:///{database}") as panel, PanelClient(panel.url) as client:
        return {company.nip: company for company in client.companies()}


def _company_list_page(database: Path) -> str:
    """The office's company list, as a logged-in office user gets it."""
    url = f"sqlite:///{database}"
    storage = PanelStorage(url)
    auth = PanelAuth(storage)
    if auth.user_by_name("anna") is None:
        auth.create_office_user("anna", "Księgowa-Anna-2026")
    storage.dispose()
    with PanelThread(url) as panel, httpx.Client(base_url=panel.url) as http:
        form = http.get("/logowanie").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        http.post("/logowanie", data={"login": "anna", "haslo": "Księgowa-Anna-2026", "csrf": csrf})
        return http.get("/").text


def test_a_failed_company_is_marked_until_a_sync_succeeds_and_idle_runs_stay_cheap(tmp_path):
    settings = _office(tmp_path)
    first = run_sync(settings, LAST, LAST)
    broken, *others = _uploaded(first)
    assert first.success and others
    # the two listings, a company and its items for each, and one report of the new states
    assert first.panel_requests == 2 + 2 * (len(others) + 1) + 1
    assert _listing(tmp_path / "panel.sqlite")[broken].sync_status == "ok"

    _rewrite(settings, companies={broken: {"name": "X" * 600}})  # beyond the contract
    failed = run_sync(settings, LAST, LAST)
    outcome = next(o for o in failed.outcomes if o["nip"] == broken)
    assert outcome["status"] == "failed"
    assert failed.panel_requests == 3  # digests, companies, and the one sync-state report
    listed = _listing(tmp_path / "panel.sqlite")
    assert listed[broken].sync_status == "failed"
    assert "name" in listed[broken].sync_reason
    assert {listed[nip].sync_status for nip in others} == {"ok"}

    page = _company_list_page(tmp_path / "panel.sqlite")
    row = re.search(rf'<tr class="failed" data-nip="{broken}">(.*?)</tr>', page, re.S)
    assert row is not None and "błąd synchronizacji" in row.group(1)
    assert "Ostatnia synchronizacja nie powiodła się dla 1 firmy." in page

    _rewrite(settings, companies={})
    fixed = run_sync(settings, LAST, LAST)
    assert fixed.panel_requests == 3  # its items were already there: only the "ok" report
    assert _listing(tmp_path / "panel.sqlite")[broken].sync_status == "ok"
    assert "błąd synchronizacji" not in _company_list_page(tmp_path / "panel.sqlite")

    idle = run_sync(settings, LAST, LAST)
    assert idle.panel_requests == 2

    runs = _sink_metadata(settings)
    assert [runs[r.run_id]["companies_failed"] for r in (first, failed, fixed, idle)] == [
        0,
        1,
        0,
        0,
    ]
    assert runs[first.run_id]["companies_uploaded"] == len(others) + 1
    assert runs[idle.run_id]["companies_unchanged"] == len(others) + 1
    assert runs[failed.run_id]["taxes_failed"] == 1
    assert runs[failed.run_id]["zus_unchanged"] == len(others)
    by_type = {(row["nip"], row["data_type"]): row for row in runs[failed.run_id]["by_type"]}
    assert {by_type[(broken, t)]["status"] for t in ("zus", "taxes", "summaries")} == {"failed"}
    assert "name" in by_type[(broken, "taxes")]["reason"]


def test_a_company_that_failed_before_the_panel_knew_it_is_cleared_once_it_arrives(tmp_path):
    settings = _office(tmp_path)
    probe = run_sync(settings, LAST, LAST, nips=None)
    newcomer = _uploaded(probe)[0]
    (tmp_path / "panel.sqlite").unlink()  # an office whose panel has not seen the company yet

    _rewrite(settings, companies={newcomer: {"name": "X" * 600}})
    run_sync(settings, LAST, LAST)
    assert newcomer not in _listing(tmp_path / "panel.sqlite")
    assert f"NIP {newcomer[:3]}-" in _company_list_page(tmp_path / "panel.sqlite")

    _rewrite(settings, companies={})
    run_sync(settings, LAST, LAST)
    assert _listing(tmp_path / "panel.sqlite")[newcomer].sync_status == "ok"
    page = _company_list_page(tmp_path / "panel.sqlite")
    assert "Nie udało się przesłać" not in page and "błąd synchronizacji" not in page


def _sink_metadata(settings: Path) -> dict[str, dict]:
    """The numbers and per-type table each run left on the sink's materializations."""
    instance = _instance(load_settings(settings))
    records = instance.fetch_materializations(dg.AssetKey("konektosmart"), limit=100).records
    runs = {}
    for record in records:
        metadata = record.asset_materialization.metadata
        numbers = {
            key: value.value for key, value in metadata.items() if isinstance(value.value, int)
        }
        runs[record.run_id] = {**numbers, "by_type": metadata["outcome_by_type"].value}
    return runs


def test_new_clients_get_an_account_and_one_activation_email(tmp_path, mailbox):  # noqa: F811
    box, smtp = mailbox
    notifications = {"email": smtp.model_dump(mode="json"), "panel_url": PANEL_URL}
    settings = _office(tmp_path, clients={"create_accounts": True}, notifications=notifications)
    first = run_sync(settings, LAST, LAST)
    companies = _uploaded(first)
    assert first.success and companies
    assert sorted(o["nip"] for o in first.outcomes if o["invited"]) == companies

    recipients = sorted(rcpt for rcpts, _ in box.messages for rcpt in rcpts)
    assert recipients == sorted(f"kontakt{nip[-4:]}@example.pl" for nip in companies)
    _, message = box.messages[0]
    text = message.get_body(("plain",)).get_content()
    assert f"{PANEL_URL}/aktywacja?token=" in text
    listing = _listing(tmp_path / "panel.sqlite")
    assert {listing[nip].client_account for nip in companies} == {"invited"}

    again = run_sync(settings, LAST, LAST)
    assert again.panel_requests == 2
    assert len(box.messages) == len(companies)

    storage = PanelStorage(f"sqlite:///{tmp_path / 'panel.sqlite'}")
    auth = PanelAuth(storage)
    auth.disable(auth.users(companies[0])[0].id)  # the office shut one client out
    storage.dispose()
    after = run_sync(settings, LAST, LAST)
    assert after.panel_requests == 2 and len(box.messages) == len(companies)
    assert _listing(tmp_path / "panel.sqlite")[companies[0]].client_account == "disabled"


def test_an_activation_email_that_could_not_go_out_is_sent_by_a_later_run(
    tmp_path,
    mailbox,  # noqa: F811
):
    box, smtp = mailbox
    down = smtp.model_copy(update={"port": _closed_port(), "timeout_seconds": 2})
    notifications = {"email": down.model_dump(mode="json"), "panel_url": PANEL_URL}
    settings = _office(tmp_path, clients={"create_accounts": True}, notifications=notifications)
    first = run_sync(settings, LAST, LAST)
    companies = _uploaded(first)
    assert all(
        "activation e-mail was not sent" in o["reason"] for o in first.outcomes if o["invited"]
    )
    listing = _listing(tmp_path / "panel.sqlite")
    assert {listing[nip].client_account for nip in companies} == {"not_sent"}
    assert {listing[nip].sync_status for nip in companies} == {"warning"}

    up = {"email": smtp.model_dump(mode="json"), "panel_url": PANEL_URL}
    _rewrite(settings, notifications=up)
    second = run_sync(settings, LAST, LAST)
    assert sorted(rcpt for rcpts, _ in box.messages for rcpt in rcpts) == sorted(
        f"kontakt{nip[-4:]}@example.pl" for nip in companies
    )
    listing = _listing(tmp_path / "panel.sqlite")
    assert {listing[nip].client_account for nip in companies} == {"invited"}
    assert {listing[nip].sync_status for nip in companies} == {"ok"}
    assert second.success and run_sync(settings, LAST, LAST).panel_requests == 2


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_api_records_states_and_invites_only_once(tmp_path, mailbox):  # noqa: F811
    from konekto_pipeline.panel.notify import EmailSender, Notifier

    box, smtp = mailbox
    notifier = Notifier("Biuro", email=EmailSender(smtp), panel_url=PANEL_URL)
    company = Company(nip="6762725437", name="Zakład Łukasz Żółć", email="jan@example.pl")
    no_email = Company(nip="6310023582", name="Piekarnia Źdźbło")
    url = f"sqlite:///{tmp_path / 'panel.sqlite'}"
    with PanelThread(url, notifier=notifier) as panel, PanelClient(panel.url) as client:
        client.upsert_company(company)
        client.upsert_company(no_email)
        failed = SyncState(nip=company.nip, status="failed", reason="taxes: 422", run_id="r1")
        assert client.record_sync_states([failed]) == 1
        listed = {c.nip: c for c in client.companies()}
        assert (listed[company.nip].sync_status, listed[company.nip].sync_reason) == (
            "failed",
            "taxes: 422",
        )
        assert listed[company.nip].company() == company

        first = client.invite(company.nip, InviteRequest(by="konekto-pipeline"))
        assert (first.status, first.login, first.emailed) == ("invited", "jan@example.pl", True)
        second = client.invite(company.nip, InviteRequest(by="konekto-pipeline"))
        assert second.status == "exists" and len(box.messages) == 1
        with pytest.raises(PanelError) as refused:
            client.invite(no_email.nip, InviteRequest(by="konekto-pipeline"))
        assert refused.value.status == 409 and "e-mail" in refused.value.message

        # one owner of two companies, and an e-mail field with two addresses
        sister = Company(nip="5260250274", name="Tartak Żółć", email="jan@example.pl")
        two = Company(nip="1234563218", name="Sklep", email="ewa@example.pl; biuro@example.pl")
        client.upsert_company(sister)
        client.upsert_company(two)
        assert client.invite(sister.nip, InviteRequest(by="p")).login == sister.nip
        assert client.invite(two.nip, InviteRequest(by="p")).login == "ewa@example.pl"
        sent = box.messages[-2][1].get_body(("plain",)).get_content()
        assert f"Login do panelu: {sister.nip}" in sent
        history = client.history(company.nip)
    assert [e.action for e in history.events][:2] == ["invite", "sync"]


def test_an_invite_without_the_panels_address_is_refused(tmp_path):
    company = Company(nip="6762725437", name="Zakład", email="jan@example.pl")
    with PanelThread(f"sqlite:///{tmp_path / 'p.sqlite'}") as panel, PanelClient(panel.url) as c:
        c.upsert_company(company)
        with pytest.raises(PanelError, match="panel_url") as refused:
            c.invite(company.nip, InviteRequest(by="konekto-pipeline"))
    assert refused.value.status == 409


def test_creating_accounts_needs_an_smtp_server_and_the_panels_address():
    with pytest.raises(SettingsError, match="clients.create_accounts needs"):
        parse_settings(
            {"panel": {"database": "p"}, "clients": {"create_accounts": True}}, Path(".")
        )


def test_an_api_token_made_in_the_panel_does_not_shut_out_the_embedded_sync(tmp_path):
    settings = _office(tmp_path)
    assert run_sync(settings, LAST, LAST).success
    storage = PanelStorage(f"sqlite:///{tmp_path / 'panel.sqlite'}")
    PanelAuth(storage).create_api_token("pipeline w biurze")  # the API now wants a token
    storage.dispose()

    again = run_sync(settings, LAST, LAST)
    assert again.success, again.errors
    assert again.panel_requests == 2


def test_without_email_or_sms_the_office_is_told_the_summary_was_only_recorded(tmp_path):
    settings = _office(tmp_path)
    first = run_sync(settings, LAST, LAST)
    nip = _uploaded(first)[0]
    url = f"sqlite:///{tmp_path / 'panel.sqlite'}"
    storage = PanelStorage(url)
    PanelAuth(storage).create_office_user("anna", "Księgowa-Anna-2026")
    storage.dispose()
    with PanelThread(url) as panel, httpx.Client(base_url=panel.url) as http:
        form = http.get("/logowanie").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        http.post("/logowanie", data={"login": "anna", "haslo": "Księgowa-Anna-2026", "csrf": csrf})
        csrf = re.search(r'name="csrf" value="([^"]+)"', http.get(f"/firma/{nip}").text).group(1)
        approve = {"csrf": csrf, "okres": LAST, "typ": ["zus", "taxes"], "typ_widoku": "zus"}
        answer = http.post(f"/firma/{nip}/zatwierdz", data={**approve, "wyslij": "1"})
        page = http.get(answer.headers["location"]).text
    assert "nie wysłano go klientowi" in page
    assert "Podsumowanie wysłano klientowi" not in page
