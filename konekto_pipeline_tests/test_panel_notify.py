"""Client notifications, delivered for real: e-mail to an SMTP server and SMS to an HTTP gateway.

The SMTP server is aiosmtpd on 127.0.0.1, speaking STARTTLS or implicit TLS with a certificate
made for the test, and AUTH LOGIN with a password from an environment variable. The SMS gateway
is an http.server on 127.0.0.1. The tests read what arrived the way a client would: the Polish
subject and text, amounts as "1 234,56 zł", due dates, the accounts to pay into, the link. They
also check that the password and the token never show up in an error.
"""

import ipaddress
import json
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic import ValidationError

from konekto_pipeline.panel.contract import Company, Item, StoredItem
from konekto_pipeline.panel.notify import (
    EmailError,
    EmailSender,
    HttpSmsGateway,
    Notifier,
    PhoneNumberError,
    SmsError,
    SmsSettings,
    SmtpSettings,
    activation_email,
    is_gsm7,
    month_pl,
    needs_resend,
    normalize_phone,
    sent_figures,
    summary_email,
    summary_sms,
)

NIP = "6762725437"
NRS = "46600000020260016762725437"  # the client's ZUS account
NRS_SHOWN = "46 6000 0002 0260 0167 6272 5437"
MICRO_ACCOUNT_SHOWN = "22 1010 0071 2222 6762 7254 3700"  # the tax micro-account of NIP
OTHER_NIP = "6310023582"
PERIOD = "2026-10"
OFFICE = "Biuro Rachunkowe Przykład"
SENDER = "Biuro Rachunkowe Przykład <biuro@example.pl>"
PANEL_URL = "https://panel.example.pl/firma/6762725437?okres=2026-10&widok=pełny"

SMTP_USER = "biuro"
SMTP_PASSWORD = "Tajne-Haslo-123"
PASSWORD_ENV = "KONEKTO_TEST_SMTP_PASSWORD"
SMS_TOKEN = "sms-token-0f9e8d7c"
TOKEN_ENV = "KONEKTO_TEST_SMS_TOKEN"

SUMMARY_SMS = (
    "Podsumowanie za 10/2026. Do przelewu: ZUS 1 234,56 PLN do 16.11; "
    "PIT-5L 567,00 PLN do 20.11; VAT-7 2 000,00 PLN do 25.11. Razem 3 801,56 PLN."
)


def _item(
    data_type: str,
    amount: int,
    *,
    tax: str | None = None,
    due: date | None = None,
    account: str | None = None,
    details: dict[str, int | str | None] | None = None,
    approved: bool = True,
    nip: str = NIP,
    period: str = PERIOD,
) -> StoredItem:
    item = Item.create(
        nip=nip,
        data_type=data_type,
        period=period,
        tax=tax,
        kind="D",
        amount=amount,
        due_date=due,
        account=account,
        source="test",
        details=details or {},
    )
    return StoredItem(**item.model_dump(), approved=approved)


def _month_items() -> list[StoredItem]:
    """October 2026 of a client paying ZUS, VAT and linear PIT: 3 801,56 zł in all."""
    return [
        _item("zus", 123456, due=date(2026, 11, 16), account=NRS),
        _item("taxes", 200000, tax="VAT-7", due=date(2026, 11, 25)),
        _item("taxes", 56700, tax="PIT-5L", due=date(2026, 11, 20)),
        _item("summaries", 5000000, details={"costs": 3000000, "income": 2000000}),
    ]


def _company(email: str | None = "jan@example.pl", phone: str | None = "600 100 200") -> Company:
    return Company(nip=NIP, name="Zakład Stolarski Łukasz Żółć", email=email, phone=phone)


def _text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def _html(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


# --- what the messages say ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "shown"),
    [
        ("2026-01", "styczeń 2026"),
        ("2026-02", "luty 2026"),
        ("2026-09", "wrzesień 2026"),
        ("2026-10", "październik 2026"),
        ("2026-11", "listopad 2026"),
        ("2026-12", "grudzień 2026"),
    ],
)
def test_month_is_named_in_polish_as_after_za(period: str, shown: str) -> None:
    assert month_pl(period) == shown


