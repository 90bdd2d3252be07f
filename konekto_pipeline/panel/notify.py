"""Telling an office's clients about their month: the summary by e-mail and SMS, and activation.

The panel calls a `Notifier` (its `SummaryNotifier`) when the office approves a month and asks
for the summary to go out. What the client reads is Polish and exact: amounts are integer grosze,
shown as "1 234,56 zł" in the e-mail. The SMS keeps to the GSM-7 alphabet (see `summary_sms`).

The SMTP password and the SMS gateway's token are read at send time from the environment
variables the settings name; they never appear in a log line, a message or an exception.
A client's amounts stay out of the logs too: a log line names the NIP, the period and the channel.
"""

import copy
import hashlib
import html
import ipaddress
import json
import logging
import os
import re
import smtplib
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from konekto_pipeline.domain.accounts import format_account, micro_account, validate_zus_account
from konekto_pipeline.domain.identifiers import format_nip
from konekto_pipeline.domain.money import format_pln
from konekto_pipeline.domain.periods import parse_period
from konekto_pipeline.panel.contract import Company, StoredItem

logger = logging.getLogger(__name__)

CHANNELS = frozenset({"email", "sms"})

# Nominative names. "Podsumowanie za listopad 2026" takes the accusative, which for these
# masculine inanimate nouns is the same word; the genitive ("listopada") belongs only in a date
# such as "25 listopada", and dates are written 25.11.2026 here.
MONTHS_PL = (
    "styczeń",
    "luty",
    "marzec",
    "kwiecień",
    "maj",
    "czerwiec",
    "lipiec",
    "sierpień",
    "wrzesień",
    "październik",
    "listopad",
    "grudzień",
)

# What the client sees for each tax of schemas.TAX_NAMES; an unknown name is shown as it is.
TAX_LABELS = {
    "VAT-7": "Podatek VAT (VAT-7)",
    "VAT-7K": "Podatek VAT za kwartał (VAT-7K)",
    "PIT-4": "Podatek od wynagrodzeń (PIT-4)",
    "PIT-5": "Zaliczka na podatek dochodowy (PIT-5)",
    "PIT-5L": "Zaliczka na podatek liniowy (PIT-5L)",
    "PIT-8A": "Zryczałtowany podatek dochodowy (PIT-8A)",
    "PIT-28": "Ryczałt od przychodów ewidencjonowanych (PIT-28)",
    "CIT": "Zaliczka na podatek dochodowy od osób prawnych (CIT)",
}
ZUS_LABEL = "Składki ZUS"

# The details of an item the messages show; a change in any of these (or in the amount, due
# date or account) is a change the client has to hear about, see `needs_resend`.
SHOWN_DETAILS: dict[str, tuple[str, ...]] = {
    "zus": (),
    "taxes": ("refund", "carried_forward"),
    "summaries": ("costs", "income"),
}

# GSM 03.38 basic alphabet: a text of these characters costs 160 per SMS (153 per part of a long
# one); a single other character, Polish letters included, makes it UCS-2 at 70 (67) per part.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
SMS_SINGLE_PART = 160

_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+")
_SMS_SENDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .-]{0,10}")
_PHONE_SEPARATORS = re.compile(r"[\s\-./()]")
_POLISH_NATIONAL_DIGITS = 9
_POLAND = "48"


class NotifyError(RuntimeError):
    """A notification could not be sent. The message names the server, never a secret."""


class EmailError(NotifyError):
    """The e-mail could not be sent (configuration, connection, TLS, login or refusal)."""


class SmsError(NotifyError):
    """The SMS could not be sent (configuration, connection or the gateway's refusal)."""


class PhoneNumberError(ValueError):
    """A phone number that is not a Polish number; the message does not repeat the number."""


# --- settings ----------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses, where plaintext cannot leave the machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _mailbox(text: str) -> tuple[str, str]:
    """(display name, address) of "Name <a@b.pl>" or "a@b.pl"; ValueError for anything else."""
    if "\r" in text or "\n" in text:
        raise ValueError("an e-mail address cannot contain a line break")
    name, address = parseaddr(text)
    if not _ADDRESS.fullmatch(address):
        raise ValueError(f"{text!r} is not an e-mail address like 'Biuro <biuro@example.pl>'")
    return name, address


