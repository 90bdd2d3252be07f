"""The panel's web pages, used as an accounting office and its client use them.

The pages are served by uvicorn on 127.0.0.1 over a real database (a SQLite file, and the same
flow on PostgreSQL when it is reachable); summaries and activation links go by SMTP to a real
aiosmtpd server on 127.0.0.1. The main story runs in a headless Chromium (Debian's
/usr/bin/chromium driven by Playwright): the office approves a month and sends the summary, the
e-mail arrives, the client activates its account, sees only approved data with the QR code (the
code read back from the screenshot by a real QR decoder), and marks an item paid. Screenshots of
each step go to $KONEKTO_SCREENSHOTS, or to the test's tmp_path.

The rest uses plain httpx against the same server: failed-login limits, CSRF refusals, a client
kept out of other companies, the login messages, activation links and what the database keeps
of passwords and tokens.
"""

import hashlib
import io
import logging
import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
import zxingcpp
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from PIL import Image

from konekto_pipeline.panel.auth import (
    SESSION_COOKIE,
    LoginLimiter,
    PanelAuth,
    ScryptCost,
    api_tokens,
    users,
)
from konekto_pipeline.panel.contract import ApproveRequest, Company, Item
from konekto_pipeline.panel.notify import EmailSender, Notifier, SmtpSettings
from konekto_pipeline.panel.payments import payment_details
from konekto_pipeline.panel.server import as_database_url
from konekto_pipeline.panel.storage import PanelStorage
from konekto_pipeline.panel.web import (
    create_web_router,
    event_detail_pl,
    moment_pl,
    plural_pl,
)
from konekto_pipeline_tests.test_panel import POSTGRES_URL, _postgres_unavailable

NIP = "6762725437"
NRS = "46600000020260016762725437"  # the ZUS account of NIP
NRS_SHOWN = "PL46 6000 0002 0260 0167 6272 5437"
MICRO_ACCOUNT_SHOWN = "PL22 1010 0071 2222 6762 7254 3700"  # the tax micro-account of NIP
COMPANY = Company(nip=NIP, name="Zakład Stolarski Łukasz Żółć", email="jan@example.pl")
OTHER_NIP = "6310023582"
OTHER_COMPANY = Company(nip=OTHER_NIP, name="Piekarnia Źdźbło sp. z o.o.")
OFFICE = "Biuro Rachunkowe Przykład"
SENDER = "Biuro Rachunkowe Przykład <biuro@example.pl>"
PERIOD, NEXT_PERIOD = "2026-10", "2026-11"

OFFICE_LOGIN, OFFICE_PASSWORD = "anna", "Księgowa-Anna-2026"
CLIENT_LOGIN, CLIENT_PASSWORD = "jan@example.pl", "Stolarnia-Łukasz-10"
WRONG_LOGIN = "Nieprawidłowy login lub hasło."

CHROMIUM = Path(os.environ.get("KONEKTO_CHROMIUM", "/usr/bin/chromium"))
FAST_SCRYPT = ScryptCost(n=2**12, r=8, p=1)  # the format of production, a cheaper cost


# --- data --------------------------------------------------------------------------------------


def _item(data_type: str, amount: int, period: str = PERIOD, nip: str = NIP, **fields: Any) -> Item:
    return Item.create(
        nip=nip,
        data_type=data_type,
        period=period,
        kind="D",
        amount=amount,
        source="optima",
        **fields,
    )


def _october() -> list[Item]:
    """October 2026: ZUS, VAT and linear PIT, 3 801,56 zł to pay, and the month's results."""
    return [
        _item("zus", 123456, due_date=date(2026, 11, 16), account=NRS),
        _item("taxes", 200000, tax="VAT-7", due_date=date(2026, 11, 25)),
        _item("taxes", 56700, tax="PIT-5L", due_date=date(2026, 11, 20)),
        _item("summaries", 5000000, details={"costs": 3000000, "income": 2000000}),
    ]


def _november() -> list[Item]:
    """November, uploaded later and not approved: the client must not see it."""
    return [
        _item("zus", 130011, NEXT_PERIOD, due_date=date(2026, 12, 15), account=NRS),
        _item("taxes", 777700, NEXT_PERIOD, tax="VAT-7", due_date=date(2026, 12, 28)),
    ]


# --- servers -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP server received, as parsed messages with their envelope recipients."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, SmtpSettings]]:
    """aiosmtpd on 127.0.0.1 (plain SMTP, no login: TLS and AUTH are test_panel_notify's)."""
    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, auth_require_tls=False)
    controller.start()
    settings = SmtpSettings(
        host="127.0.0.1", port=port, security="none", sender=SENDER, timeout_seconds=5
    )
    yield box, settings
    controller.stop()


