"""The office manages the panel's users and API tokens from its pages.

Everything runs against the real panel served by uvicorn on 127.0.0.1 (the fixtures of
test_panel_web): office staff add a colleague, disable and re-enable accounts, send a client a
new activation link (by SMTP to a real aiosmtpd server), and create and revoke the pipeline's API
tokens, which are then tried against the REST API of a panel app over the same database. What
the database and the logs keep of passwords and tokens is checked, and so is that a client, a
forged form or a disabled user gets nowhere. One real-browser pass takes screenshots of the two
pages.
"""

import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from konekto_pipeline.panel.app import create_app
from konekto_pipeline.panel.auth import (
    SESSION_COOKIE,
    DisableRefused,
    PanelAuth,
    Session,
    api_tokens,
)
from konekto_pipeline.panel.client import PanelClient, PanelError
from konekto_pipeline.panel.storage import Event, PanelStorage, metadata
from konekto_pipeline.panel.web import Note, OneTimeNotes, event_detail_pl
from konekto_pipeline_tests.test_panel_web import (  # noqa: F401 (fixtures)
    CLIENT_LOGIN,
    CLIENT_PASSWORD,
    COMPANY,
    FAST_SCRYPT,
    NIP,
    OFFICE_LOGIN,
    OFFICE_PASSWORD,
    OTHER_NIP,
    WRONG_LOGIN,
    Panel,
    Shoot,
    WebServer,
    _browser_like,
    _client_user,
    _csrf,
    _log_in,
    _login,
    _text,
    browser,
    database_url,
    mailbox,
    panel,
    screenshots,
)

COLLEAGUE, COLLEAGUE_PASSWORD = "ewa", "Kadry-i-płace-2026"
TOKEN = re.compile(r"konekto_[\w-]{43}")
NOT_YOURSELF = "Nie możesz wyłączyć własnego konta."


@contextmanager
def _office(panel: Panel) -> Iterator[httpx.Client]:  # noqa: F811
    """An httpx client logged in as the office user of the fixture."""
    with _browser_like(panel) as http:
        assert _login(http, OFFICE_LOGIN, OFFICE_PASSWORD).status_code == 303
        yield http


def _post(http: httpx.Client, page: str, action: str, **fields: str) -> httpx.Response:
    """Submit a form of `page` with the session's CSRF token taken from that page."""
    return http.post(action, data={"csrf": _csrf(http.get(page)), **fields})


def _colleague(panel: Panel) -> int:  # noqa: F811
    """A second office user, made as the CLI makes one."""
    return panel.auth.create_office_user(COLLEAGUE, COLLEAGUE_PASSWORD, "Ewa Kowalczyk").id


def _own_id(panel: Panel) -> int:  # noqa: F811
    office = panel.auth.user_by_name(OFFICE_LOGIN)
    assert office is not None
    return office.id


def _changes(panel: Panel) -> list[Event]:  # noqa: F811
    """The history's events, newest first, without the fixture's uploads."""
    return [event for event in panel.storage.events() if event.action != "upload"]


def _create_token(http: httpx.Client, name: str = "pipeline w biurze") -> httpx.Response:
    return _post(http, "/tokeny", "/tokeny/nowy", nazwa=name)


@pytest.fixture
def api(panel: Panel, database_url: str) -> Iterator[str]:  # noqa: F811
    """The whole panel app (REST API included) over the same database, as `konekto panel
    serve` runs it without a KONEKTO_PANEL_TOKEN of its own."""
    app = create_app(database_url, session_secret="a" * 32)
    with WebServer(app) as server:
        yield server.url
    app.state.storage.dispose()


# --- users -------------------------------------------------------------------------------------


