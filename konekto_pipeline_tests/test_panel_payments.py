"""Payment details and the ZBP "2D" payment QR code that a client of the office sees per item.

The payloads are written out in full because a banking app reads them field by field: a shifted
"|" or an unpadded amount is a code that does not scan or, worse, pays a wrong amount. The key
test renders each code to PNG and decodes the image with a real QR decoder (zxing-cpp), so what
is checked is what a phone would read, not what we meant to draw.
"""

import io
import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from konekto_pipeline.domain.accounts import is_valid_nrb
from konekto_pipeline.panel.contract import Company, StoredItem
from konekto_pipeline.panel.payments import (
    PaymentDetails,
    QrFieldError,
    parse_qr_payload,
    payment_details,
    qr_payload,
    qr_png,
    qr_svg,
    tax_period,
    tax_title,
    zus_title,
)
from konekto_pipeline.schemas import TAX_NAMES

NIP = "6762725437"
MICRO_ACCOUNT = "22101000712222676272543700"  # mikrorachunek podatkowy of NIP
NRS = "46600000020260016762725437"  # the ZUS contribution account of NIP
OTHER_NRS = "16600000020260016310023582"  # the NRS of NIP 6310023582
COMPANY = Company(nip=NIP, name="Piekarnia Żółć sp. z o.o.")
SOLE_TRADER = Company(nip=NIP, name="Jan Kowalski Usługi Remontowe")


def _tax(tax: str, period: str, amount: int, **overrides: Any) -> StoredItem:
    fields: dict[str, Any] = {
        "nip": NIP,
        "data_type": "taxes",
        "period": period,
        "tax": tax,
        "kind": "D",
        "amount": amount,
        "due_date": date(2026, 12, 28),
        "account": MICRO_ACCOUNT,
        "source": "optima",
    }
    return StoredItem.create(**{**fields, **overrides})


def _zus(period: str, amount: int, account: str | None = NRS) -> StoredItem:
    return StoredItem.create(
        nip=NIP,
        data_type="zus",
        period=period,
        kind="D",
        amount=amount,
        due_date=date(2026, 12, 21),
        account=account,
        source="kedu",
    )


def _decode(png: bytes) -> str:
    """What a phone reads: the one QR code in the image, its raw bytes taken as UTF-8."""
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return results[0].bytes.decode("utf-8")


# --- payloads of the items a client pays -------------------------------------------------


@pytest.mark.parametrize(
    ("item", "company", "payload"),
    [
        (
            _tax("VAT-7", "2026-11", 512300),
            COMPANY,
            "|PL|22101000712222676272543700|512300|Urząd Skarbowy|VAT-7 za 11/2026|||",
        ),
        (
            _tax("VAT-7K", "2026-12", 98700),
            COMPANY,
            "|PL|22101000712222676272543700|098700|Urząd Skarbowy|VAT-7K za IV kwartał 2026|||",
        ),
        (
            _tax("PIT-5", "2026-11", 43100),
            SOLE_TRADER,
            "|PL|22101000712222676272543700|043100|Urząd Skarbowy|Zaliczka PIT-36 za 11/2026|||",
        ),
        (
            _zus("2026-11", 147632),
            COMPANY,
            "|PL|46600000020260016762725437|147632|ZUS|Składki ZUS za 11/2026|||",
        ),
    ],
    ids=["VAT-7", "VAT-7K", "PIT-5", "ZUS"],
)
def test_payload_has_the_nine_zbp_fields_of_the_item(
    item: StoredItem, company: Company, payload: str
) -> None:
    details = payment_details(item, company)

    assert details is not None
    assert details.qr_payload == payload
    assert details.qr_note is None


def test_tax_details_show_the_tax_office_the_micro_account_and_the_tax_transfer_fields() -> None:
    details = payment_details(_tax("VAT-7", "2026-11", 512300), COMPANY)

    assert details == PaymentDetails(
        recipient_name="Urząd Skarbowy",
        account=MICRO_ACCOUNT,
        formatted_account="PL22 1010 0071 2222 6762 7254 3700",
        amount=512300,
        title="VAT-7 za 11/2026",
        due_date=date(2026, 12, 28),
        qr_payload="|PL|22101000712222676272543700|512300|Urząd Skarbowy|VAT-7 za 11/2026|||",
        qr_note=None,
        tax_form_symbol="VAT-7",
        tax_period="26M11",
    )
    assert details.amount_text == "5 123,00 zł"


