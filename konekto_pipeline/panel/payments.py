"""What a client needs to pay an item shown in the panel: recipient, account, title and a QR code.

The QR code follows the Polish banks' payment code, "Rekomendacja Związku Banków Polskich
dotycząca kodu dwuwymiarowego (2D), umożliwiającego realizację polecenia przelewu" (ZBP,
version 1.0 of 2013-12-03), which Polish banking apps read when they scan a code. Its text is
nine fields joined by "|":

    recipient NIP | country | account | amount | recipient name | title | reserve 1..3
    10 digits or empty | "PL" | 26 digits | 6 digits, grosze | <= 20 chars | <= 32 chars |
    <= 20, <= 12 and <= 24 chars (reserve 1 a direct-debit id, reserve 2 an Invoobill id)

at most 160 characters, UTF-8, error correction level L, printed at least 1.8 cm wide. The
recommendation itself could not be read here: the field order, the lengths, the total, UTF-8
and level L are what the public implementations agree on (marcin-orlowski/bank-qrcode-formatter
and ion-bazan/pl-qr-payment in PHP, jb0hn/PaymentQRCodeGeneratorPL in Python). The examples of
the recommendation that ion-bazan's tests reproduce have the same shape: a recipient with a NIP,
one without (the first field empty), and one whose amount "000000" the payer types in. Our
choices:

- Characters: Polish letters are allowed and case is free (UTF-8; the examples are mixed case).
  Name and title accept letters (Polish ones included), digits, space and `, . / \\ - @ # & * _`,
  the set ion-bazan keeps when it strips a field; "|" would break the fields. A field that does
  not fit raises `QrFieldError` (a ValueError naming the field): nothing is cut silently.
- Recipient NIP: left empty, as in the recommendation's example for a recipient without one.
  Each tax office has its own NIP and the micro-account does not say which office it is, and a
  wrong NIP would make banking apps refuse the code; the account identifies the recipient.
- Amounts above 9 999,99 zł do not fit the 6 digits. bank-qrcode-formatter refuses them;
  pl-qr-payment and PaymentQRCodeGeneratorPL write more digits, which no source shows a banking
  app reading. We write "000000" instead, the recommendation's own example of "amount entered by
  the payer", so the code still carries the account and the title, and `qr_note` tells the
  client to type the amount.

Where the money goes:
- Taxes (PIT, CIT, VAT) go to the taxpayer's micro-account, derived from the NIP; the recipient
  shown is "Urząd Skarbowy". A banking app may switch to its tax-transfer form for such an
  account and ask for the form symbol and period, so both are given (`tax_form_symbol`, e.g.
  "VAT-7K", and `tax_period`, e.g. "26K04").
- ZUS contributions go to the payer's NRS account from the item; without a plausible one there
  is no account and no code, and `qr_note` says why.

Titles (all within 32 characters; "11/2026" is the settled month):

    VAT-7   "VAT-7 za 11/2026"            VAT-7K  "VAT-7K za IV kwartał 2026"
    PIT-4   "PIT-4R za 11/2026"           PIT-8A  "PIT-8AR za 11/2026"
    PIT-5   "Zaliczka PIT-36 za 11/2026"  PIT-5L  "Zaliczka PIT-36L za 11/2026"
    PIT-28  "Ryczałt PIT-28 za 11/2026"   CIT     "Zaliczka CIT za 11/2026"
    ZUS     "Składki ZUS za 11/2026"

They name the form symbol a tax transfer uses (the monthly PIT-4/PIT-8A are declared yearly on
PIT-4R/PIT-8AR; no PIT-5 return is filed any more; its advance belongs to the PIT-36 return) and the
period in words a client reads. The ryczałt symbol was not checked against the current list of
micro-account symbols (Dz.U. 2025 poz. 1305), which may name it otherwise.

Known shortcomings, written here because this is where they bite:
- A partnership's (s.c., sp. j., sp. k., sp. p.) PIT advances are paid by each partner into the
  partner's own micro-account, which the panel does not know; the sources send them with the
  company's NIP. The partnership is recognised by its name only; such an item gets no account
  and no code, with a note. A partnership whose name does not say so would get the company's
  micro-account.
- PIT and CIT advances are taken as monthly; a quarterly payer's title names the last month.
"""