def test_an_office_user_adds_a_colleague_who_can_then_log_in(
    panel: Panel,  # noqa: F811
) -> None:
    with _office(panel) as http:
        added = _post(
            http,
            "/uzytkownicy",
            "/uzytkownicy/dodaj",
            login=COLLEAGUE,
            nazwa="Ewa Kowalczyk",
            haslo=COLLEAGUE_PASSWORD,
            haslo2=COLLEAGUE_PASSWORD,
        )
        listed = http.get("/uzytkownicy")
        reloaded = http.get("/uzytkownicy")
    with _browser_like(panel) as colleague:
        logged_in = _login(colleague, COLLEAGUE, COLLEAGUE_PASSWORD)
        home = colleague.get("/")

    assert added.status_code == 303 and added.headers["location"] == "/uzytkownicy"
    assert "Dodano użytkownika ewa. Może się już zalogować swoim hasłem." in listed.text
    assert "Dodano użytkownika" not in reloaded.text
    row = re.search(r'<tr data-login="ewa".*?</tr>', listed.text, re.S)
    assert row and "Ewa Kowalczyk" in row[0] and "biuro" in row[0] and "aktywny" in row[0]
    assert "Dodanie użytkownika" in listed.text and "konto: ewa (biuro)" in listed.text
    assert logged_in.status_code == 303
    assert home.status_code == 200 and "<h1>Firmy</h1>" in home.text
    [event] = [e for e in _changes(panel) if e.action == "user_add"]
    assert (event.actor, event.nip, event.detail) == (OFFICE_LOGIN, None, "ewa (biuro)")
    assert all(COLLEAGUE_PASSWORD not in e.detail for e in _changes(panel))


@pytest.mark.parametrize(
    ("login", "password", "repeated", "message"),
    [
        (COLLEAGUE, "krótkie1", "krótkie1", "Hasło musi mieć co najmniej 10 znaków."),
        ("ewa.kowalczyk", "Ewa.Kowalczyk", "Ewa.Kowalczyk",
         "Hasło nie może być takie samo jak login."),
        (COLLEAGUE, COLLEAGUE_PASSWORD, COLLEAGUE_PASSWORD + "x", "Hasła nie są takie same."),
        ("Anna", COLLEAGUE_PASSWORD, COLLEAGUE_PASSWORD,
         "Ten login jest już zajęty. Wybierz inny."),
        ("e", COLLEAGUE_PASSWORD, COLLEAGUE_PASSWORD,
         "Login musi mieć od 3 do 200 znaków i nie może zawierać spacji."),
        ("", COLLEAGUE_PASSWORD, COLLEAGUE_PASSWORD, "Podaj login."),
    ],
)  # fmt: skip
def test_a_weak_password_or_an_unusable_login_is_refused_in_polish(
    panel: Panel,  # noqa: F811
    login: str,
    password: str,
    repeated: str,
    message: str,
) -> None:
    with _office(panel) as http:
        answer = _post(
            http,
            "/uzytkownicy",
            "/uzytkownicy/dodaj",
            login=login,
            nazwa="Ewa Kowalczyk",
            haslo=password,
            haslo2=repeated,
        )

    assert answer.status_code == 400
    assert message in answer.text
    assert 'value="Ewa Kowalczyk"' in answer.text  # the form keeps what was typed ...
    assert password not in answer.text  # ... except the password
    assert [user.username for user in panel.auth.users()] == [OFFICE_LOGIN]
    assert not [e for e in _changes(panel) if e.action == "user_add"]