def test_tax_account_is_derived_from_the_nip_when_the_item_has_none() -> None:
    details = payment_details(_tax("CIT", "2026-03", 10000, account=None), COMPANY)

    assert details is not None
    assert details.account == MICRO_ACCOUNT
    assert is_valid_nrb(details.account)


def test_zus_details_show_zus_and_the_payers_nrs_account() -> None:
    details = payment_details(_zus("2026-11", 147632), COMPANY)

    assert details is not None
    assert (details.recipient_name, details.account) == ("ZUS", NRS)
    assert details.formatted_account == "PL46 6000 0002 0260 0167 6272 5437"
    assert (details.title, details.due_date) == ("Składki ZUS za 11/2026", date(2026, 12, 21))
    assert (details.tax_form_symbol, details.tax_period) == (None, None)


# --- titles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tax", "period", "title", "symbol", "settled"),
    [
        ("VAT-7", "2026-11", "VAT-7 za 11/2026", "VAT-7", "26M11"),
        ("VAT-7K", "2026-12", "VAT-7K za IV kwartał 2026", "VAT-7K", "26K04"),
        ("VAT-7K", "2026-02", "VAT-7K za I kwartał 2026", "VAT-7K", "26K01"),
        ("PIT-4", "2026-11", "PIT-4R za 11/2026", "PIT-4R", "26M11"),
        ("PIT-8A", "2026-11", "PIT-8AR za 11/2026", "PIT-8AR", "26M11"),
        ("PIT-5", "2026-01", "Zaliczka PIT-36 za 01/2026", "PIT-36", "26M01"),
        ("PIT-5L", "2026-11", "Zaliczka PIT-36L za 11/2026", "PIT-36L", "26M11"),
        ("PIT-28", "2026-11", "Ryczałt PIT-28 za 11/2026", "PIT-28", "26M11"),
        ("CIT", "2026-11", "Zaliczka CIT za 11/2026", "CIT", "26M11"),
    ],
)
def test_tax_title_names_the_tax_and_its_month_or_quarter(
    tax: str, period: str, title: str, symbol: str, settled: str
) -> None:
    details = payment_details(_tax(tax, period, 10000), SOLE_TRADER)

    assert tax_title(tax, period) == title
    assert tax_period(tax, period) == settled
    assert details is not None
    assert (details.title, details.tax_form_symbol, details.tax_period) == (title, symbol, settled)


def test_zus_title_names_the_month() -> None:
    assert zus_title("2027-01") == "Składki ZUS za 01/2027"


@pytest.mark.parametrize("tax", TAX_NAMES)
def test_every_tax_the_pipeline_knows_has_a_title_the_standard_accepts(tax: str) -> None:
    title = tax_title(tax, "2026-12")

    assert len(title) <= 32
    qr_payload(account=MICRO_ACCOUNT, amount=1, recipient="Urząd Skarbowy", title=title)


def test_title_of_an_unknown_tax_is_an_error() -> None:
    with pytest.raises(ValueError, match="Unknown tax 'PIT-99'"):
        tax_title("PIT-99", "2026-11")


# --- amounts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grosze", "field"),
    [(1, "000001"), (12345, "012345"), (100000, "100000"), (999999, "999999"), (0, "000000")],
)
def test_amount_is_grosze_zero_padded_to_six_digits(grosze: int, field: str) -> None:
    payload = qr_payload(account=NRS, amount=grosze, recipient="ZUS", title="Składki ZUS")

    assert payload.split("|")[3] == field
    assert parse_qr_payload(payload)["amount"] == grosze


def test_amount_above_9999_99_zl_is_left_for_the_payer_to_type() -> None:
    details = payment_details(_tax("VAT-7", "2026-11", 1_234_500), COMPANY)

    assert details is not None
    assert details.amount == 1_234_500
    assert details.qr_payload is not None
    assert details.qr_payload.split("|")[3] == "000000"
    assert details.qr_note is not None and "9 999,99 zł" in details.qr_note


def test_amount_of_exactly_9999_99_zl_is_still_in_the_code() -> None:
    details = payment_details(_zus("2026-11", 999999), COMPANY)

    assert details is not None and details.qr_payload is not None
    assert details.qr_payload.split("|")[3] == "999999"
    assert details.qr_note is None


# --- when there is nothing to pay or no safe account -------------------------------------


def test_summaries_and_items_with_nothing_to_pay_have_no_payment_details() -> None:
    summary = StoredItem.create(
        nip=NIP, data_type="summaries", period="2026-11", kind="S", amount=5_000_000, source="x"
    )

    assert payment_details(summary, COMPANY) is None
    assert payment_details(_tax("VAT-7", "2026-11", 0), COMPANY) is None
    assert payment_details(_zus("2026-11", 0), COMPANY) is None