class WebServer:
    """The web router in a FastAPI app, served by uvicorn in a thread on 127.0.0.1."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        )
        self._thread = threading.Thread(target=self._serve, name="panel-web", daemon=True)

    def _serve(self) -> None:
        self._server.run(sockets=[self._socket])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def __enter__(self) -> Self:
        self._socket.bind(("127.0.0.1", 0))
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the panel's web server did not start")
            time.sleep(0.02)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()


@dataclass
class Panel:
    """A running panel with its storage, users and the mailbox its e-mails go to."""

    url: str
    storage: PanelStorage
    auth: PanelAuth
    mailbox: Mailbox


def _schema_url() -> Iterator[str]:
    """A PostgreSQL schema of the test's own, dropped afterwards."""
    schema = f"panel_web_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLite file, unless the test is parametrised with "postgresql"."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield as_database_url(tmp_path / "panel.db")
        return
    unavailable = _postgres_unavailable()
    if unavailable:
        pytest.skip(unavailable)
    yield from _schema_url()


@pytest.fixture
def panel(database_url: str, mailbox: tuple[Mailbox, SmtpSettings]) -> Iterator[Panel]:
    """The panel with two companies awaiting approval, an office user and e-mail by SMTP."""
    box, settings = mailbox
    storage = PanelStorage(database_url)
    auth = PanelAuth(storage, session_secret="s" * 32, scrypt_cost=FAST_SCRYPT)
    auth.create_office_user(OFFICE_LOGIN, OFFICE_PASSWORD, "Anna Nowak")
    for company, items in (
        (COMPANY, _october()),
        (OTHER_COMPANY, [_item("zus", 5, nip=OTHER_NIP)]),
    ):
        storage.upsert_company(company)
        storage.upsert_items(company.nip, items, "optima")
    notifier = Notifier(OFFICE, email=EmailSender(settings))

    app = FastAPI()
    app.include_router(create_web_router(storage, auth, notifier, OFFICE))
    with WebServer(app) as server:
        yield Panel(server.url, storage, auth, box)
    storage.dispose()


# --- plain HTTP --------------------------------------------------------------------------------


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "the page has no form with a CSRF token"
    return found[1]


def _browser_like(panel: Panel) -> httpx.Client:
    return httpx.Client(base_url=panel.url, trust_env=False, timeout=10)


def _login(http: httpx.Client, login: str, password: str) -> httpx.Response:
    csrf = _csrf(http.get("/logowanie"))
    return http.post("/logowanie", data={"csrf": csrf, "login": login, "haslo": password})


def _client_user(panel: Panel, nip: str = NIP, login: str = CLIENT_LOGIN) -> None:
    user = panel.auth.create_client_user(login, nip, "Łukasz Żółć")
    assert panel.auth.activate(panel.auth.create_activation(user.id), CLIENT_PASSWORD)


def _approve_october(panel: Panel) -> None:
    panel.storage.approve(NIP, ApproveRequest(period=PERIOD, approved_by=OFFICE_LOGIN))


def test_a_visitor_without_a_session_is_sent_to_the_login_page(panel: Panel) -> None:
    with _browser_like(panel) as http:
        answer = http.get(f"/firma/{NIP}?typ=taxes")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/logowanie?dalej=%2Ffirma%2F6762725437%3Ftyp%3Dtaxes"


def test_session_cookie_is_signed_httponly_and_samesite_lax(panel: Panel) -> None:
    with _browser_like(panel) as http:
        answer = _login(http, OFFICE_LOGIN, OFFICE_PASSWORD)

    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on 127.0.0.1; Secure is set over https
    assert OFFICE_PASSWORD not in cookie


@pytest.mark.parametrize(
    ("login", "password"),
    [
        (OFFICE_LOGIN, "Zle-haslo-123"),
        ("nikt-taki", OFFICE_PASSWORD),
        ("", ""),
        ("czeka@example.pl", "cokolwiek-123"),  # a client who has not set a password yet
    ],
)
def test_wrong_password_unknown_user_and_inactive_account_get_the_same_message(
    panel: Panel, login: str, password: str
) -> None:
    panel.auth.create_client_user("czeka@example.pl", NIP)

    with _browser_like(panel) as http:
        answer = _login(http, login, password)

    assert answer.status_code == 401
    assert WRONG_LOGIN in answer.text