def test_disabling_a_user_ends_their_session_and_their_login_for_good(
    panel: Panel,  # noqa: F811
) -> None:
    colleague_id = _colleague(panel)
    with _browser_like(panel) as colleague, _office(panel) as http:
        _login(colleague, COLLEAGUE, COLLEAGUE_PASSWORD)
        old_cookie = colleague.cookies[SESSION_COOKIE]
        assert colleague.get("/").status_code == 200
        confirming = http.get(f"/uzytkownicy?wylacz={colleague_id}")
        disabled = http.post(
            f"/uzytkownicy/{colleague_id}/wylacz", data={"csrf": _csrf(confirming)}
        )
        after = http.get("/uzytkownicy")
        session_after = colleague.get("/")
        login_after = _login(colleague, COLLEAGUE, COLLEAGUE_PASSWORD)

        enabled = _post(http, "/uzytkownicy", f"/uzytkownicy/{colleague_id}/wlacz")
        listed = http.get("/uzytkownicy")
    with _browser_like(panel) as thief:
        thief.cookies.set(SESSION_COOKIE, old_cookie)
        old_session = thief.get("/")
    with _browser_like(panel) as colleague:
        login_again = _login(colleague, COLLEAGUE, COLLEAGUE_PASSWORD)

    assert "Wyłączyć konto ewa?" in confirming.text
    assert f'action="/uzytkownicy/{colleague_id}/wylacz"' in confirming.text
    assert disabled.status_code == 303
    assert "Wyłączono konto ewa." in after.text and "wyłączony" in after.text
    assert session_after.status_code == 303
    assert session_after.headers["location"].startswith("/logowanie")
    assert login_after.status_code == 401 and WRONG_LOGIN in login_after.text
    assert enabled.status_code == 303
    assert "Włączono konto ewa. Można się na nie znowu zalogować." in listed.text
    assert old_session.status_code == 303  # re-enabling revives no session
    assert login_again.status_code == 303
    actions = [e.action for e in _changes(panel) if e.detail == COLLEAGUE]
    assert actions == ["user_enable", "user_disable"]
    assert "Wyłączenie użytkownika" in listed.text and "Włączenie użytkownika" in listed.text


def test_nobody_can_disable_their_own_account(
    panel: Panel,  # noqa: F811
) -> None:
    own_id = _own_id(panel)
    with _office(panel) as http:
        confirming = http.get(f"/uzytkownicy?wylacz={own_id}")
        refused = _post(http, "/uzytkownicy", f"/uzytkownicy/{own_id}/wylacz")
        still_in = http.get("/")

    assert NOT_YOURSELF in confirming.text and "<dialog" not in confirming.text
    assert refused.status_code == 400 and NOT_YOURSELF in refused.text
    assert still_in.status_code == 200
    office = panel.auth.user_by_name(OFFICE_LOGIN)
    assert office is not None and not office.disabled
    assert not [e for e in _changes(panel) if e.action == "user_disable"]


def test_a_client_gets_404_on_the_users_and_tokens_pages(
    panel: Panel,  # noqa: F811
) -> None:
    _client_user(panel)
    own_id, token = _own_id(panel), panel.auth.issue_api_token("pipeline")[0]
    with _browser_like(panel) as http:
        _login(http, CLIENT_LOGIN, CLIENT_PASSWORD)
        home = http.get("/")
        csrf = _csrf(home)
        pages = [http.get(path) for path in ("/uzytkownicy", "/tokeny", "/tokeny?uniewaznij=1")]
        forms = [
            http.post(action, data={"csrf": csrf, **fields})
            for action, fields in (
                ("/uzytkownicy/dodaj", {"login": "intruz", "haslo": "x" * 12, "haslo2": "x" * 12}),
                (f"/uzytkownicy/{own_id}/wylacz", {}),
                (f"/uzytkownicy/{own_id}/link", {}),
                ("/tokeny/nowy", {"nazwa": "moj"}),
                (f"/tokeny/{token.id}/uniewaznij", {}),
            )
        ]
    with _browser_like(panel) as anonymous:
        outside = anonymous.get("/tokeny")

    assert "mainnav" not in home.text
    for answer in pages + forms:
        assert answer.status_code == 404
        assert "Nie znaleziono strony" in answer.text
        assert "Tokeny API" not in answer.text  # not even the office's navigation
    assert outside.status_code == 303 and outside.headers["location"].startswith("/logowanie")
    assert [user.username for user in panel.auth.users()] == [OFFICE_LOGIN, CLIENT_LOGIN]
    assert [t.revoked_at for t in panel.auth.api_tokens()] == [None]
    assert not _changes(panel)