import io
import re
from dataclasses import dataclass
from datetime import date
from typing import TypedDict

import segno

from konekto_pipeline.domain.accounts import (
    InvalidAccount,
    format_account,
    is_valid_nrb,
    micro_account,
    validate_zus_account,
)
from konekto_pipeline.domain.identifiers import InvalidIdentifier, is_valid_nip
from konekto_pipeline.domain.money import format_pln
from konekto_pipeline.domain.periods import parse_period, quarter_of
from konekto_pipeline.panel.contract import Company, StoredItem

TAX_OFFICE = "Urząd Skarbowy"
ZUS = "ZUS"

SEPARATOR = "|"
COUNTRY = "PL"
ACCOUNT_DIGITS = 26
AMOUNT_DIGITS = 6
MAX_QR_AMOUNT = 10**AMOUNT_DIGITS - 1  # 9 999,99 zł in grosze
MAX_RECIPIENT_LENGTH = 20
MAX_TITLE_LENGTH = 32
RESERVE_LENGTHS = (20, 12, 24)
MAX_PAYLOAD_LENGTH = 160
QR_ERROR_CORRECTION = "L"
_FIELD_COUNT = 6 + len(RESERVE_LENGTHS)

_TEXT_PATTERN = re.compile(r"[0-9A-Za-ząćęłńóśźżĄĆĘŁŃÓŚŹŻ ,./\\\-@#&*_]*")
_ROMAN_QUARTERS = ("I", "II", "III", "IV")


@dataclass(frozen=True)
class _Tax:
    """How one of the pipeline's tax names is paid: form symbol, title wording, quarterly."""

    symbol: str
    title_prefix: str
    quarterly: bool = False


_TAXES: dict[str, _Tax] = {
    "VAT-7": _Tax("VAT-7", "VAT-7"),
    "VAT-7K": _Tax("VAT-7K", "VAT-7K", quarterly=True),
    "PIT-4": _Tax("PIT-4R", "PIT-4R"),
    "PIT-8A": _Tax("PIT-8AR", "PIT-8AR"),
    "PIT-5": _Tax("PIT-36", "Zaliczka PIT-36"),
    "PIT-5L": _Tax("PIT-36L", "Zaliczka PIT-36L"),
    "PIT-28": _Tax("PIT-28", "Ryczałt PIT-28"),
    "CIT": _Tax("CIT", "Zaliczka CIT"),
}

# Taxes the partners of a partnership pay themselves, each into their own micro-account.
_PARTNERS_OWN_TAXES = frozenset({"PIT-5", "PIT-5L", "PIT-28"})
_PARTNERSHIP_NAME = re.compile(
    r"\bs\.\s?c\.|\bsp\.\s?[jkp]\.|spółka (cywilna|jawna|komandytowa|partnerska)",
    re.IGNORECASE,
)

# Notes for the client, in Polish.
_NOTE_AMOUNT_TOO_LARGE = (
    "Kod QR nie zawiera kwoty: standard kodów płatności banków mieści najwyżej 9 999,99 zł. "
    "Wpisz kwotę w aplikacji banku ręcznie."
)
_NOTE_NO_ZUS_ACCOUNT = (
    "Brak numeru rachunku składkowego ZUS w danych biura. Numer znajdziesz w eZUS (PUE ZUS) "
    "albo zapytaj biuro."
)
_NOTE_WRONG_ZUS_ACCOUNT = (
    "Numer rachunku składkowego w danych biura nie jest rachunkiem ZUS tej firmy. Zapytaj biuro "
    "o właściwy numer."
)
_NOTE_BAD_NIP = "NIP firmy w danych biura jest niepoprawny, więc nie da się ustalić mikrorachunku."
_NOTE_WRONG_TAX_ACCOUNT = (
    "Numer rachunku w danych biura nie jest mikrorachunkiem podatkowym tej firmy. Zapytaj biuro."
)
_NOTE_PARTNERS = (
    "Zaliczki na podatek dochodowy wspólników spółki wpłaca każdy wspólnik na swój mikrorachunek "
    "podatkowy (z własnego NIP lub PESEL). Zapytaj biuro o kwotę każdego wspólnika."
)
_NOTE_UNKNOWN_TAX = "Biuro nie podało danych do przelewu dla tego podatku. Zapytaj biuro."