def test_summary_email_lists_each_payment_with_due_date_and_account_then_the_results() -> None:
    message = summary_email(OFFICE, _company(), PERIOD, _month_items(), PANEL_URL)

    assert message["Subject"] == "Podsumowanie za październik 2026 – Zakład Stolarski Łukasz Żółć"
    text = _text(message)
    assert text.startswith("Dzień dobry,\n\nprzesyłamy podsumowanie za październik 2026")
    assert "Składki ZUS: 1 234,56 zł\n  termin płatności: 16.11.2026\n" in text
    assert f"  rachunek składkowy: {NRS_SHOWN}\n" in text
    vat = "Podatek VAT (VAT-7): 2 000,00 zł\n  termin płatności: 25.11.2026\n"
    assert vat + f"  mikrorachunek podatkowy: {MICRO_ACCOUNT_SHOWN}\n" in text
    assert "(PIT-5L): 567,00 zł\n  termin płatności: 20.11.2026\n" in text
    assert "Razem do zapłaty: 3 801,56 zł" in text
    assert "Przychód: 50 000,00 zł\nKoszty: 30 000,00 zł\nDochód: 20 000,00 zł" in text
    assert PANEL_URL in text
    assert text.rstrip().endswith(f"Z poważaniem\n{OFFICE}")


def test_taxes_are_listed_by_due_date_after_zus() -> None:
    text = _text(summary_email(OFFICE, _company(), PERIOD, _month_items()))

    assert text.index("Składki ZUS") < text.index("(PIT-5L)") < text.index("(VAT-7)")


def test_html_part_shows_the_same_figures_and_escapes_what_comes_from_data() -> None:
    company = Company(nip=NIP, name='Kowalski & Syn <b>"Dąb"</b>', email="jan@example.pl")

    page = _html(summary_email(OFFICE, company, PERIOD, _month_items(), PANEL_URL))

    assert "Kowalski &amp; Syn &lt;b&gt;&quot;Dąb&quot;&lt;/b&gt;" in page
    assert "<b>" not in page
    assert f'href="{PANEL_URL.replace("&", "&amp;")}"' in page
    for shown in ("1 234,56 zł", "2 000,00 zł", "567,00 zł", "3 801,56 zł", "50 000,00 zł"):
        assert shown in page
    assert "16.11.2026" in page and NRS_SHOWN in page and MICRO_ACCOUNT_SHOWN in page


def test_refund_carried_forward_and_loss_are_shown() -> None:
    items = [
        _item("taxes", 0, tax="VAT-7", due=date(2026, 11, 25), details={"refund": 120000}),
        _item("summaries", 100000, details={"costs": 250000, "income": -150000}),
    ]
    carried = _item("taxes", 0, tax="VAT-7K", details={"carried_forward": 4321})

    text = _text(summary_email(OFFICE, _company(), PERIOD, [*items, carried]))

    assert "Podatek VAT (VAT-7): 0,00 zł\n  kwota do zwrotu: 1 200,00 zł" in text
    assert "nadwyżka do przeniesienia na następny okres: 43,21 zł" in text
    assert "Strata: 1 500,00 zł" in text
    assert "Dochód" not in text


def test_month_without_payments_says_so() -> None:
    items = [_item("summaries", 100000, details={"costs": 0, "income": 100000})]

    text = _text(summary_email(OFFICE, _company(), PERIOD, items))

    assert "W tym miesiącu nie ma składek ZUS ani podatków do zapłaty." in text
    assert "Razem do zapłaty" not in text


def test_updated_summary_says_the_figures_changed() -> None:
    message = summary_email(OFFICE, _company(), PERIOD, _month_items(), updated=True)

    assert message["Subject"].startswith("Aktualizacja podsumowania za październik 2026")
    assert "Kwoty zmieniły się od naszej poprzedniej wiadomości." in _text(message)


def test_zus_account_of_another_client_is_left_out_of_the_summary() -> None:
    someone_elses = "16600000020260016310023582"  # the NRS of OTHER_NIP
    items = [_item("zus", 123456, due=date(2026, 11, 16), account=someone_elses)]

    text = _text(summary_email(OFFICE, _company(), PERIOD, items))

    assert "Składki ZUS: 1 234,56 zł" in text
    assert "rachunek składkowy" not in text and "0163 1002 3582" not in text


def test_tax_goes_to_the_micro_account_even_when_the_item_names_another_account() -> None:
    items = [_item("taxes", 200000, tax="VAT-7", due=date(2026, 11, 25), account=NRS)]

    text = _text(summary_email(OFFICE, _company(), PERIOD, items))

    assert f"mikrorachunek podatkowy: {MICRO_ACCOUNT_SHOWN}" in text
    assert NRS_SHOWN not in text