def test_forms_without_the_sessions_csrf_token_are_refused(
    panel: Panel,  # noqa: F811
) -> None:
    colleague_id = _colleague(panel)
    panel.auth.disable(colleague_id)
    token = panel.auth.issue_api_token("pipeline")[0]
    user = panel.auth.create_client_user(CLIENT_LOGIN, NIP)
    good_password = {"login": "intruz", "haslo": "x" * 12, "haslo2": "x" * 12}
    with _office(panel) as http, _browser_like(panel) as other:
        foreign = _csrf(other.get("/logowanie"))
        answers = [
            http.post(action, data={**fields, **csrf})
            for csrf in ({}, {"csrf": foreign})
            for action, fields in (
                ("/uzytkownicy/dodaj", good_password),
                (f"/uzytkownicy/{colleague_id}/wlacz", {}),
                (f"/uzytkownicy/{user.id}/wylacz", {}),
                (f"/uzytkownicy/{user.id}/link", {}),
                ("/tokeny/nowy", {"nazwa": "obcy"}),
                (f"/tokeny/{token.id}/uniewaznij", {}),
            )
        ]

    for answer in answers:
        assert answer.status_code == 403
        assert "Formularz wygasł albo nie pochodzi z panelu." in answer.text
    assert panel.auth.user_by_name("intruz") is None
    states = {user.username: user.disabled for user in panel.auth.users()}
    assert states == {OFFICE_LOGIN: False, COLLEAGUE: True, CLIENT_LOGIN: False}
    assert [(t.name, t.revoked_at) for t in panel.auth.api_tokens()] == [("pipeline", None)]
    assert panel.mailbox.messages == [] and not _changes(panel)