def test_zus_item_without_an_account_has_no_code_and_says_why() -> None:
    details = payment_details(_zus("2026-11", 147632, account=None), COMPANY)

    assert details is not None
    assert (details.account, details.formatted_account, details.qr_payload) == (None, None, None)
    assert details.qr_note is not None and "rachunku składkowego" in details.qr_note
    assert details.amount == 147632


def test_zus_account_of_another_payer_is_not_shown() -> None:
    details = payment_details(_zus("2026-11", 147632, account=OTHER_NRS), COMPANY)

    assert details is not None
    assert (details.account, details.qr_payload) == (None, None)
    assert details.qr_note is not None and "nie jest rachunkiem ZUS tej firmy" in details.qr_note


def test_tax_item_with_an_account_other_than_the_micro_account_is_not_shown() -> None:
    details = payment_details(_tax("VAT-7", "2026-11", 512300, account=NRS), COMPANY)

    assert details is not None
    assert (details.account, details.qr_payload) == (None, None)
    assert details.qr_note is not None and "mikrorachunkiem" in details.qr_note


def test_company_with_an_invalid_nip_gets_no_micro_account() -> None:
    bad_nip = "1234567890"  # ten digits, wrong check digit
    company = Company(nip=bad_nip, name="Firma Z Błędnym NIP-em")
    item = _tax("VAT-7", "2026-11", 512300, nip=bad_nip, account=None)

    details = payment_details(item, company)

    assert details is not None
    assert (details.account, details.qr_payload) == (None, None)
    assert details.qr_note is not None and "NIP" in details.qr_note


@pytest.mark.parametrize(
    "name", ["Piekarnia Żółć s.c.", "Kowalscy Sp. J.", "Nowak i Syn spółka jawna", "A&B sp.k."]
)
@pytest.mark.parametrize("tax", ["PIT-5", "PIT-5L", "PIT-28"])
def test_partnership_pit_advances_have_no_account_because_partners_pay_their_own(
    name: str, tax: str
) -> None:
    details = payment_details(_tax(tax, "2026-11", 43100), Company(nip=NIP, name=name))

    assert details is not None
    assert (details.account, details.qr_payload) == (None, None)
    assert details.qr_note is not None and "wspólnik" in details.qr_note


def test_partnerships_own_taxes_still_go_to_its_micro_account() -> None:
    partnership = Company(nip=NIP, name="Piekarnia Żółć s.c.")

    for tax in ("VAT-7", "PIT-4"):
        details = payment_details(_tax(tax, "2026-11", 43100), partnership)
        assert details is not None and details.account == MICRO_ACCOUNT


def test_item_of_another_company_is_an_error() -> None:
    with pytest.raises(ValueError, match="another company"):
        payment_details(_zus("2026-11", 100), Company(nip="6310023582", name="Inna firma"))


# --- limits and errors of the code's fields ----------------------------------------------

VALID = {"account": NRS, "amount": 100, "recipient": "ZUS", "title": "Składki ZUS za 11/2026"}


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"account": NRS[:-1]}, "account"),
        ({"account": "PL" + NRS}, "account"),
        ({"account": NRS[:-2] + NRS[-1] + NRS[-2]}, "account"),  # two digits swapped
        ({"amount": 1_000_000}, "amount"),
        ({"amount": -1}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"amount": True}, "amount"),
        ({"recipient": ""}, "recipient"),
        ({"recipient": "Zakład Ubezpieczeń Społecznych"}, "recipient"),  # 30 characters
        ({"recipient": "ZUS|PL"}, "recipient"),
        ({"title": ""}, "title"),
        ({"title": "Składki ZUS za listopad 2026 r. ok"}, "title"),  # 34 characters
        ({"title": "Składki (ZUS)"}, "title"),
        ({"title": "Składki|ZUS"}, "title"),
        ({"recipient_nip": "6762725438"}, "recipient_nip"),  # wrong check digit
        ({"recipient_nip": "676-272-54-37"}, "recipient_nip"),
    ],
)
def test_a_field_the_standard_does_not_allow_is_an_error_naming_the_field(
    override: dict[str, Any], field: str
) -> None:
    with pytest.raises(QrFieldError) as raised:
        qr_payload(**{**VALID, **override})

    assert raised.value.field == field
    assert isinstance(raised.value, ValueError)