class QrFieldError(ValueError):
    """A payment-code field that the ZBP standard does not allow; `field` names it."""

    def __init__(self, field: str, reason: str) -> None:
        """Builds the message "QR field '<field>': <reason>"."""
        super().__init__(f"QR field {field!r}: {reason}")
        self.field = field
        self.reason = reason


class QrFields(TypedDict):
    """The fields of a payment code, as `parse_qr_payload` returns them; amount in grosze."""

    recipient_nip: str
    country: str
    account: str
    amount: int
    recipient: str
    title: str
    reserve_1: str
    reserve_2: str
    reserve_3: str


@dataclass(frozen=True)
class PaymentDetails:
    """The transfer a client makes for one item: what the panel shows beside it.

    `account` and `formatted_account` are None when the office's data gives no account the
    money can safely go to; `qr_payload` is None when no code can be made, and `qr_note` then
    says why (in Polish, for the client). A code without the amount (above 9 999,99 zł) has a
    payload and a note. `amount` is in grosze.
    """

    recipient_name: str
    account: str | None
    formatted_account: str | None
    amount: int
    title: str
    due_date: date | None
    qr_payload: str | None
    qr_note: str | None = None
    tax_form_symbol: str | None = None
    tax_period: str | None = None

    @property
    def amount_text(self) -> str:
        """The amount as the client reads it, "1 476,32 zł"."""
        return format_pln(self.amount)


def payment_details(item: StoredItem, company: Company) -> PaymentDetails | None:
    """The transfer for a ZUS or tax item; None for a summary or when nothing is to be paid.

    An amount of zero or less (nothing due, or an excess refunded or carried forward) has no
    transfer.

    Raises:
        ValueError: the item belongs to another company than `company`.
    """
    if item.nip != company.nip:
        raise ValueError("The item belongs to another company than the one given")
    if item.data_type == "summaries" or item.amount <= 0:
        return None

    if item.data_type == "zus":
        return _zus_details(item)
    return _tax_details(item, company)


def _zus_details(item: StoredItem) -> PaymentDetails:
    """Contributions into the payer's NRS account from the item, if it is plausible."""
    account, note = _zus_account(item)
    return _details(item, ZUS, account, zus_title(item.period), note)


def _zus_account(item: StoredItem) -> tuple[str | None, str | None]:
    """The item's NRS account, or None and the note saying why it cannot be used."""
    if item.account is None:
        return None, _NOTE_NO_ZUS_ACCOUNT
    try:
        return validate_zus_account(item.account, item.nip), None
    except (InvalidAccount, InvalidIdentifier):
        return None, _NOTE_WRONG_ZUS_ACCOUNT


def _tax_details(item: StoredItem, company: Company) -> PaymentDetails:
    """A tax into the company's micro-account, with the symbol and period of a tax transfer."""
    tax_name = item.tax or ""
    tax = _TAXES.get(tax_name)
    if tax is None:
        title = f"{tax_name} za {_month_words(item.period)}"
        return _details(item, TAX_OFFICE, None, title, _NOTE_UNKNOWN_TAX)

    account, note = _tax_account(item, company)
    return _details(
        item,
        TAX_OFFICE,
        account,
        tax_title(tax_name, item.period),
        note,
        tax_form_symbol=tax.symbol,
        tax_period=tax_period(tax_name, item.period),
    )


def _tax_account(item: StoredItem, company: Company) -> tuple[str | None, str | None]:
    """The company's micro-account, or None and the note saying why it cannot be used.

    An account sent with the item must be this same micro-account; any other is not shown,
    since a tax paid into it would not count as paid.
    """
    if item.tax in _PARTNERS_OWN_TAXES and _PARTNERSHIP_NAME.search(company.name):
        return None, _NOTE_PARTNERS
    try:
        derived = micro_account(item.nip)
    except InvalidIdentifier:
        return None, _NOTE_BAD_NIP

    if item.account is not None and item.account != derived:
        return None, _NOTE_WRONG_TAX_ACCOUNT
    return derived, None