def test_a_panel_database_from_before_disabling_was_recorded_still_opens(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    storage = PanelStorage(url)
    PanelAuth(storage, session_secret="s" * 32, scrypt_cost=FAST_SCRYPT).create_office_user(
        OFFICE_LOGIN, OFFICE_PASSWORD
    )
    with storage.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE panel_users DROP COLUMN disabled_at"))
    storage.dispose()

    storage = PanelStorage(url)
    auth = PanelAuth(storage, session_secret="s" * 32, scrypt_cost=FAST_SCRYPT)
    auth.create_office_user("ewa", "Księgowa-Ewa-2026")  # the last office user stays enabled
    user = auth.login(OFFICE_LOGIN, OFFICE_PASSWORD, "127.0.0.1").user
    assert user is not None and user.disabled_at is None
    session = auth.new_session(user)
    assert auth.session_user(session) == user
    auth.disable(user.id)
    auth.enable(user.id)
    assert auth.session_user(session) is None
    assert auth.session_user(auth.new_session(user)) is not None
    storage.dispose()


def test_the_last_office_user_who_can_log_in_is_never_disabled(tmp_path: Path) -> None:
    storage = PanelStorage(f"sqlite:///{tmp_path / 'p.db'}")
    auth = PanelAuth(storage, session_secret="s" * 32, scrypt_cost=FAST_SCRYPT)
    anna = auth.create_office_user(OFFICE_LOGIN, OFFICE_PASSWORD)
    ewa = auth.create_office_user("ewa", "Księgowa-Ewa-2026")

    auth.disable(anna.id, by=ewa.id)  # Ewa's request was checked before Anna disabled her ...
    with pytest.raises(DisableRefused):
        auth.disable(ewa.id, by=anna.id)  # ... and Anna, disabled meanwhile, cannot answer back
    with pytest.raises(DisableRefused):
        auth.disable(ewa.id)  # nor may anyone disable the last office user
    assert not auth.user(ewa.id).disabled
    storage.dispose()


# --- activation links --------------------------------------------------------------------------


def test_sending_the_link_again_e_mails_a_working_activation_link(
    panel: Panel,  # noqa: F811
) -> None:
    waiting = panel.auth.create_client_user(CLIENT_LOGIN, NIP)
    with _office(panel) as http:
        before = http.get("/uzytkownicy")
        sent = http.post(f"/uzytkownicy/{waiting.id}/link", data={"csrf": _csrf(before)})
        after = http.get("/uzytkownicy")

    row = re.search(rf'<tr data-login="{re.escape(CLIENT_LOGIN)}".*?</tr>', before.text, re.S)
    assert row and "czeka na aktywację" in row[0] and "Wyślij link ponownie" in row[0]
    assert COMPANY.name in row[0] and "676-272-54-37" in row[0] and "klient" in row[0]
    assert sent.status_code == 303 and sent.headers["location"] == "/uzytkownicy"
    assert f"wysłano na adres {COMPANY.email}" in after.text
    [(recipients, message)] = panel.mailbox.messages
    assert recipients == [COMPANY.email]
    link = re.search(r"http://\S+/aktywacja\?token=\S+", _text(message))
    assert link and link[0].startswith(panel.url)
    assert link[0] not in after.text  # e-mailed, so not shown

    with _browser_like(panel) as client:
        page = client.get(link[0])
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert page.status_code == 200 and token
        form = {"csrf": _csrf(page), "token": token[1]}
        done = client.post(
            "/aktywacja", data={**form, "haslo": CLIENT_PASSWORD, "haslo2": CLIENT_PASSWORD}
        )
        logged_in = _login(client, CLIENT_LOGIN, CLIENT_PASSWORD)
    with _office(panel) as http:
        active = http.get("/uzytkownicy")

    assert done.status_code == 303 and logged_in.status_code == 303
    row = re.search(rf'<tr data-login="{re.escape(CLIENT_LOGIN)}".*?</tr>', active.text, re.S)
    assert row and "aktywny" in row[0] and "Wyślij link ponownie" not in row[0]
    [event] = [e for e in _changes(panel) if e.nip == NIP]
    assert (event.action, event.actor, event.detail) == ("invite", OFFICE_LOGIN, CLIENT_LOGIN)
    assert "Zaproszenie klienta do panelu" in active.text


def test_without_an_e_mail_address_the_new_link_is_shown_once(
    panel: Panel,  # noqa: F811
) -> None:
    waiting = panel.auth.create_client_user("piekarnia", OTHER_NIP)
    with _office(panel) as http:
        _post(http, "/uzytkownicy", f"/uzytkownicy/{waiting.id}/link")
        shown = http.get("/uzytkownicy")
        reloaded = http.get("/uzytkownicy")
        active = _post(http, "/uzytkownicy", f"/uzytkownicy/{_own_id(panel)}/link")

    link = re.search(r"<code>(http://[^<]+/aktywacja\?token=[^<]+)</code>", shown.text)
    assert link and "Firma nie ma adresu e-mail." in shown.text
    assert "pokazujemy go tylko teraz" in shown.text
    assert "/aktywacja?token=" not in reloaded.text
    assert panel.mailbox.messages == []
    with _browser_like(panel) as client:
        assert client.get(link[1].replace("&amp;", "&")).status_code == 200
    assert active.status_code == 404  # an office user has no activation link


def test_a_disabled_or_active_client_gets_no_new_link(
    panel: Panel,  # noqa: F811
) -> None:
    _client_user(panel)
    waiting = panel.auth.create_client_user("czeka@example.pl", NIP)
    panel.auth.disable(waiting.id)
    active = panel.auth.user_by_name(CLIENT_LOGIN)
    assert active is not None
    with _office(panel) as http:
        page = http.get("/uzytkownicy")
        disabled = _post(http, "/uzytkownicy", f"/uzytkownicy/{waiting.id}/link")
        already = _post(http, "/uzytkownicy", f"/uzytkownicy/{active.id}/link")

    assert "Wyślij link ponownie" not in page.text
    assert disabled.status_code == 400 and "To konto jest wyłączone." in disabled.text
    assert already.status_code == 400 and "Klient już aktywował to konto" in already.text
    assert panel.mailbox.messages == []


# --- API tokens --------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_token_made_in_the_panel_works_against_the_api_until_it_is_revoked(
    panel: Panel,  # noqa: F811
    api: str,
) -> None:
    with _office(panel) as http:
        created = _create_token(http)
        shown = http.get("/tokeny")
        reloaded = http.get("/tokeny")
        [token] = TOKEN.findall(shown.text)
        with PanelClient(api, token=token, retries=0) as pipeline:
            listed = [company.nip for company in pipeline.companies()]
        used = http.get("/tokeny")
        [record] = panel.auth.api_tokens()
        confirming = http.get(f"/tokeny?uniewaznij={record.id}")
        revoked = http.post(f"/tokeny/{record.id}/uniewaznij", data={"csrf": _csrf(confirming)})
        after = http.get("/tokeny")

    assert created.status_code == 303 and created.headers["location"] == "/tokeny"
    assert "nie pokaże tego tokenu ponownie" in shown.text and "KONEKTO_PANEL_TOKEN" in shown.text
    assert not TOKEN.search(reloaded.text) and "pipeline w biurze" in reloaded.text
    assert sorted(listed) == sorted([NIP, OTHER_NIP])
    assert "jeszcze nie" not in used.text  # its last use is shown
    assert "Unieważnić token „pipeline w biurze”?" in confirming.text
    assert revoked.status_code == 303
    assert "jest unieważniony" in after.text and "unieważniony" in after.text
    for given in (token, None):
        with PanelClient(api, token=given, retries=0) as pipeline, pytest.raises(PanelError) as no:
            pipeline.companies()
        assert no.value.status == 401
    assert record.created_by == OFFICE_LOGIN
    details = [(e.action, e.detail) for e in _changes(panel)]
    assert details == [
        ("token_revoke", f"pipeline w biurze (#{record.id})"),
        ("token_create", f"pipeline w biurze (#{record.id})"),
    ]
    assert f"token: pipeline w biurze (nr {record.id})" in after.text
    assert "Unieważnienie tokenu API" in after.text and "Utworzenie tokenu API" in after.text