def email_addresses(text: str) -> list[str]:
    """The addresses of a company's e-mail field, which offices often fill as "a@x.pl; b@x.pl"."""
    parts = [part.strip() for part in re.split(r"[;,]", text) if part.strip()]
    if not parts:
        raise ValueError("the e-mail address is empty")
    return [_mailbox(part)[1] for part in parts]


class SmtpSettings(_Strict):
    """The office's mail server.

    `security` is "starttls" (port 587), "ssl" (implicit TLS, usually port 465) or "none". The
    password is read from the environment variable `password_env` at send time, and login
    happens when `user` is set. The server's certificate is always verified: against the
    system's CAs, or against `ca_file` (PEM) for a server with the office's own certificate.
    Logging in without TLS is refused unless the server is on this machine. The user and the
    password must be ASCII: smtplib sends them so, and a password with Polish letters is refused
    with a clear error at send time.
    """

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = Field(default=None, min_length=1)
    password_env: str | None = Field(default=None, min_length=1)
    sender: str = Field(description='"Biuro Rachunkowe Przykład <biuro@example.pl>"')
    timeout_seconds: float = Field(default=30, gt=0)
    ca_file: Path | None = None

    @field_validator("sender")
    @classmethod
    def _sender_is_a_mailbox(cls, sender: str) -> str:
        _mailbox(sender)
        return sender

    @model_validator(mode="after")
    def _login_is_complete_and_encrypted(self) -> "SmtpSettings":
        if (self.user is None) != (self.password_env is None):
            raise ValueError("give both 'user' and 'password_env', or neither")
        if self.user and self.security == "none" and not is_loopback(self.host):
            raise ValueError(
                f"refusing to send the SMTP password unencrypted to {self.host}; "
                "use security: starttls or ssl"
            )
        return self