def test_five_failures_for_one_username_answer_429_with_retry_after_in_polish(
    panel: Panel,
) -> None:
    with _browser_like(panel) as http:
        failures = [_login(http, OFFICE_LOGIN, f"zle-haslo-{n}").status_code for n in range(5)]
        blocked = _login(http, OFFICE_LOGIN, OFFICE_PASSWORD)  # even the right password waits

    assert failures == [401] * 5
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
    assert "Zbyt wiele nieudanych prób logowania. Spróbuj ponownie za 15 minut." in blocked.text
    assert SESSION_COOKIE + "=" not in blocked.headers.get("set-cookie", "")


def test_five_failures_from_one_address_block_every_username_from_it(panel: Panel) -> None:
    with _browser_like(panel) as http:
        for n in range(5):
            assert _login(http, f"zgadywany-{n}", "haslo-haslo-1").status_code == 401
        blocked = _login(http, OFFICE_LOGIN, OFFICE_PASSWORD)

    assert blocked.status_code == 429 and "Retry-After" in blocked.headers


def test_failed_logins_are_forgotten_after_the_window() -> None:
    now = [1000.0]
    limiter = LoginLimiter(max_failures=5, window=timedelta(minutes=15), clock=lambda: now[0])
    keys = ("user:anna", "ip:127.0.0.1")
    for _ in range(5):
        limiter.record_failure(keys)

    assert limiter.retry_after(keys) == 900
    now[0] += 600
    assert limiter.retry_after(keys) == 300
    now[0] += 300
    assert limiter.retry_after(keys) is None


def test_a_form_without_the_sessions_csrf_token_is_refused(panel: Panel) -> None:
    with _browser_like(panel) as http, _browser_like(panel) as other:
        _login(http, OFFICE_LOGIN, OFFICE_PASSWORD)
        foreign = _csrf(other.get("/logowanie"))
        form = {"okres": PERIOD, "typ": ["zus", "taxes", "summaries"], "wyslij": "1"}
        missing = http.post(f"/firma/{NIP}/zatwierdz", data=form)
        wrong = http.post(f"/firma/{NIP}/zatwierdz", data={**form, "csrf": foreign})

    for answer in (missing, wrong):
        assert answer.status_code == 403
        assert "Formularz wygasł albo nie pochodzi z panelu." in answer.text
    assert not any(item.approved for item in panel.storage.items(NIP))
    assert panel.mailbox.messages == []


def test_a_login_form_without_its_csrf_token_is_refused(panel: Panel) -> None:
    with _browser_like(panel) as http:
        http.get("/logowanie")
        answer = http.post("/logowanie", data={"login": OFFICE_LOGIN, "haslo": OFFICE_PASSWORD})

    assert answer.status_code == 403
    assert "Formularz wygasł" in answer.text


def test_office_approves_a_month_over_http_as_the_logged_in_user(panel: Panel) -> None:
    with _browser_like(panel) as http:
        _login(http, OFFICE_LOGIN, OFFICE_PASSWORD)
        csrf = _csrf(http.get(f"/firma/{NIP}"))
        form = {"csrf": csrf, "okres": PERIOD, "typ": ["zus", "taxes"], "typ_widoku": "taxes"}
        answer = http.post(f"/firma/{NIP}/zatwierdz", data=form)

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/firma/{NIP}?typ=taxes&okres={PERIOD}&wynik=ok&ile=3"
    approved = {item.key: item for item in panel.storage.items(NIP) if item.approved}
    assert set(approved) == {
        (NIP, "zus", PERIOD, ""),
        (NIP, "taxes", PERIOD, "VAT-7"),
        (NIP, "taxes", PERIOD, "PIT-5L"),
    }
    assert {item.approved_by for item in approved.values()} == {OFFICE_LOGIN}
    assert panel.mailbox.messages == []  # the summary was not ticked