def test_a_new_token_is_kept_only_as_its_sha256_and_never_logged(
    panel: Panel,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with _office(panel) as http:
        _create_token(http, "pipeline")
        [token] = TOKEN.findall(http.get("/tokeny").text)

    stored: list[str] = []
    with panel.storage.engine.connect() as conn:
        for table in metadata.sorted_tables:
            stored += [repr(tuple(row)) for row in conn.execute(sa.select(table))]
        digests = conn.execute(sa.select(api_tokens.c.token_sha256)).scalars().all()
    assert not [row for row in stored if token in row]
    assert digests == [hashlib.sha256(token.encode()).hexdigest()]
    database = panel.storage.engine.url.database
    assert database and token.encode() not in Path(database).read_bytes()
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
    )
    assert "created API token #1" in logged and token not in logged


def test_a_token_needs_a_name_and_revoking_twice_changes_nothing(
    panel: Panel,  # noqa: F811
) -> None:
    with _office(panel) as http:
        unnamed = _create_token(http, "   ")
        too_long = _create_token(http, "x" * 101)
        _create_token(http)
        http.get("/tokeny")
        [record] = panel.auth.api_tokens()
        first = _post(http, "/tokeny", f"/tokeny/{record.id}/uniewaznij")
        revoked_at = panel.auth.api_tokens()[0].revoked_at
        second = _post(http, "/tokeny", f"/tokeny/{record.id}/uniewaznij")
        unknown = _post(http, "/tokeny", "/tokeny/999/uniewaznij")

    assert unnamed.status_code == 400 and "Podaj nazwę tokenu" in unnamed.text
    assert too_long.status_code == 400 and "najwyżej 100 znaków" in too_long.text
    assert first.status_code == second.status_code == 303
    assert panel.auth.api_tokens()[0].revoked_at == revoked_at
    assert unknown.status_code == 404
    assert [e.action for e in _changes(panel)] == ["token_revoke", "token_create"]


# --- what the pages say ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "detail", "shown"),
    [
        ("user_add", "ewa (biuro)", "konto: ewa (biuro)"),
        ("user_disable", "ewa", "konto: ewa"),
        ("user_enable", "ewa", "konto: ewa"),
        ("token_create", "pipeline (#3)", "token: pipeline (nr 3)"),
        ("token_revoke", "pipeline (stary) (#12)", "token: pipeline (stary) (nr 12)"),
    ],
)
def test_user_and_token_events_are_told_in_polish(action: str, detail: str, shown: str) -> None:
    assert event_detail_pl(action, detail) == shown