def _details(
    item: StoredItem,
    recipient: str,
    account: str | None,
    title: str,
    note: str | None,
    *,
    tax_form_symbol: str | None = None,
    tax_period: str | None = None,
) -> PaymentDetails:
    """Assembles the details; the code carries the amount only when it fits 6 digits."""
    payload = None
    if account is not None:
        fits = item.amount <= MAX_QR_AMOUNT
        note = note if fits else _NOTE_AMOUNT_TOO_LARGE
        payload = qr_payload(
            account=account,
            amount=item.amount if fits else 0,
            recipient=recipient,
            title=title,
        )

    return PaymentDetails(
        recipient_name=recipient,
        account=account,
        formatted_account=None if account is None else format_iban(account),
        amount=item.amount,
        title=title,
        due_date=item.due_date,
        qr_payload=payload,
        qr_note=note,
        tax_form_symbol=tax_form_symbol,
        tax_period=tax_period,
    )


def format_iban(account: str) -> str:
    """Formats a 26-digit account the IBAN way, "PL61 1090 1014 0000 0712 1981 2874".

    Raises:
        InvalidAccount: the number is not 26 digits or its check digits are wrong.
    """
    return COUNTRY + format_account(account)


def tax_title(tax: str, period: str) -> str:
    """The transfer title of a tax for a month, e.g. "Zaliczka PIT-36 za 11/2026".

    A VAT-7K names the quarter of `period` (any of its months): "VAT-7K za IV kwartał 2026".

    Raises:
        ValueError: the tax is not one of the pipeline's tax names, or the period is malformed.
    """
    spec = _tax_spec(tax)
    when = _quarter_words(period) if spec.quarterly else _month_words(period)
    return f"{spec.title_prefix} za {when}"


def zus_title(period: str) -> str:
    """The transfer title of a month's ZUS contributions, "Składki ZUS za 11/2026"."""
    return f"Składki ZUS za {_month_words(period)}"


def tax_period(tax: str, period: str) -> str:
    """The period as a tax transfer writes it: "26M11" for 11/2026, "26K04" for its quarter.

    Raises:
        ValueError: the tax is not one of the pipeline's tax names, or the period is malformed.
    """
    year, month = parse_period(period)
    if _tax_spec(tax).quarterly:
        return f"{year % 100:02d}K{quarter_of(period):02d}"
    return f"{year % 100:02d}M{month:02d}"


def _tax_spec(tax: str) -> _Tax:
    """The payment facts of a tax name; ValueError for a name the module does not know."""
    if tax not in _TAXES:
        raise ValueError(f"Unknown tax {tax!r}; expected one of {tuple(_TAXES)}")
    return _TAXES[tax]


def _month_words(period: str) -> str:
    """ "2026-11" -> "11/2026"."""
    year, month = parse_period(period)
    return f"{month:02d}/{year}"


def _quarter_words(period: str) -> str:
    """ "2026-11" -> "IV kwartał 2026"."""
    year, _ = parse_period(period)
    return f"{_ROMAN_QUARTERS[quarter_of(period) - 1]} kwartał {year}"


def qr_payload(
    *, account: str, amount: int, recipient: str, title: str, recipient_nip: str = ""
) -> str:
    """The text of a ZBP payment code; `amount` in grosze, 0 meaning "the payer types it".

    Raises:
        QrFieldError: a field the standard does not allow (too long, a character outside its
            set, an account with wrong check digits, an amount above 999 999 grosze, ...).
    """
    fields = QrFields(
        recipient_nip=recipient_nip,
        country=COUNTRY,
        account=account,
        amount=amount,
        recipient=recipient,
        title=title,
        reserve_1="",
        reserve_2="",
        reserve_3="",
    )
    _check_fields(fields)
    return _join(fields)


def parse_qr_payload(payload: str) -> QrFields:
    """Reads the fields of a ZBP payment code and checks them as `qr_payload` does.

    Raises:
        QrFieldError: not nine fields, or a field the standard does not allow.
    """
    parts = payload.split(SEPARATOR)
    if len(parts) != _FIELD_COUNT:
        raise QrFieldError("payload", f"has {len(parts)} fields; the standard has {_FIELD_COUNT}")

    nip, country, account, amount, recipient, title, reserve_1, reserve_2, reserve_3 = parts
    if len(amount) != AMOUNT_DIGITS or not (amount.isascii() and amount.isdigit()):
        raise QrFieldError("amount", f"must be {AMOUNT_DIGITS} digits of grosze, zero-padded")

    fields = QrFields(
        recipient_nip=nip,
        country=country,
        account=account,
        amount=int(amount),
        recipient=recipient,
        title=title,
        reserve_1=reserve_1,
        reserve_2=reserve_2,
        reserve_3=reserve_3,
    )
    _check_fields(fields)
    return fields