def test_a_changed_figure_the_client_was_sent_is_sent_again_once_on_approval(
    panel: Panel,
) -> None:
    corrected_vat = _item("taxes", 210000, tax="VAT-7", due_date=date(2026, 11, 25))
    with _browser_like(panel) as http:
        _login(http, OFFICE_LOGIN, OFFICE_PASSWORD)
        form = {"csrf": _csrf(http.get(f"/firma/{NIP}")), "okres": PERIOD}
        all_types = {**form, "typ": ["zus", "taxes", "summaries"], "wyslij": "1"}
        http.post(f"/firma/{NIP}/zatwierdz", data=all_types)
        panel.storage.upsert_items(NIP, [corrected_vat], "optima")
        again = http.post(f"/firma/{NIP}/zatwierdz", data={**form, "typ": "taxes"})
        page = http.get(again.headers["location"])
        third = http.post(f"/firma/{NIP}/zatwierdz", data={**form, "typ": "taxes"})

    assert again.headers["location"].endswith("&wynik=ok&ile=1&podsumowanie=aktualizacja")
    assert "Klient dostał aktualizację podsumowania" in page.text
    assert third.headers["location"].endswith("&wynik=ok&ile=0")
    first, update = (message for _, message in panel.mailbox.messages)
    assert first["Subject"].startswith("Podsumowanie za październik 2026")
    assert update["Subject"].startswith("Aktualizacja podsumowania za październik 2026")
    assert "Podatek VAT (VAT-7): 2 100,00 zł" in _text(update)


def test_a_client_cannot_open_another_company_or_the_office_pages(panel: Panel) -> None:
    _client_user(panel)
    with _browser_like(panel) as http:
        _login(http, CLIENT_LOGIN, CLIENT_PASSWORD)
        other = http.get(f"/firma/{OTHER_NIP}")
        unknown = http.get("/firma/5260250274")
        history = http.get(f"/firma/{OTHER_NIP}/historia")
        own_history = http.get(f"/firma/{NIP}/historia")
        own = http.get(f"/firma/{NIP}")
        csrf = _csrf(http.get("/"))
        approve = http.post(
            f"/firma/{NIP}/zatwierdz", data={"csrf": csrf, "okres": PERIOD, "typ": "zus"}
        )
        home = http.get("/")

    for answer in (other, unknown, history, own_history, approve):
        assert answer.status_code == 404
        assert "Nie znaleziono strony" in answer.text
        assert OTHER_COMPANY.name not in answer.text
    assert own.status_code == 303 and own.headers["location"] == "/"
    assert OTHER_COMPANY.name not in home.text and OTHER_NIP not in home.text
    assert not any(item.approved for item in panel.storage.items(NIP))


def test_a_client_sees_only_approved_items_and_cannot_mark_an_unapproved_one(panel: Panel) -> None:
    _client_user(panel)
    with _browser_like(panel) as http:
        _login(http, CLIENT_LOGIN, CLIENT_PASSWORD)
        before = http.get("/")
        _approve_october(panel)
        panel.storage.upsert_items(NIP, _november(), "optima")
        after = http.get("/")
        november = http.get(f"/?okres={NEXT_PERIOD}")
        csrf = _csrf(after)
        paid = {"csrf": csrf, "typ": "zus", "okres": NEXT_PERIOD, "zaplacone": "1"}
        refused = http.post("/zaplacone", data=paid)

    assert "Biuro nie udostępniło jeszcze żadnych danych." in before.text
    assert "1 234,56 zł" not in before.text
    assert "październik 2026" in after.text and "1 234,56 zł" in after.text
    for page in (after, november):
        assert "listopad 2026" not in page.text
        assert "1 300,11 zł" not in page.text and "7 777,00 zł" not in page.text
    assert refused.status_code == 404
    assert not any(item.paid_at for item in panel.storage.items(NIP))


def test_names_from_the_data_are_escaped(panel: Panel) -> None:
    panel.storage.upsert_company(Company(nip=OTHER_NIP, name='Zakład "Łódź" & Syn <sp. j.>'))

    with _browser_like(panel) as http:
        _login(http, OFFICE_LOGIN, OFFICE_PASSWORD)
        listed, shown = http.get("/"), http.get(f"/firma/{OTHER_NIP}")

    for page in (listed, shown):
        assert "Zakład &#34;Łódź&#34; &amp; Syn &lt;sp. j.&gt;" in page.text
        assert "<sp. j.>" not in page.text


def test_office_searches_companies_by_nip_or_name(panel: Panel) -> None:
    with _browser_like(panel) as http:
        _login(http, OFFICE_LOGIN, OFFICE_PASSWORD)
        by_nip = http.get("/", params={"q": "PL 676-272-54-37"})
        by_name = http.get("/", params={"q": "źdźbło"})
        nothing = http.get("/", params={"q": "hurtownia"})

    assert COMPANY.name in by_nip.text and OTHER_COMPANY.name not in by_nip.text
    assert OTHER_COMPANY.name in by_name.text and COMPANY.name not in by_name.text
    assert "Nie znaleziono firmy." in nothing.text