@pytest.mark.parametrize(
    "stranger",
    [
        _item("taxes", 100, tax="VAT-7", nip=OTHER_NIP),
        _item("taxes", 100, tax="VAT-7", period="2026-09"),
    ],
    ids=["another company", "another month"],
)
def test_summary_refuses_an_item_of_another_company_or_month(stranger: StoredItem) -> None:
    with pytest.raises(ValueError, match="in the"):
        summary_email(OFFICE, _company(), PERIOD, [*_month_items(), stranger])
    with pytest.raises(ValueError, match="in the"):
        summary_sms(_company(), PERIOD, [*_month_items(), stranger])


@pytest.mark.parametrize("link", ["javascript:alert(1)", "file:///etc/passwd", "panel.example.pl"])
def test_links_other_than_http_are_refused(link: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        summary_email(OFFICE, _company(), PERIOD, _month_items(), link)
    with pytest.raises(ValueError, match="not an http"):
        activation_email(OFFICE, _company(), link)


def test_activation_email_carries_the_link_in_both_parts() -> None:
    link = "https://panel.example.pl/aktywacja?token=abc&firma=6762725437"

    message = activation_email(OFFICE, _company(), link)

    assert message["Subject"] == f"Aktywacja konta w panelu klienta – {OFFICE}"
    text = _text(message)
    assert "założyliśmy dla firmy Zakład Stolarski Łukasz Żółć (NIP 676-272-54-37)" in text
    assert f"Aby aktywować konto, prosimy otworzyć poniższy link:\n{link}\n" in text
    assert f'href="{link.replace("&", "&amp;")}"' in _html(message)


def test_summary_sms_fits_one_gsm7_part_and_lists_what_to_transfer() -> None:
    text = summary_sms(_company(), PERIOD, _month_items())

    assert text == SUMMARY_SMS
    assert is_gsm7(text)
    assert len(text) <= 160


def test_summary_sms_tells_a_refund_and_a_month_with_nothing_to_pay() -> None:
    items = [_item("taxes", 0, tax="VAT-7", due=date(2026, 11, 25), details={"refund": 120000})]

    text = summary_sms(_company(), PERIOD, items, updated=True)

    assert text == (
        "Aktualizacja podsumowania za 10/2026. Nic do przelewu. Zwrot VAT-7: 1 200,00 PLN."
    )
    assert is_gsm7(text)


def test_polish_letters_are_not_gsm7() -> None:
    assert not is_gsm7("1 234,56 zł")
    assert is_gsm7("1 234,56 PLN")


# --- phone numbers and settings ----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["600100200", "600 100 200", "600-100-200", "+48 600 100 200", "(+48) 600-100-200",
     "0048600100200", "48600100200", "+48600100200"],
)  # fmt: skip
def test_polish_phone_numbers_are_normalised(raw: str) -> None:
    assert normalize_phone(raw) == "+48600100200"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("+49 1512 3456789", "only Polish numbers"),
        ("0049 151 234 567", "only Polish numbers"),
        ("60010020", "has 8"),
        ("6001002001", "has 10"),
        ("+48 060 010 020", "does not start with 0"),
        ("600 100 2OO", "only digits"),
        ("", "empty"),
    ],
)
def test_other_phone_numbers_are_refused_without_repeating_them(raw: str, reason: str) -> None:
    with pytest.raises(PhoneNumberError, match=reason) as caught:
        normalize_phone(raw)

    assert not raw or raw not in str(caught.value)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"user": "biuro"}, "both 'user' and 'password_env'"),
        ({"password_env": PASSWORD_ENV}, "both 'user' and 'password_env'"),
        (
            {"host": "smtp.example.pl", "security": "none", "user": "b", "password_env": "X"},
            "unencrypted",
        ),
        ({"sender": "biuro"}, "not an e-mail address"),
        ({"tls": True}, "Extra inputs"),
    ],
)
def test_smtp_settings_refuse_incomplete_or_unsafe_login(
    fields: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        SmtpSettings.model_validate({"host": "127.0.0.1", "sender": SENDER, **fields})


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"url": "http://sms.example.pl/send"}, "must be https"),
        ({"sender": "BiuroRachunkowe"}, "1-11 ASCII"),
        ({"sender": "Biuro Żółw"}, "1-11 ASCII"),
    ],
)
def test_sms_settings_refuse_plain_http_to_another_host_and_long_senders(
    fields: dict[str, Any], problem: str
) -> None:
    settings = {"url": "https://sms.example.pl/send", "token_env": TOKEN_ENV, "sender": "Biuro"}
    with pytest.raises(ValidationError, match=problem):
        SmsSettings.model_validate({**settings, **fields})