class SmsSettings(_Strict):
    """An HTTP SMS gateway: POST JSON {"to", "text", "from"} with a bearer token.

    The token is read from the environment variable `token_env` at send time. `url` must be
    https, except on this machine. `sender` is the name the phone shows (at most 11 letters,
    digits, spaces, dots or dashes, as gateways allow for an alphanumeric sender).
    """

    url: str = Field(min_length=1)
    token_env: str = Field(min_length=1)
    sender: str
    timeout_seconds: float = Field(default=10, gt=0)

    @field_validator("url")
    @classmethod
    def _url_is_encrypted(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            return url
        if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
            return url
        raise ValueError(f"the SMS gateway URL {url!r} must be https (http only on this machine)")

    @field_validator("sender")
    @classmethod
    def _sender_fits_an_sms(cls, sender: str) -> str:
        if not _SMS_SENDER.fullmatch(sender):
            raise ValueError(
                f"SMS sender {sender!r} must be 1-11 ASCII letters, digits, spaces, dots or dashes"
            )
        return sender


def _secret(variable: str, setting: str, error: type[NotifyError]) -> str:
    """The secret in the environment variable the settings name; the error names the variable."""
    value = os.environ.get(variable)
    if not value:
        state = "is not set" if value is None else "is empty"
        raise error(f"environment variable {variable} ({setting}) {state}")
    return value


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


# --- phone numbers -----------------------------------------------------------------------------


def normalize_phone(raw: str) -> str:
    """A Polish number as "+48" and 9 digits: "600 100 200", "+48 600-100-200", "0048600100200".

    Numbers of other countries are refused: the office's clients are Polish and an SMS abroad
    costs more. Landline numbers pass; the gateway refuses them.

    Raises:
        PhoneNumberError: not a Polish number (the message does not repeat the number).
    """
    compact = _PHONE_SEPARATORS.sub("", raw)
    if not compact:
        raise PhoneNumberError("the phone number is empty")
    if compact.startswith("+"):
        digits, international = compact[1:], True
    elif compact.startswith("00"):
        digits, international = compact[2:], True
    else:
        digits, international = compact, False
    if not (digits.isascii() and digits.isdigit()):
        raise PhoneNumberError(
            "a phone number may hold only digits, spaces, dashes, brackets and a leading + or 00"
        )

    if international or len(digits) == _POLISH_NATIONAL_DIGITS + len(_POLAND):
        if not digits.startswith(_POLAND):
            raise PhoneNumberError("only Polish numbers (+48) can get an SMS from the office")
        digits = digits[len(_POLAND) :]
    if len(digits) != _POLISH_NATIONAL_DIGITS:
        raise PhoneNumberError(
            f"a Polish phone number has 9 digits, optionally after +48; this one has {len(digits)}"
        )
    if digits.startswith("0"):
        raise PhoneNumberError("a Polish phone number does not start with 0 (after +48)")
    return f"+{_POLAND}{digits}"


# --- what the messages say ---------------------------------------------------------------------


def month_pl(period: str) -> str:
    """The month of a "YYYY-MM" period as the client reads it: "listopad 2026"."""
    year, month = parse_period(period)
    return f"{MONTHS_PL[month - 1]} {year}"


def _date_pl(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _nip_pl(nip: str) -> str:
    try:
        return format_nip(nip)
    except ValueError:
        return nip


@dataclass(frozen=True)
class _Payment:
    """One thing to pay: ZUS or a tax, with the account to pay into when it is known."""

    code: str
    label: str
    amount: int
    due_date: date | None
    account: str | None
    account_label: str
    refund: int = 0
    carried_forward: int = 0


@dataclass(frozen=True)
class _Summary:
    """What a month's summary says, built once and rendered as e-mail text, HTML and SMS."""

    month: str
    payments: tuple[_Payment, ...]
    revenue: int | None = None
    costs: int | None = None
    income: int | None = None

    @property
    def total(self) -> int:
        return sum(payment.amount for payment in self.payments)


def _detail_or_none(item: StoredItem, name: str) -> int | None:
    value = item.details.get(name)
    return value if isinstance(value, int) else None


def _detail(item: StoredItem, name: str) -> int:
    return _detail_or_none(item, name) or 0


def _zus_account(item: StoredItem) -> str | None:
    """The client's ZUS account (NRS) for display; an account of another NIP is left out."""
    if item.account is None:
        return None
    try:
        return format_account(validate_zus_account(item.account, item.nip))
    except ValueError as error:
        logger.warning("ZUS account of NIP %s left out of the summary: %s", item.nip, error)
        return None


def _tax_account(item: StoredItem) -> str | None:
    """The client's tax micro-account, computed from the NIP as every PIT, CIT and VAT is paid."""
    try:
        account = micro_account(item.nip)
    except ValueError:
        logger.warning("NIP %s is not valid; its tax micro-account is left out", item.nip)
        return None
    if item.account is not None and item.account != account:
        logger.warning(
            "%s of NIP %s carries an account other than the micro-account; the micro-account is "
            "shown",
            item.tax,
            item.nip,
        )
    return format_account(account)


def _payment(item: StoredItem) -> _Payment:
    if item.data_type == "zus":
        return _Payment(
            "ZUS", ZUS_LABEL, item.amount, item.due_date, _zus_account(item), "rachunek składkowy"
        )
    tax = item.tax or ""
    return _Payment(
        code=tax,
        label=TAX_LABELS.get(tax, tax),
        amount=item.amount,
        due_date=item.due_date,
        account=_tax_account(item),
        account_label="mikrorachunek podatkowy",
        refund=_detail(item, "refund"),
        carried_forward=_detail(item, "carried_forward"),
    )


def _check_items(company: Company, period: str, items: Sequence[StoredItem]) -> None:
    """Refuse items of another company or month: a client must never read someone else's data."""
    for item in items:
        if item.nip != company.nip:
            raise ValueError(f"an item of NIP {item.nip} is in the summary of NIP {company.nip}")
        if item.period != period:
            raise ValueError(
                f"an item of {item.period} is in the {period} summary of NIP {company.nip}"
            )


def _summary(company: Company, period: str, items: Sequence[StoredItem]) -> _Summary:
    _check_items(company, period, items)
    zus = [_payment(item) for item in items if item.data_type == "zus"]
    taxes = sorted(
        (_payment(item) for item in items if item.data_type == "taxes"),
        key=lambda payment: (payment.due_date or date.max, payment.code),
    )
    results = next((item for item in items if item.data_type == "summaries"), None)
    if results is None:
        return _Summary(month_pl(period), (*zus, *taxes))
    return _Summary(
        month_pl(period),
        (*zus, *taxes),
        revenue=results.amount,
        costs=_detail_or_none(results, "costs"),
        income=_detail_or_none(results, "income"),
    )


def _payment_notes(payment: _Payment) -> list[str]:
    notes = []
    if payment.refund > 0:
        notes.append(f"kwota do zwrotu: {format_pln(payment.refund)}")
    if payment.carried_forward > 0:
        notes.append(
            f"nadwyżka do przeniesienia na następny okres: {format_pln(payment.carried_forward)}"
        )
    return notes


def _results_rows(summary: _Summary) -> list[tuple[str, str]]:
    rows = []
    if summary.revenue is not None:
        rows.append(("Przychód", format_pln(summary.revenue)))
    if summary.costs is not None:
        rows.append(("Koszty", format_pln(summary.costs)))
    if summary.income is not None and summary.income < 0:
        rows.append(("Strata", format_pln(-summary.income)))
    elif summary.income is not None:
        rows.append(("Dochód", format_pln(summary.income)))
    return rows


_UPDATED_NOTE = (
    "Kwoty zmieniły się od naszej poprzedniej wiadomości. Poniżej są aktualne dane; "
    "poprzednie podsumowanie prosimy uznać za nieaktualne."
)
_NOTHING_TO_PAY = "W tym miesiącu nie ma składek ZUS ani podatków do zapłaty."
_QUESTIONS = "W razie pytań prosimy o kontakt z biurem."


def _summary_text(
    office_name: str, company: Company, summary: _Summary, panel_url: str | None, updated: bool
) -> str:
    lines = [
        "Dzień dobry,",
        "",
        f"przesyłamy podsumowanie za {summary.month} dla firmy {company.name} "
        f"(NIP {_nip_pl(company.nip)}).",
    ]
    if updated:
        lines += ["", _UPDATED_NOTE]

    lines += ["", "DO ZAPŁATY", ""]
    for payment in summary.payments:
        # a zero amount (a VAT refund month) has no due date or account to act on
        lines.append(f"{payment.label}: {format_pln(payment.amount)}")
        if payment.amount and payment.due_date:
            lines.append(f"  termin płatności: {_date_pl(payment.due_date)}")
        if payment.amount and payment.account:
            lines.append(f"  {payment.account_label}: {payment.account}")
        lines += [f"  {note}" for note in _payment_notes(payment)]
        lines.append("")
    if summary.payments:
        lines.append(f"Razem do zapłaty: {format_pln(summary.total)}")
    else:
        lines.append(_NOTHING_TO_PAY)

    results = _results_rows(summary)
    if results:
        lines += ["", f"WYNIKI ZA {summary.month.upper()}", ""]
        lines += [f"{label}: {amount}" for label, amount in results]
    if panel_url:
        lines += ["", f"Szczegóły znajdą Państwo w panelu klienta: {panel_url}"]
    lines += ["", _QUESTIONS, "", "Z poważaniem", office_name, ""]
    return "\n".join(lines)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


_CELL = 'style="border:1px solid #ccc;padding:4px 8px;text-align:left"'
_AMOUNT = 'style="border:1px solid #ccc;padding:4px 8px;text-align:right;white-space:nowrap"'
_ACCOUNT = 'style="border:1px solid #ccc;padding:4px 8px;text-align:left;white-space:nowrap"'


def _html_document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="pl"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title></head>"
        f'<body style="font-family:Arial,sans-serif;font-size:14px">\n{body}\n</body></html>\n'
    )


def _payment_row(payment: _Payment) -> str:
    notes = "".join(f"<br><small>{_e(note)}</small>" for note in _payment_notes(payment))
    due = _date_pl(payment.due_date) if payment.amount and payment.due_date else ""
    account = payment.account if payment.amount and payment.account else ""
    account_cell = f"{_e(account)}<br><small>{_e(payment.account_label)}</small>" if account else ""
    return (
        f"<tr><td {_CELL}>{_e(payment.label)}{notes}</td>"
        f"<td {_AMOUNT}>{_e(format_pln(payment.amount))}</td>"
        f"<td {_CELL}>{_e(due)}</td><td {_ACCOUNT}>{account_cell}</td></tr>"
    )


def _summary_html(
    office_name: str, company: Company, summary: _Summary, panel_url: str | None, updated: bool
) -> str:
    parts = [
        "<p>Dzień dobry,</p>",
        f"<p>przesyłamy podsumowanie za {_e(summary.month)} dla firmy "
        f"<strong>{_e(company.name)}</strong> (NIP {_e(_nip_pl(company.nip))}).</p>",
    ]
    if updated:
        parts.append(f"<p><strong>{_e(_UPDATED_NOTE)}</strong></p>")

    parts.append("<h2>Do zapłaty</h2>")
    if summary.payments:
        head = "".join(
            f"<th {_CELL}>{_e(label)}</th>"
            for label in ("Tytuł", "Kwota", "Termin płatności", "Numer rachunku")
        )
        rows = "\n".join(_payment_row(payment) for payment in summary.payments)
        total = (
            f"<tr><th {_CELL}>Razem do zapłaty</th>"
            f"<th {_AMOUNT}>{_e(format_pln(summary.total))}</th><td></td><td></td></tr>"
        )
        parts.append(
            '<table style="border-collapse:collapse">'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n<tfoot>{total}</tfoot>"
            "</table>"
        )
    else:
        parts.append(f"<p>{_e(_NOTHING_TO_PAY)}</p>")

    results = _results_rows(summary)
    if results:
        parts.append(f"<h2>Wyniki za {_e(summary.month)}</h2>")
        rows = "".join(
            f"<tr><td {_CELL}>{_e(label)}</td><td {_AMOUNT}>{_e(amount)}</td></tr>"
            for label, amount in results
        )
        parts.append(f'<table style="border-collapse:collapse">{rows}</table>')
    if panel_url:
        parts.append(
            f'<p>Szczegóły znajdą Państwo w <a href="{_e(panel_url)}">panelu klienta</a>.</p>'
        )
    parts.append(f"<p>{_e(_QUESTIONS)}</p>")
    parts.append(f"<p>Z poważaniem<br>{_e(office_name)}</p>")
    return "\n".join(parts)


def _check_link(link: str) -> str:
    """An http(s) link, so a javascript: or file: address never reaches a client's mail."""
    parts = urlsplit(link)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in link)
    ):
        raise ValueError(f"link {link!r} is not an http(s) address")
    return link