def test_activation_link_sets_the_password_once(panel: Panel) -> None:
    user = panel.auth.create_client_user(CLIENT_LOGIN, NIP)
    link = f"/aktywacja?token={panel.auth.create_activation(user.id)}"

    with _browser_like(panel) as http:
        page = http.get(link)
        token = re.search(r'name="token" value="([^"]+)"', page.text)[1]  # type: ignore[index]
        form = {"csrf": _csrf(page), "token": token}
        mismatch = http.post("/aktywacja", data={**form, "haslo": "a" * 12, "haslo2": "b" * 12})
        short = http.post("/aktywacja", data={**form, "haslo": "krótkie", "haslo2": "krótkie"})
        good = {**form, "haslo": CLIENT_PASSWORD, "haslo2": CLIENT_PASSWORD}
        done = http.post("/aktywacja", data=good)
        again = http.get(link)
        reused = http.post("/aktywacja", data={**good, "haslo": "Inne-haslo-123"})
        logged_in = _login(http, CLIENT_LOGIN, CLIENT_PASSWORD)

    assert page.status_code == 200 and CLIENT_LOGIN in page.text
    assert mismatch.status_code == 400 and "Hasła nie są takie same." in mismatch.text
    assert short.status_code == 400 and "Hasło musi mieć co najmniej 10 znaków." in short.text
    assert done.status_code == 303 and done.headers["location"] == "/logowanie?aktywowano=1"
    for refused in (again, reused):
        assert refused.status_code == 410
        assert "Link aktywacyjny jest nieważny, wygasł albo został już użyty." in refused.text
    assert logged_in.status_code == 303


def test_an_expired_activation_link_is_refused(panel: Panel) -> None:
    user = panel.auth.create_client_user(CLIENT_LOGIN, NIP)
    token = panel.auth.create_activation(user.id, valid_for=timedelta(seconds=-1))

    with _browser_like(panel) as http:
        answer = http.get("/aktywacja", params={"token": token})

    assert answer.status_code == 410
    assert panel.auth.activate(token, CLIENT_PASSWORD) is None


def test_logout_ends_the_session_even_for_a_copied_cookie(panel: Panel) -> None:
    with _browser_like(panel) as http:
        _login(http, OFFICE_LOGIN, OFFICE_PASSWORD)
        copied = http.cookies[SESSION_COOKIE]
        csrf = _csrf(http.get("/"))
        out = http.post("/wyloguj", data={"csrf": csrf})
    with _browser_like(panel) as thief:
        thief.cookies.set(SESSION_COOKIE, copied)
        answer = thief.get("/")

    assert out.status_code == 303 and out.headers["location"] == "/logowanie"
    assert answer.status_code == 303 and answer.headers["location"].startswith("/logowanie")


def test_a_tampered_cookie_and_an_old_password_session_are_refused(panel: Panel) -> None:
    _client_user(panel)
    with _browser_like(panel) as http:
        _login(http, CLIENT_LOGIN, CLIENT_PASSWORD)
        cookie = http.cookies[SESSION_COOKIE]
        body, _, mac = cookie.partition(".")
        forged = body.replace(body[2], "A" if body[2] != "A" else "B", 1) + "." + mac
        user = panel.auth.user_by_name(CLIENT_LOGIN)
        assert user is not None
        panel.auth.set_password(user.id, "Zupełnie-nowe-hasło")
        after_change = http.get("/")
    with _browser_like(panel) as other:
        other.cookies.set(SESSION_COOKIE, forged)
        tampered = other.get("/")

    assert after_change.status_code == 303
    assert tampered.status_code == 303


def test_passwords_are_scrypt_hashes_and_api_tokens_are_stored_as_sha256(panel: Panel) -> None:
    token = panel.auth.create_api_token("pipeline", created_by=OFFICE_LOGIN)

    with panel.storage.engine.connect() as conn:
        stored_hash = conn.execute(
            sa.select(users.c.password_hash).where(users.c.username == OFFICE_LOGIN)
        ).scalar_one()
        stored_tokens = conn.execute(sa.select(api_tokens.c.token_sha256)).scalars().all()

    assert re.fullmatch(r"scrypt\$4096\$8\$1\$[\w-]{22}\$[\w-]{43}", stored_hash)
    assert stored_tokens == [hashlib.sha256(token.encode()).hexdigest()]
    found = panel.auth.check_api_token(token)
    assert found is not None and found.name == "pipeline"
    assert panel.auth.check_api_token(token + "x") is None
    panel.auth.revoke_api_token(found.id)
    assert panel.auth.check_api_token(token) is None