# --- telling the client again ------------------------------------------------------------------


def _changed(items: list[StoredItem], tax: str, amount: int, approved: bool) -> list[StoredItem]:
    """The month after an upload changed one tax: its new amount, approved or not yet."""
    old = next(item for item in items if item.tax == tax)
    new = _item("taxes", amount, tax=tax, due=old.due_date, approved=approved)
    return [new if item.tax == tax else item for item in items]


def test_nothing_is_resent_for_a_month_never_sent() -> None:
    assert not needs_resend(None, _month_items())
    assert not needs_resend({}, _month_items())


def test_unchanged_month_is_not_resent() -> None:
    assert not needs_resend(sent_figures(_month_items()), _month_items())


def test_changed_amount_is_resent_once_it_is_approved_and_then_not_again() -> None:
    sent = sent_figures(_month_items())
    waiting = _changed(_month_items(), "VAT-7", 210000, approved=False)
    approved = _changed(_month_items(), "VAT-7", 210000, approved=True)

    assert not needs_resend(sent, waiting)
    assert needs_resend(sent, approved)
    assert not needs_resend(sent_figures(approved), approved)


def test_a_changed_due_date_or_account_is_resent_but_not_a_change_the_client_does_not_see() -> None:
    sent = sent_figures(_month_items())
    later = [_item("zus", 123456, due=date(2026, 11, 17), account=NRS), *_month_items()[1:]]
    other_source = [
        StoredItem(**{**item.model_dump(), "source": "another program"}) for item in _month_items()
    ]

    assert needs_resend(sent, later)
    assert not needs_resend(sent, other_source)


def test_an_item_added_after_the_summary_is_not_a_resend() -> None:
    sent = sent_figures(_month_items())
    added = [*_month_items(), _item("taxes", 30000, tax="PIT-4", due=date(2026, 11, 20))]

    assert not needs_resend(sent, added)


# --- a real SMTP server ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (certificate PEM, key PEM)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "konekto test SMTP")])
    now = datetime.now(UTC)
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.pem", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Delivery:
    """One message as the SMTP server received it."""

    mail_from: str
    recipients: list[str]
    message: EmailMessage
    over_tls: bool
    authenticated: bool