def test_a_one_time_note_is_shown_once_to_its_session_and_expires() -> None:
    now = [0.0]
    notes = OneTimeNotes(lifetime=600, clock=lambda: now[0])
    session, other = (Session(1, name, "csrf", 0, "stamp") for name in ("first", "second"))
    notes.put(session, "/tokeny", Note("success", "raz"))
    notes.put(other, "/tokeny", Note("success", "później"))

    assert notes.take(session, "/uzytkownicy") is None
    assert notes.take(session, "/tokeny") == Note("success", "raz")
    assert notes.take(session, "/tokeny") is None
    now[0] = 601
    assert notes.take(other, "/tokeny") is None


# --- the real browser --------------------------------------------------------------------------


def _nav_current(page: Any) -> str:
    return page.locator("nav.mainnav a[aria-current]").inner_text()


def test_office_manages_users_and_tokens_in_a_real_browser(
    panel: Panel,  # noqa: F811
    browser: Any,  # noqa: F811
    screenshots: Shoot,  # noqa: F811
) -> None:
    panel.auth.create_client_user(CLIENT_LOGIN, NIP, "Łukasz Żółć")
    _colleague(panel)
    office = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 860})
    office.set_default_timeout(5000)
    page = office.new_page()
    page.goto(f"{panel.url}/")
    _log_in(page, OFFICE_LOGIN, OFFICE_PASSWORD)
    assert _nav_current(page) == "Firmy"

    page.locator("nav.mainnav").get_by_role("link", name="Użytkownicy").click()
    assert _nav_current(page) == "Użytkownicy"
    assert page.locator("h1").inner_text() == "Użytkownicy"
    client_row = page.locator(f"tr[data-login='{CLIENT_LOGIN}']")
    assert "czeka na aktywację" in client_row.inner_text()
    client_row.get_by_role("button", name="Wyślij link ponownie").click()
    assert f"wysłano na adres {COMPANY.email}" in page.locator(".alert.success").inner_text()
    assert len(panel.mailbox.messages) == 1
    screenshots(page, "uzytkownicy")
    page.locator("tr[data-login='ewa']").get_by_role("link", name="Wyłącz").click()
    assert "Wyłączyć konto ewa?" in page.locator("dialog[open]").inner_text()
    screenshots(page, "uzytkownicy-wylaczanie")
    page.get_by_role("button", name="Wyłącz konto").click()
    assert "wyłączony" in page.locator("tr[data-login='ewa']").inner_text()

    page.locator("nav.mainnav").get_by_role("link", name="Tokeny API").click()
    assert _nav_current(page) == "Tokeny API"
    page.fill("#token-nazwa", "pipeline w biurze")
    page.get_by_role("button", name="Utwórz token").click()
    token = page.locator(".new-token .secret code").inner_text()
    assert TOKEN.fullmatch(token)
    assert "nie pokaże tego tokenu ponownie" in page.locator(".new-token").inner_text()
    screenshots(page, "tokeny-nowy-token")
    page.reload()
    assert page.locator(".new-token").count() == 0 and token not in page.content()
    page.locator("tr[data-token]").get_by_role("link", name="Unieważnij").click()
    assert "Unieważnić token" in page.locator("dialog[open]").inner_text()
    screenshots(page, "tokeny-uniewaznianie")
    page.get_by_role("button", name="Unieważnij token").click()
    assert "unieważniony" in page.locator("tr[data-token]").inner_text()
    screenshots(page, "tokeny")

    phone = browser.new_context(
        locale="pl-PL",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        storage_state=office.storage_state(),
    )
    small = phone.new_page()
    small.goto(f"{panel.url}/uzytkownicy")
    assert small.locator("nav.mainnav").is_visible()
    screenshots(small, "uzytkownicy-telefon")
    phone.close()
    office.close()