def test_logs_hold_no_password_and_no_token(panel: Panel, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    user = panel.auth.create_client_user(CLIENT_LOGIN, NIP)
    activation = panel.auth.create_activation(user.id)
    api_token = panel.auth.create_api_token("pipeline")

    with _browser_like(panel) as http:
        _login(http, OFFICE_PASSWORD, "cokolwiek-123")  # the password typed as the login
        page = http.get("/aktywacja", params={"token": activation})
        form = {"csrf": _csrf(page), "token": activation}
        http.post("/aktywacja", data={**form, "haslo": CLIENT_PASSWORD, "haslo2": CLIENT_PASSWORD})
        _login(http, CLIENT_LOGIN, CLIENT_PASSWORD)
    panel.auth.check_api_token(api_token)

    # the panel's own lines; the test's httpx client logs the URLs it asks for
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
    )
    assert "failed panel login as an unknown user" in logged
    assert f"panel login as {CLIENT_LOGIN}" in logged
    for secret in (OFFICE_PASSWORD, CLIENT_PASSWORD, activation, api_token):
        assert secret not in logged


def test_every_page_forbids_scripts_framing_and_caching(panel: Panel) -> None:
    with _browser_like(panel) as http:
        page = http.get("/logowanie")
        css = http.get("/static/panel.css")

    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


# --- what the pages say ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "word"),
    [(1, "pozycja"), (2, "pozycje"), (4, "pozycje"), (5, "pozycji"), (12, "pozycji"),
     (14, "pozycji"), (22, "pozycje"), (25, "pozycji"), (0, "pozycji"), (112, "pozycji")],
)  # fmt: skip
def test_polish_plural_after_a_number(count: int, word: str) -> None:
    assert plural_pl(count, "pozycja", "pozycje", "pozycji") == word


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(2026, 7, 1, 10, 0, tzinfo=UTC), "01.07.2026, 12:00"),  # CEST, UTC+2
        (datetime(2026, 10, 31, 23, 30, tzinfo=UTC), "01.11.2026, 00:30"),  # CET, UTC+1
    ],
)
def test_times_are_shown_on_the_warsaw_clock(moment: datetime, shown: str) -> None:
    assert moment_pl(moment) == shown


@pytest.mark.parametrize(
    ("action", "detail", "shown"),
    [
        ("approve", "4 item(s): zus, taxes, summaries", "4 pozycje: ZUS, Podatki, Podsumowania"),
        ("upload", "created 2, updated 1 (2026-09, 2026-10)",
         "nowe: 2, zmienione: 1 (wrzesień 2026, październik 2026)"),
        ("summary", "sent by email", "wysłano: e-mail"),
        ("summary", "changed figures, sent again by email+sms",
         "kwoty się zmieniły, wysłano ponownie: e-mail i SMS"),
        ("paid", "taxes VAT-7", "Podatki VAT-7"),
        ("unpaid", "zus", "ZUS"),
        ("something", "as stored", "as stored"),
    ],
)  # fmt: skip
def test_history_details_are_told_in_polish(action: str, detail: str, shown: str) -> None:
    assert event_detail_pl(action, detail) == shown