@dataclass
class Mailbox:
    """The aiosmtpd handler and authenticator: keeps what arrived and how it logged in."""

    deliveries: list[Delivery] = field(default_factory=list)
    logins: list[tuple[str, bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        over_tls = server.transport.get_extra_info("ssl_object") is not None
        delivery = Delivery(
            envelope.mail_from, list(envelope.rcpt_tos), message, over_tls, session.authenticated
        )
        self.deliveries.append(delivery)
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((mechanism, data.login))
        good = data.login == SMTP_USER.encode() and data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=good, handled=False)  # not handled: aiosmtpd answers 535


@dataclass
class SmtpServer:
    mailbox: Mailbox
    settings: SmtpSettings


StartSmtp = Callable[..., SmtpServer]


@pytest.fixture
def smtp_server(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[StartSmtp]:
    """Starts aiosmtpd on 127.0.0.1 for one security mode; the settings trust its certificate."""
    monkeypatch.setenv(PASSWORD_ENV, SMTP_PASSWORD)
    controllers: list[Controller] = []
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(*certificate)

    def start(security: str = "starttls", *, login: bool = True) -> SmtpServer:
        mailbox, port = Mailbox(), _free_port()
        options: dict[str, Any] = {
            "authenticator": mailbox.authenticate,
            "auth_exclude_mechanism": ["PLAIN"],  # so the client uses AUTH LOGIN
        }
        if security == "starttls":
            options.update(tls_context=server_tls, require_starttls=True)
        elif security == "ssl":
            # aiosmtpd counts only STARTTLS as TLS for AUTH; this session is TLS from the start
            options.update(ssl_context=server_tls, auth_require_tls=False)
        else:
            options.update(auth_require_tls=False)
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        credentials = {"user": SMTP_USER, "password_env": PASSWORD_ENV} if login else {}
        settings = SmtpSettings(
            host="127.0.0.1",
            port=port,
            security=security,
            sender=SENDER,
            timeout_seconds=5,
            ca_file=certificate[0],
            **credentials,
        )
        return SmtpServer(mailbox, settings)

    yield start
    for controller in controllers:
        controller.stop()


def test_summary_email_arrives_over_starttls_after_auth_login(smtp_server: StartSmtp) -> None:
    server = smtp_server("starttls")
    message = summary_email(OFFICE, _company(), PERIOD, _month_items(), PANEL_URL)

    EmailSender(server.settings).send(message, "jan@example.pl")

    [delivery] = server.mailbox.deliveries
    assert delivery.over_tls
    assert server.mailbox.logins == [("LOGIN", SMTP_USER.encode())] and delivery.authenticated
    assert delivery.mail_from == "biuro@example.pl"
    assert delivery.recipients == ["jan@example.pl"]
    received = delivery.message
    assert received["To"] == "jan@example.pl"
    assert received["From"] == SENDER
    assert received["Subject"] == "Podsumowanie za październik 2026 – Zakład Stolarski Łukasz Żółć"
    assert received["Message-ID"] and received["Date"]
    assert received.get_content_type() == "multipart/alternative"
    text, page = _text(received), _html(received)
    for shown in ("1 234,56 zł", "16.11.2026", NRS_SHOWN, MICRO_ACCOUNT_SHOWN, "3 801,56 zł"):
        assert shown in text and shown in page
    assert PANEL_URL in text
    assert message["To"] is None  # the caller's message is left as it was


def test_activation_email_arrives_over_implicit_tls_to_every_listed_address(
    smtp_server: StartSmtp,
) -> None:
    server = smtp_server("ssl")
    link = "https://panel.example.pl/aktywacja?token=abc"

    Notifier(OFFICE, email=EmailSender(server.settings)).send_activation(
        _company(email="jan@example.pl; księgowa@example.pl"), link
    )

    [delivery] = server.mailbox.deliveries
    assert delivery.over_tls
    assert delivery.recipients == ["jan@example.pl", "księgowa@example.pl"]
    assert delivery.message["Subject"] == f"Aktywacja konta w panelu klienta – {OFFICE}"
    assert link in _text(delivery.message) and f'href="{link}"' in _html(delivery.message)


def test_plain_smtp_on_this_machine_logs_in_without_tls(smtp_server: StartSmtp) -> None:
    server = smtp_server("none")

    EmailSender(server.settings).send(activation_email(OFFICE, _company(), PANEL_URL), "a@b.pl")

    [delivery] = server.mailbox.deliveries
    assert not delivery.over_tls
    assert delivery.authenticated


def test_wrong_password_is_a_clear_error_without_the_password(
    smtp_server: StartSmtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = smtp_server("starttls")
    monkeypatch.setenv(PASSWORD_ENV, "Zle-Haslo-999")
    message = activation_email(OFFICE, _company(), PANEL_URL)

    with pytest.raises(EmailError, match=f"refused the login of user {SMTP_USER}: 535") as caught:
        EmailSender(server.settings).send(message, "jan@example.pl")

    assert "Zle-Haslo-999" not in str(caught.value) and SMTP_PASSWORD not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert server.mailbox.deliveries == []


def test_missing_password_variable_is_named_in_the_error(
    smtp_server: StartSmtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = smtp_server("starttls")
    monkeypatch.delenv(PASSWORD_ENV)
    message = activation_email(OFFICE, _company(), PANEL_URL)

    with pytest.raises(EmailError, match=f"environment variable {PASSWORD_ENV} .* is not set"):
        EmailSender(server.settings).send(message, "jan@example.pl")


def test_password_with_polish_letters_is_refused_clearly_without_revealing_it(
    smtp_server: StartSmtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = smtp_server("starttls")
    monkeypatch.setenv(PASSWORD_ENV, "Tajne-Hasło-123")
    message = activation_email(OFFICE, _company(), PANEL_URL)

    with pytest.raises(EmailError, match=f"password in {PASSWORD_ENV} .* ASCII") as caught:
        EmailSender(server.settings).send(message, "jan@example.pl")

    assert "ł" not in str(caught.value) and "Tajne" not in str(caught.value)
    assert server.mailbox.deliveries == []


def test_untrusted_server_certificate_is_refused(smtp_server: StartSmtp) -> None:
    server = smtp_server("starttls")
    trusting_the_system_only = server.settings.model_copy(update={"ca_file": None})
    message = activation_email(OFFICE, _company(), PANEL_URL)

    with pytest.raises(EmailError, match="certificate verify failed"):
        EmailSender(trusting_the_system_only).send(message, "jan@example.pl")

    assert server.mailbox.deliveries == []


def test_server_without_starttls_is_refused_when_starttls_is_set(smtp_server: StartSmtp) -> None:
    plain = smtp_server("none", login=False)
    expecting_tls = plain.settings.model_copy(update={"security": "starttls"})
    message = activation_email(OFFICE, _company(), PANEL_URL)

    with pytest.raises(EmailError, match="STARTTLS"):
        EmailSender(expecting_tls).send(message, "jan@example.pl")

    assert plain.mailbox.deliveries == []


def test_recipient_that_is_not_an_address_is_refused_before_connecting() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=_free_port(), sender=SENDER)
    message = activation_email(OFFICE, _company(), PANEL_URL)

    with pytest.raises(ValueError, match="not an e-mail address"):
        EmailSender(settings).send(message, "jan.example.pl")


# --- a real SMS gateway ------------------------------------------------------------------------


@dataclass
class SmsRequest:
    path: str
    authorization: str | None
    body: dict[str, Any]


@dataclass
class SmsServer:
    """An HTTP SMS gateway on 127.0.0.1 that records each POST and answers `status`."""

    url: str
    requests: list[SmsRequest]
    status: int = 200


@pytest.fixture
def sms_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmsServer]:
    monkeypatch.setenv(TOKEN_ENV, SMS_TOKEN)
    requests: list[SmsRequest] = []
    state = SmsServer(url="", requests=requests)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            requests.append(SmsRequest(self.path, self.headers.get("Authorization"), body))
            # a careless gateway that echoes the request in its error
            reply = (
                b'{"id": "sms-1"}'
                if state.status < 400
                else f"internal error for {self.headers.get('Authorization')}".encode()
            )
            self.send_response(state.status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1/sms"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _sms_settings(sms: SmsServer) -> SmsSettings:
    return SmsSettings(url=sms.url, token_env=TOKEN_ENV, sender="BiuroPrzyk", timeout_seconds=5)


def test_sms_is_posted_as_json_with_the_bearer_token(sms_server: SmsServer) -> None:
    HttpSmsGateway(_sms_settings(sms_server)).send("600 100 200", SUMMARY_SMS)

    [request] = sms_server.requests
    assert request.path == "/v1/sms"
    assert request.authorization == f"Bearer {SMS_TOKEN}"
    assert request.body == {"to": "+48600100200", "text": SUMMARY_SMS, "from": "BiuroPrzyk"}


def test_gateway_error_is_clear_and_does_not_echo_the_token(sms_server: SmsServer) -> None:
    sms_server.status = 500

    with pytest.raises(SmsError, match="refused the SMS: HTTP 500") as caught:
        HttpSmsGateway(_sms_settings(sms_server)).send("600100200", "Test")

    assert SMS_TOKEN not in str(caught.value)
    assert "internal error for Bearer ***" in str(caught.value)


def test_missing_token_variable_is_named_and_nothing_is_posted(
    sms_server: SmsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV)

    with pytest.raises(SmsError, match=f"environment variable {TOKEN_ENV} .* is not set"):
        HttpSmsGateway(_sms_settings(sms_server)).send("600100200", "Test")

    assert sms_server.requests == []


def test_unreachable_gateway_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, SMS_TOKEN)
    settings = SmsSettings(
        url=f"http://127.0.0.1:{_free_port()}/v1/sms", token_env=TOKEN_ENV, sender="Biuro"
    )

    with pytest.raises(SmsError, match="could not be reached: ConnectError"):
        HttpSmsGateway(settings).send("600100200", "Test")


# --- the notifier: channels per client ---------------------------------------------------------


@pytest.mark.parametrize(
    ("channels", "sent", "channel", "emails", "sms"),
    [
        ({"email"}, True, "email", 1, 0),
        ({"sms"}, True, "sms", 0, 1),
        ({"email", "sms"}, True, "email+sms", 1, 1),
        (set(), False, "none", 0, 0),
    ],
    ids=["e-mail only", "SMS only", "both", "none"],
)
def test_summary_goes_by_the_channels_on_for_the_client(
    smtp_server: StartSmtp,
    sms_server: SmsServer,
    channels: set[str],
    sent: bool,
    channel: str,
    emails: int,
    sms: int,
) -> None:
    smtp = smtp_server("starttls")
    notifier = Notifier(
        OFFICE,
        email=EmailSender(smtp.settings),
        sms=HttpSmsGateway(_sms_settings(sms_server)),
        channels={NIP: channels},
        panel_url=PANEL_URL,
    )

    assert notifier.send_summary(_company(), PERIOD, _month_items()) is sent

    assert notifier.channel == channel
    assert len(smtp.mailbox.deliveries) == emails
    assert len(sms_server.requests) == sms
    if emails:
        assert PANEL_URL in _text(smtp.mailbox.deliveries[0].message)
    if sms:
        assert sms_server.requests[0].body["text"] == SUMMARY_SMS


@pytest.mark.parametrize(("email", "sent"), [("jan@example.pl", True), (None, False)])
def test_by_default_the_summary_goes_by_email_when_the_client_has_an_address(
    smtp_server: StartSmtp, sms_server: SmsServer, email: str | None, sent: bool
) -> None:
    smtp = smtp_server("starttls")
    notifier = Notifier(
        OFFICE, email=EmailSender(smtp.settings), sms=HttpSmsGateway(_sms_settings(sms_server))
    )

    assert notifier.send_summary(_company(email=email), PERIOD, _month_items()) is sent

    assert notifier.channel == ("email" if sent else "none")
    assert len(smtp.mailbox.deliveries) == int(sent)
    assert sms_server.requests == []


def test_a_failing_channel_does_not_stop_the_other(
    smtp_server: StartSmtp, sms_server: SmsServer
) -> None:
    smtp = smtp_server("starttls")
    sms_server.status = 500
    notifier = Notifier(
        OFFICE,
        email=EmailSender(smtp.settings),
        sms=HttpSmsGateway(_sms_settings(sms_server)),
        channels=lambda company: {"sms", "email"},
    )

    assert notifier.send_summary(_company(), PERIOD, _month_items())

    assert notifier.channel == "email"
    assert len(smtp.mailbox.deliveries) == 1 and len(sms_server.requests) == 1


def test_a_phone_number_abroad_skips_the_sms(sms_server: SmsServer) -> None:
    notifier = Notifier(
        OFFICE, sms=HttpSmsGateway(_sms_settings(sms_server)), channels={NIP: {"sms"}}
    )

    assert not notifier.send_summary(_company(phone="+49 1512 3456789"), PERIOD, _month_items())

    assert notifier.channel == "none" and sms_server.requests == []


def test_unapproved_figures_are_never_sent(smtp_server: StartSmtp) -> None:
    smtp = smtp_server("starttls")
    notifier = Notifier(OFFICE, email=EmailSender(smtp.settings))
    items = [*_month_items()[:3], _item("taxes", 30000, tax="PIT-4", approved=False)]

    with pytest.raises(ValueError, match="not approved"):
        notifier.send_summary(_company(), PERIOD, items)

    assert smtp.mailbox.deliveries == []


def test_unknown_channel_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown channels"):
        Notifier(OFFICE, channels={NIP: {"email", "fax"}})


def test_the_channel_reported_is_the_one_of_the_calling_thread(smtp_server: StartSmtp) -> None:
    smtp = smtp_server("starttls")
    notifier = Notifier(OFFICE, email=EmailSender(smtp.settings))
    seen_elsewhere: list[str] = []

    assert notifier.send_summary(_company(), PERIOD, _month_items())
    other = threading.Thread(target=lambda: seen_elsewhere.append(notifier.channel))
    other.start()
    other.join()

    assert notifier.channel == "email"
    assert seen_elsewhere == ["none"]


def test_smtp_errors_are_not_smtplib_errors(smtp_server: StartSmtp) -> None:
    """The panel and the CLI catch EmailError; smtplib's own exceptions must not leak out."""
    server = smtp_server("starttls")
    closed = server.settings.model_copy(update={"port": _free_port()})

    with pytest.raises(EmailError, match="could not send e-mail through 127.0.0.1") as caught:
        EmailSender(closed).send(activation_email(OFFICE, _company(), PANEL_URL), "a@b.pl")

    assert not isinstance(caught.value, smtplib.SMTPException | OSError)