def _message(subject: str, text: str, html_body: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message.set_content(text)
    message.add_alternative(_html_document(subject, html_body), subtype="html")
    return message


def summary_email(
    office_name: str,
    company: Company,
    period: str,
    items: Sequence[StoredItem],
    panel_url: str | None = None,
    *,
    updated: bool = False,
) -> EmailMessage:
    """The month's summary as an e-mail, text and HTML: what to pay, by when, where; the results.

    `updated` marks a summary sent again because figures the client already had changed. The
    message has no From or To; `EmailSender.send` sets them.
    """
    summary = _summary(company, period, items)
    link = _check_link(panel_url) if panel_url else None
    heading = "Aktualizacja podsumowania" if updated else "Podsumowanie"
    subject = f"{heading} za {summary.month} – {company.name}"
    return _message(
        subject,
        _summary_text(office_name, company, summary, link, updated),
        _summary_html(office_name, company, summary, link, updated),
    )


def _pln_sms(grosze: int) -> str:
    """An amount for an SMS: "1 234,56 PLN", since the ł of "zł" would make the SMS UCS-2."""
    return format_pln(grosze).removesuffix(" zł") + " PLN"


def summary_sms(
    company: Company, period: str, items: Sequence[StoredItem], *, updated: bool = False
) -> str:
    """The month's summary in one SMS: what to transfer, by when, and the total.

    Polish letters are not transliterated ("zaplaty" would be a misspelling). Instead the text
    uses only Polish words that have no diacritics, the month as 11/2026 and amounts in PLN, so
    it stays GSM-7: 160 characters per SMS rather than 70 for UCS-2. Names (the company's, the
    office's) are left out for the same reason; the gateway's sender name says who writes. A
    month with ZUS and two or three taxes fits one SMS; a longer one goes as a multipart SMS.
    """
    summary = _summary(company, period, items)
    year, month = parse_period(period)
    heading = "Aktualizacja podsumowania" if updated else "Podsumowanie"
    payable = [payment for payment in summary.payments if payment.amount > 0]

    text = f"{heading} za {month:02d}/{year}."
    if payable:
        lines = [
            f"{payment.code} {_pln_sms(payment.amount)}"
            + (f" do {payment.due_date:%d.%m}" if payment.due_date else "")
            for payment in payable
        ]
        text += f" Do przelewu: {'; '.join(lines)}. Razem {_pln_sms(summary.total)}."
    else:
        text += " Nic do przelewu."
    for payment in summary.payments:
        if payment.refund > 0:
            text += f" Zwrot {payment.code}: {_pln_sms(payment.refund)}."
    return text


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 basic alphabet (160 characters per SMS)."""
    return all(character in GSM7_BASIC for character in text)


def activation_email(
    office_name: str, company: Company, link: str, login: str | None = None
) -> EmailMessage:
    """The e-mail inviting a new client to activate their account in the office's client panel;
    it names the login when the office gave one."""
    link = _check_link(link)
    subject = f"Aktywacja konta w panelu klienta – {office_name}"
    intro = (
        f"założyliśmy dla firmy {company.name} (NIP {_nip_pl(company.nip)}) konto w naszym "
        "panelu klienta. W panelu znajdą Państwo kwoty składek ZUS i podatków do zapłaty, "
        "terminy płatności oraz podsumowania kolejnych miesięcy."
    )
    invite = "Aby aktywować konto, prosimy otworzyć poniższy link:"
    if login:
        intro += f" Login do panelu: {login}"
    ignore = (
        "Jeśli nie spodziewali się Państwo tej wiadomości, prosimy ją zignorować "
        "lub skontaktować się z biurem."
    )
    text = "\n".join(
        ["Dzień dobry,", "", intro, "", invite, link, "", ignore, "", "Z poważaniem", office_name]
    )
    html_body = "\n".join(
        [
            "<p>Dzień dobry,</p>",
            f"<p>{_e(intro)}</p>",
            f'<p>{_e(invite)}<br><a href="{_e(link)}">{_e(link)}</a></p>',
            f"<p>{_e(ignore)}</p>",
            f"<p>Z poważaniem<br>{_e(office_name)}</p>",
        ]
    )
    return _message(subject, text + "\n", html_body)


# --- telling the client again ------------------------------------------------------------------


def _figure_key(item: StoredItem) -> str:
    return f"{item.data_type}:{item.tax}" if item.tax else item.data_type


def _figure_digest(item: StoredItem) -> str:
    """A digest of what the client reads about an item; other fields (source, ...) do not count."""
    shown = {
        "amount": item.amount,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "account": item.account,
        **{name: item.details.get(name) for name in SHOWN_DETAILS[item.data_type]},
    }
    canonical = json.dumps(shown, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def sent_figures(items: Iterable[StoredItem]) -> dict[str, str]:
    """What a sent summary told the client, per item ("zus", "taxes:VAT-7", "summaries").

    Store it (it is JSON) with the dispatch of the company's month, and pass it to `needs_resend`.
    """
    return {_figure_key(item): _figure_digest(item) for item in items if item.approved}


def needs_resend(sent: Mapping[str, str] | None, current_items: Iterable[StoredItem]) -> bool:
    """True when a figure the client was sent has changed and the new figure is approved.

    How the panel uses it: when a summary goes out, it stores `sent_figures(items)` with the
    dispatch. After each approval of a month that has a dispatch, it calls
    `needs_resend(stored, items of the month)`; on True it sends the summary again with
    `updated=True` and stores the new `sent_figures`. The next call then answers False, so the
    client hears once per change.

    - Never sent (`sent` is None or empty): False; the first summary is the office's decision.
    - While an item the client was told about is not approved (an upload changed it and the
      approval was reset), False: the client waits for the checked figure, not a half update.
    - Only what the client reads counts: amount, due date, account and the shown details.
    - An item added after the summary, or gone from the panel, is not a change of a sent figure.
    """
    if not sent:
        return False
    current = {_figure_key(item): item for item in current_items}
    told = [current[key] for key in sent if key in current]
    if any(not item.approved for item in told):
        return False
    return any(_figure_digest(item) != sent[_figure_key(item)] for item in told)


# --- sending -----------------------------------------------------------------------------------


class EmailSender:
    """Sends e-mail through the office's SMTP server (STARTTLS, SSL or plain; login if set)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._sender_address = _mailbox(settings.sender)[1]

    def send(self, message: EmailMessage, to: str) -> None:
        """Send `message` to `to` (one address, or several separated by ";" or ",").

        The message is copied and given From, To, Date and Message-ID; the caller's is unchanged.

        Raises:
            ValueError: `to` is not an e-mail address.
            EmailError: the password variable is missing, or the server cannot be reached,
                refuses the TLS certificate, the login or the message.
        """
        recipients = email_addresses(to)
        outgoing = self._addressed(message, recipients)
        settings = self.settings
        password = (
            _secret(settings.password_env, "password_env in the SMTP settings", EmailError)
            if settings.password_env
            else ""
        )
        where = f"{settings.host}:{settings.port}"
        if not (password.isascii() and (settings.user or "").isascii()):
            raise EmailError(
                f"the SMTP user or the password in {settings.password_env} has characters other "
                "than ASCII (Polish letters?); Python's smtplib logs in with ASCII only, so give "
                "the mailbox an ASCII password"
            )
        try:
            with self._connect() as smtp:
                if settings.user:
                    smtp.login(settings.user, password)
                smtp.send_message(outgoing, from_addr=self._sender_address, to_addrs=recipients)
        except smtplib.SMTPAuthenticationError as error:
            reply = _scrub(_reply_text(error), password)
            raise EmailError(
                f"SMTP server {where} refused the login of user {settings.user}: "
                f"{error.smtp_code} {reply}"
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            detail = _scrub(f"{type(error).__name__}: {error}", password)
            raise EmailError(f"could not send e-mail through {where}: {detail}") from None
        logger.debug("e-mail sent through %s to %d recipient(s)", where, len(recipients))

    def _addressed(self, message: EmailMessage, recipients: list[str]) -> EmailMessage:
        outgoing = copy.deepcopy(message)
        for header in ("From", "To", "Date", "Message-ID"):
            del outgoing[header]
        outgoing["From"] = self.settings.sender
        outgoing["To"] = ", ".join(recipients)
        outgoing["Date"] = formatdate(localtime=True)
        outgoing["Message-ID"] = make_msgid(domain=self._sender_address.rpartition("@")[2])
        return outgoing

    def _tls_context(self) -> ssl.SSLContext:
        cafile = str(self.settings.ca_file) if self.settings.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        timeout = settings.timeout_seconds
        if settings.security == "ssl":
            return smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=timeout, context=self._tls_context()
            )
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        if settings.security == "starttls":
            try:
                smtp.starttls(context=self._tls_context())
            except BaseException:
                smtp.close()
                raise
        return smtp


def _reply_text(error: smtplib.SMTPResponseException) -> str:
    reply = error.smtp_error
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


class SmsGateway(Protocol):
    """Sends one SMS; raises when it could not."""

    def send(self, phone: str, text: str) -> None:
        """Send `text` to `phone`."""
        ...


class HttpSmsGateway:
    """An SMS gateway reached by HTTP: POST {"to": "+48...", "text", "from"} with a bearer token."""

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings

    def send(self, phone: str, text: str) -> None:
        """Send `text` to the Polish number `phone` (normalised to +48 and 9 digits).

        Raises:
            PhoneNumberError: the number is not Polish.
            SmsError: the token variable is missing, the gateway is unreachable or answers
                other than 2xx. The message never holds the token.
        """
        to = normalize_phone(phone)
        if not text:
            raise ValueError("an SMS needs a text")
        settings = self.settings
        token = _secret(settings.token_env, "token_env in the SMS settings", SmsError)
        try:
            response = httpx.post(
                settings.url,
                json={"to": to, "text": text, "from": settings.sender},
                headers={"Authorization": f"Bearer {token}"},
                timeout=httpx.Timeout(settings.timeout_seconds),
            )
        except httpx.HTTPError as error:
            detail = _scrub(f"{type(error).__name__}: {error}", token)
            raise SmsError(f"SMS gateway {settings.url} could not be reached: {detail}") from None
        if not response.is_success:
            answer = _scrub(response.text[:200], token).strip()
            raise SmsError(
                f"SMS gateway {settings.url} refused the SMS: HTTP {response.status_code} "
                f"{response.reason_phrase}" + (f": {answer}" if answer else "")
            )


ChannelChoice = Callable[[Company], AbstractSet[str]] | Mapping[str, AbstractSet[str]]


def default_channels(company: Company) -> set[str]:
    """E-mail when the company has an address; SMS only when the office turns it on."""
    return {"email"} if company.email else set()


def _check_channels(channels: AbstractSet[str], nip: str) -> set[str]:
    unknown = set(channels) - CHANNELS
    if unknown:
        raise ValueError(f"unknown channels {sorted(unknown)} for NIP {nip}; use email and sms")
    return set(channels)


class Notifier:
    """The panel's `SummaryNotifier`: sends a month's summary by e-mail and/or SMS.

    `channels` says which channels are on for a client: a callable `company -> {"email", "sms"}`
    or a mapping NIP -> channels (a NIP it does not list gets the default); by default e-mail
    when the company has an address. A channel the client lacks (no address, no phone) or the
    office has not configured is skipped with a warning. A channel that fails is logged and the
    others still go; `send_summary` is True when at least one went out.

    `channel` is what the last `send_summary` in the calling thread used: "email", "sms",
    "email+sms" or "none". It is kept per thread, because the panel serves approvals in a thread
    pool and reads it right after the call.
    """

    def __init__(
        self,
        office_name: str,
        *,
        email: EmailSender | None = None,
        sms: SmsGateway | None = None,
        channels: ChannelChoice | None = None,
        panel_url: str | None = None,
    ) -> None:
        self.office_name = office_name
        self.email = email
        self.sms = sms
        self.panel_url = _check_link(panel_url) if panel_url else None
        self._by_nip: dict[str, set[str]] | None = None
        self._choose: Callable[[Company], AbstractSet[str]] = default_channels
        if isinstance(channels, Mapping):
            self._by_nip = {nip: _check_channels(on, nip) for nip, on in channels.items()}
        elif channels is not None:
            self._choose = channels
        self._last = threading.local()

    @property
    def channel(self) -> str:
        """The channels the last summary sent in this thread went by ("none" before any)."""
        return getattr(self._last, "channel", "none")

    @channel.setter
    def channel(self, value: str) -> None:
        self._last.channel = value

    def channels_for(self, company: Company) -> set[str]:
        """The channels that are on for this client."""
        if self._by_nip is not None and company.nip in self._by_nip:
            return set(self._by_nip[company.nip])
        return _check_channels(self._choose(company), company.nip)

    def send_summary(
        self,
        company: Company,
        period: str,
        items: Sequence[StoredItem],
        *,
        updated: bool = False,
    ) -> bool:
        """Send the month's approved items; True when at least one channel delivered it.

        Raises:
            ValueError: an item is not approved, or belongs to another company or month.
        """
        self.channel = "none"
        _check_items(company, period, items)
        unapproved = [_figure_key(item) for item in items if not item.approved]
        if unapproved:
            raise ValueError(f"items {unapproved} of NIP {company.nip} are not approved")
        if not items:
            return False

        chosen = self.channels_for(company)
        sent = [
            channel
            for channel in ("email", "sms")
            if channel in chosen and self._send(channel, company, period, items, updated)
        ]
        self.channel = "+".join(sent) or "none"
        return bool(sent)

    def _send(
        self,
        channel: str,
        company: Company,
        period: str,
        items: Sequence[StoredItem],
        updated: bool,
    ) -> bool:
        send = self._send_email if channel == "email" else self._send_sms
        try:
            done = send(company, period, items, updated)
        except (NotifyError, ValueError) as error:  # ValueError: a bad address or phone number
            logger.error(
                "summary of NIP %s for %s not sent by %s: %s", company.nip, period, channel, error
            )
            return False
        if done:
            logger.info("summary of NIP %s for %s sent by %s", company.nip, period, channel)
        return done

    def _send_email(
        self, company: Company, period: str, items: Sequence[StoredItem], updated: bool
    ) -> bool:
        if not company.email or self.email is None:
            missing = "the company has no e-mail address" if self.email else "no SMTP is set up"
            logger.warning("e-mail is on for NIP %s but %s", company.nip, missing)
            return False
        message = summary_email(
            self.office_name, company, period, items, self.panel_url, updated=updated
        )
        self.email.send(message, company.email)
        return True

    def _send_sms(
        self, company: Company, period: str, items: Sequence[StoredItem], updated: bool
    ) -> bool:
        if not company.phone or self.sms is None:
            missing = "the company has no phone number" if self.sms else "no SMS gateway is set up"
            logger.warning("SMS is on for NIP %s but %s", company.nip, missing)
            return False
        self.sms.send(company.phone, summary_sms(company, period, items, updated=updated))
        return True

    def send_activation(self, company: Company, link: str, login: str | None = None) -> None:
        """E-mail a new client the link that activates their panel account.

        Raises:
            ValueError: the company has no e-mail address, or the link is not http(s).
            EmailError: no SMTP is set up, or the e-mail could not be sent.
        """
        if not company.email:
            raise ValueError(f"NIP {company.nip} has no e-mail address for the activation link")
        if self.email is None:
            raise EmailError("no SMTP is set up; the activation e-mail cannot be sent")
        self.email.send(activation_email(self.office_name, company, link, login), company.email)
        logger.info("activation e-mail sent to NIP %s", company.nip)