def test_limits_count_characters_not_utf8_bytes() -> None:
    recipient = "Żółć" * 5  # 20 characters, 40 bytes in UTF-8
    title = "Zażółć gęślą jaźń " + "Ż" * 14  # 32 characters, 56 bytes

    payload = qr_payload(account=NRS, amount=1, recipient=recipient, title=title)

    assert parse_qr_payload(payload)["title"] == title
    with pytest.raises(QrFieldError, match="33 characters"):
        qr_payload(account=NRS, amount=1, recipient=recipient, title=title + "Ż")


def test_recipient_nip_when_given_is_the_first_field() -> None:
    payload = qr_payload(account=NRS, amount=1, recipient="ZUS", title="x", recipient_nip=NIP)

    assert payload == "6762725437|PL|46600000020260016762725437|000001|ZUS|x|||"


# --- reading a code back -----------------------------------------------------------------


def test_parse_is_the_inverse_of_the_payload() -> None:
    payload = "|PL|22101000712222676272543700|098700|Urząd Skarbowy|VAT-7K za IV kwartał 2026|||"

    assert parse_qr_payload(payload) == {
        "recipient_nip": "",
        "country": "PL",
        "account": MICRO_ACCOUNT,
        "amount": 98700,
        "recipient": "Urząd Skarbowy",
        "title": "VAT-7K za IV kwartał 2026",
        "reserve_1": "",
        "reserve_2": "",
        "reserve_3": "",
    }


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ("|PL|46600000020260016762725437|000100|ZUS|Składki||", "payload"),  # 8 fields
        ("|PL|46600000020260016762725437|000100|ZUS|Składki||||", "payload"),  # 10 fields
        ("|PL|46600000020260016762725437|00100|ZUS|Składki|||", "amount"),
        ("|PL|46600000020260016762725437|1000000|ZUS|Składki|||", "amount"),
        ("|PL|46600000020260016762725437|0001,0|ZUS|Składki|||", "amount"),
        ("|DE|46600000020260016762725437|000100|ZUS|Składki|||", "country"),
        ("|PL|46600000020260016762725437|000100|ZUS|Składki|123456789012345678901||", "reserve_1"),
    ],
)
def test_parse_refuses_a_code_that_is_not_a_zbp_payment(payload: str, field: str) -> None:
    with pytest.raises(QrFieldError) as raised:
        parse_qr_payload(payload)

    assert raised.value.field == field


# --- the image: what a phone reads --------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "company"),
    [
        (_tax("VAT-7", "2026-11", 512300), COMPANY),
        (_tax("VAT-7K", "2026-12", 98700), COMPANY),
        (_tax("PIT-5", "2026-11", 43100), SOLE_TRADER),
        (_zus("2026-11", 147632), COMPANY),
    ],
    ids=["VAT-7", "VAT-7K", "PIT-5", "ZUS"],
)
def test_decoded_png_gives_back_the_items_account_amount_recipient_and_title(
    item: StoredItem, company: Company
) -> None:
    details = payment_details(item, company)
    assert details is not None and details.qr_payload is not None

    fields = parse_qr_payload(_decode(qr_png(details.qr_payload)))

    assert fields["account"] == details.account
    assert fields["amount"] == item.amount
    assert fields["recipient"] == details.recipient_name
    assert fields["title"] == details.title


def test_decoded_png_of_a_large_amount_asks_the_payer_for_the_amount() -> None:
    details = payment_details(_tax("VAT-7", "2026-11", 1_234_500), COMPANY)
    assert details is not None and details.qr_payload is not None

    fields = parse_qr_payload(_decode(qr_png(details.qr_payload)))

    assert (fields["account"], fields["amount"]) == (MICRO_ACCOUNT, 0)


def test_png_uses_error_correction_level_l_as_the_recommendation_asks() -> None:
    # 57 bytes: level M would fit the same symbol size, so a generator free to raise it would.
    payload = qr_payload(account=NRS, amount=100, recipient="ZUS", title="Składki ZUS")

    result = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(payload))))

    assert [barcode.ec_level for barcode in result] == ["L"]


def test_svg_is_inline_markup_with_a_title() -> None:
    svg = qr_svg(qr_payload(**VALID))

    root = ET.fromstring(svg)
    assert not svg.startswith("<?xml")
    assert root.tag.endswith("svg")
    assert [element.text for element in root if element.tag.endswith("title")] == [
        "Kod QR do przelewu"
    ]
    assert any(element.tag.endswith("path") for element in root)


@pytest.mark.parametrize("render", [qr_png, qr_svg])
def test_images_are_refused_for_a_payload_that_is_not_a_payment_code(render: Any) -> None:
    with pytest.raises(QrFieldError):
        render("https://example.com/pay")