# --- the real browser --------------------------------------------------------------------------


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright; skipped when either is missing."""
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright for Python is not installed (pip install playwright)",
    )
    executable = str(CHROMIUM) if CHROMIUM.is_file() else shutil.which("chromium")
    if executable is None:
        pytest.skip(
            f"no Chromium at {CHROMIUM} nor on PATH: install Debian's "
            "(apt-get install -y chromium) or set KONEKTO_CHROMIUM"
        )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[Any, str], Path]:
    """Saves a page's screenshot as NN-name.png under $KONEKTO_SCREENSHOTS/<test id>."""
    root = (
        Path(os.environ["KONEKTO_SCREENSHOTS"]) if "KONEKTO_SCREENSHOTS" in os.environ else tmp_path
    )
    folder = root / re.sub(r"[^\w.-]+", "-", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []

    def shoot(page: Any, name: str) -> Path:
        path = folder / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        return path

    return shoot


def _decode_qr(png: bytes) -> str:
    """What a banking app reads from the code as the browser drew it."""
    [result] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return result.bytes.decode("utf-8")


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return body.get_content()


SUMMARY_LINES = (
    "Składki ZUS: 1 234,56 zł",
    "termin płatności: 16.11.2026",
    "Podatek VAT (VAT-7): 2 000,00 zł",
    "Zaliczka na podatek liniowy (PIT-5L): 567,00 zł",
    "Razem do zapłaty: 3 801,56 zł",
    "Przychód: 50 000,00 zł",
    "Dochód: 20 000,00 zł",
)
HISTORY_LINES = (
    "Anna Nowak",
    "Zatwierdzenie",
    "4 pozycje: ZUS, Podatki, Podsumowania",
    "Podsumowanie dla klienta",
    "wysłano: e-mail",
    "Zaproszenie klienta do panelu",
    "Oznaczenie jako zapłacone",
    CLIENT_LOGIN,
    "Przesłanie danych",
)

Shoot = Callable[[Any, str], Path]


def _log_in(page: Any, login: str, password: str) -> None:
    page.fill("#login", login)
    page.fill("#haslo", password)
    page.get_by_role("button", name="Zaloguj się").click()


def _office_approves_october_with_the_summary(page: Any, panel: Panel, shoot: Shoot) -> None:
    """Log in (once wrongly), see the marks, approve October with the summary ticked."""
    page.goto(f"{panel.url}/")
    assert page.url.startswith(f"{panel.url}/logowanie")
    _log_in(page, OFFICE_LOGIN, "Zle-haslo-123")
    assert page.locator(".alert.error").inner_text() == WRONG_LOGIN
    shoot(page, "logowanie-bledne-haslo")
    _log_in(page, OFFICE_LOGIN, OFFICE_PASSWORD)
    row = page.locator(f"tr[data-nip='{NIP}']")
    assert row.locator(".badge.warn").inner_text() == "do zatwierdzenia (4)"
    assert OFFICE in page.locator(".brand").inner_text()
    shoot(page, "firmy-do-zatwierdzenia")

    row.locator("a").click()
    month = page.locator(".months a", has_text="październik 2026")
    assert month.locator(".badge.warn").inner_text() == "do zatwierdzenia"
    assert page.locator("td.amount", has_text="1 234,56 zł").count() == 1
    page.get_by_role("link", name="Zatwierdź dane").click()
    dialog = page.locator("dialog[open]")
    assert "Zatwierdzić dane za październik 2026?" in dialog.inner_text()
    dialog.locator("input[name=wyslij]").check()
    shoot(page, "okno-zatwierdzania")
    dialog.get_by_role("button", name="Zatwierdź").click()

    flash = page.locator(".alert.success").inner_text()
    assert "Zatwierdzono 4 pozycje za październik 2026." in flash
    assert "Podsumowanie wysłano klientowi." in flash
    assert page.locator(".months .badge.warn").count() == 0
    assert page.locator("text=Miesiąc zatwierdzony").is_visible()
    assert "Podsumowanie dla klienta:" in page.locator(".month-head").inner_text()
    shoot(page, "miesiac-zatwierdzony")
    page.get_by_role("link", name="← Wszystkie firmy").click()
    assert page.locator(f"tr[data-nip='{NIP}'] .badge").inner_text() == "zatwierdzone"
    assert "do zatwierdzenia" in page.locator(f"tr[data-nip='{OTHER_NIP}']").inner_text()


def _summary_arrived(panel: Panel) -> None:
    """One e-mail, to the company's address, with the approved amounts; the dispatch kept."""
    [(recipients, summary)] = panel.mailbox.messages
    assert recipients == [COMPANY.email]
    assert summary["To"] == COMPANY.email and summary["From"] == SENDER
    assert summary["Subject"] == f"Podsumowanie za październik 2026 – {COMPANY.name}"
    text = _text(summary)
    assert all(line in text for line in SUMMARY_LINES), text
    [dispatch] = panel.storage.dispatches(NIP)
    assert dispatch.channel == "email"
    assert panel.storage.events(NIP)[0].actor == OFFICE_LOGIN


def _office_invites_the_client(page: Any, panel: Panel) -> str:
    """The office sends the activation link; returns the link as the e-mail carries it."""
    page.get_by_role("link", name=COMPANY.name).click()
    page.get_by_role("button", name="Wyślij link aktywacyjny").click()
    assert f"wysłano na adres {COMPANY.email}" in page.locator(".alert.success").inner_text()
    recipients, invitation = panel.mailbox.messages[1]
    assert recipients == [COMPANY.email]
    link = re.search(r"http://\S+/aktywacja\?token=\S+", _text(invitation))
    assert link and link[0].startswith(panel.url)
    return link[0]


def _client_activates_and_logs_in(page: Any, link: str, shoot: Shoot) -> None:
    page.goto(link)
    page.fill("#haslo", CLIENT_PASSWORD)
    page.fill("#haslo2", CLIENT_PASSWORD)
    shoot(page, "aktywacja-konta")
    page.get_by_role("button", name="Ustaw hasło").click()
    assert "Konto jest aktywne." in page.locator(".alert.success").inner_text()
    _log_in(page, CLIENT_LOGIN, CLIENT_PASSWORD)


def _client_sees_october_only(page: Any, panel: Panel, shoot: Shoot) -> None:
    """Payments with account, title and a QR code that reads back; results; no November."""
    assert page.locator("h1").inner_text() == COMPANY.name
    assert page.locator(".pill").all_inner_texts() == ["październik 2026"]
    zus = page.locator("article#zus").inner_text()
    for shown in ("Składki ZUS", "1 234,56 zł", "16.11.2026", NRS_SHOWN, "Składki ZUS za 10/2026"):
        assert shown in zus
    vat = page.locator("article#taxes-VAT-7").inner_text()
    for shown in ("2 000,00 zł", "25.11.2026", "Urząd Skarbowy", MICRO_ACCOUNT_SHOWN, "26M10"):
        assert shown in vat
    assert "VAT-7 za 10/2026" in vat
    assert page.locator("figure.qr svg").count() == 3
    assert "Razem do zapłaty: 3 801,56 zł" in page.locator(".total").inner_text()
    results = page.locator(".results").inner_text()
    assert all(shown in results for shown in ("50 000,00 zł", "30 000,00 zł", "20 000,00 zł"))
    body = page.locator("body").inner_text()
    assert "listopad" not in body and "1 300,11 zł" not in body and "7 777,00 zł" not in body
    assert OTHER_COMPANY.name not in body
    shoot(page, "klient-do-zaplaty")

    zus_item = next(i for i in panel.storage.items(NIP, PERIOD) if i.data_type == "zus")
    expected = payment_details(zus_item, COMPANY)
    assert expected is not None
    code = page.locator("article#zus figure.qr svg").screenshot()
    assert _decode_qr(code) == expected.qr_payload


def _client_on_a_phone(browser: Any, client: Any, panel: Panel, shoot: Shoot) -> None:
    phone = browser.new_context(
        locale="pl-PL",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        storage_state=client.storage_state(),
    )
    page = phone.new_page()
    page.goto(f"{panel.url}/")
    assert page.locator("article#zus .payment-amount").inner_text() == "1 234,56 zł"
    shoot(page, "klient-telefon")
    phone.close()


def _client_marks_zus_paid(page: Any, panel: Panel, shoot: Shoot) -> None:
    page.locator("article#zus").get_by_role("button", name="Oznacz jako zapłacone").click()
    assert "Zapłacone" in page.locator("article#zus .badge.paid").inner_text()
    assert "Pozostało do zapłaty: 2 567,00 zł" in page.locator(".total").inner_text()
    vat = page.locator("article#taxes-VAT-7")
    assert vat.get_by_role("button", name="Oznacz jako zapłacone").count() == 1
    shoot(page, "klient-zaplacone")
    paid = next(i for i in panel.storage.items(NIP, PERIOD) if i.data_type == "zus")
    assert paid.paid_by == CLIENT_LOGIN and paid.paid_at is not None


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_office_approves_with_summary_and_client_pays_in_a_real_browser(
    panel: Panel, browser: Any, screenshots: Shoot
) -> None:
    office = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 860})
    office.set_default_timeout(5000)
    page = office.new_page()
    _office_approves_october_with_the_summary(page, panel, screenshots)
    _summary_arrived(panel)
    link = _office_invites_the_client(page, panel)

    # Meanwhile the pipeline uploads November, which nobody has approved yet.
    panel.storage.upsert_items(NIP, _november(), "optima")

    client = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 900})
    client.set_default_timeout(5000)
    page = client.new_page()
    _client_activates_and_logs_in(page, link, screenshots)
    _client_sees_october_only(page, panel, screenshots)
    _client_on_a_phone(browser, client, panel, screenshots)
    _client_marks_zus_paid(page, panel, screenshots)
    page.goto(f"{panel.url}/firma/{OTHER_NIP}")
    assert page.locator("h1").inner_text() == "Nie znaleziono strony"

    page = office.new_page()
    page.goto(f"{panel.url}/firma/{NIP}/historia")
    history = page.locator("table.events").inner_text()
    assert all(line in history for line in HISTORY_LINES), history
    screenshots(page, "historia")
    client.close()
    office.close()