def _join(fields: QrFields) -> str:
    """The fields in the standard's order, the amount zero-padded to 6 digits."""
    return SEPARATOR.join(
        [
            fields["recipient_nip"],
            fields["country"],
            fields["account"],
            f"{fields['amount']:0{AMOUNT_DIGITS}d}",
            fields["recipient"],
            fields["title"],
            fields["reserve_1"],
            fields["reserve_2"],
            fields["reserve_3"],
        ]
    )


def _check_fields(fields: QrFields) -> None:
    """Raises QrFieldError for the first field the standard does not allow."""
    nip = fields["recipient_nip"]
    if nip and not (len(nip) == 10 and nip.isascii() and nip.isdigit() and is_valid_nip(nip)):
        raise QrFieldError("recipient_nip", "must be empty or a valid 10-digit NIP")
    if fields["country"] != COUNTRY:
        raise QrFieldError("country", f"must be {COUNTRY!r}")

    account = fields["account"]
    if len(account) != ACCOUNT_DIGITS or not (account.isascii() and account.isdigit()):
        raise QrFieldError("account", f"must be {ACCOUNT_DIGITS} digits without spaces or PL")
    if not is_valid_nrb(account):
        raise QrFieldError("account", "has wrong check digits (the mod-97 check fails)")

    amount = fields["amount"]
    if type(amount) is not int:
        raise QrFieldError("amount", "must be an int number of grosze")
    if not 0 <= amount <= MAX_QR_AMOUNT:
        raise QrFieldError(
            "amount", f"must be 0 to {MAX_QR_AMOUNT} grosze ({AMOUNT_DIGITS} digits)"
        )

    _check_text(fields["recipient"], "recipient", MAX_RECIPIENT_LENGTH, required=True)
    _check_text(fields["title"], "title", MAX_TITLE_LENGTH, required=True)
    for number, limit in enumerate(RESERVE_LENGTHS, start=1):
        _check_text(fields[f"reserve_{number}"], f"reserve_{number}", limit, required=False)

    if len(_join(fields)) > MAX_PAYLOAD_LENGTH:
        raise QrFieldError("payload", f"is longer than {MAX_PAYLOAD_LENGTH} characters")


def _check_text(value: str, field: str, limit: int, *, required: bool) -> None:
    """Length in characters (not UTF-8 bytes) and the standard's character set."""
    if required and not value:
        raise QrFieldError(field, "must not be empty")
    if len(value) > limit:
        raise QrFieldError(field, f"has {len(value)} characters; at most {limit} are allowed")
    if not _TEXT_PATTERN.fullmatch(value):
        outside = sorted({char for char in value if not _TEXT_PATTERN.fullmatch(char)})
        raise QrFieldError(field, f"has characters outside the standard's set: {outside}")


def _qr_code(payload: str) -> segno.QRCode:
    """The QR symbol of a checked payload: UTF-8 bytes, error correction level L as the
    recommendation asks (segno would otherwise raise the level when it fits)."""
    parse_qr_payload(payload)
    return segno.make_qr(payload, error=QR_ERROR_CORRECTION, boost_error=False, encoding="utf-8")


def qr_svg(payload: str, *, scale: int = 4) -> str:
    """The payment code as inline SVG for an HTML page (no XML declaration).

    Raises:
        QrFieldError: the payload is not a valid ZBP payment code.
    """
    return _qr_code(payload).svg_inline(scale=scale, border=4, title="Kod QR do przelewu")


def qr_png(payload: str, *, scale: int = 6) -> bytes:
    """The payment code as a PNG image; the default scale gives about 250 px, as recommended.

    Raises:
        QrFieldError: the payload is not a valid ZBP payment code.
    """
    buffer = io.BytesIO()
    _qr_code(payload).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
