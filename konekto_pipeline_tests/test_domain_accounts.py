"""Tests for bank accounts in konekto_pipeline.domain.accounts.

The tax micro-account and the ZUS account (NRS) are where the office sends a client's money, so
one wrong digit is a lost payment. The vectors come from tax_rules.md section 2: micro-accounts
seen in public tests and real transfers, NRS numbers issued by ZUS, and the rejection cases.
python-stdnum's IBAN check is used as an independent second opinion on the outputs.
"""

import pytest
from stdnum import iban

from konekto_pipeline.domain.accounts import (
    InvalidAccount,
    format_account,
    is_valid_nrb,
    micro_account,
    micro_account_digits,
    normalize_account,
    validate_zus_account,
)
from konekto_pipeline.domain.identifiers import InvalidIdentifier

# (identifier, kind, micro-account as printed in the notes)
MICRO_ACCOUNTS = [
    ("7831916366", "NIP", "PL56 1010 0071 2222 7831 9163 6600"),
    ("6762725437", "NIP", "PL22 1010 0071 2222 6762 7254 3700"),
    ("5951416168", "NIP", "PL88 1010 0071 2222 5951 4161 6800"),
    ("8172193070", "NIP", "PL68 1010 0071 2222 8172 1930 7000"),
    ("44051401359", "PESEL", "PL27 1010 0071 2221 4405 1401 3590"),
    ("02211307589", "PESEL", "PL64 1010 0071 2221 0221 1307 5890"),
]

# (NIP, NRS as issued by ZUS)
ZUS_ACCOUNTS = [
    ("6762725437", "46 6000 0002 0260 0167 6272 5437"),
    ("6310023582", "16 6000 0002 0260 0163 1002 3582"),
    ("5951416168", "68 6000 0002 0260 0159 5141 6168"),
]


def _compact(printed: str) -> str:
    return printed.replace("PL", "").replace(" ", "")


def _dashed(nip: str) -> str:
    return f"{nip[:3]}-{nip[3:6]}-{nip[6:8]}-{nip[8:]}"


@pytest.mark.parametrize(("identifier", "kind", "expected"), MICRO_ACCOUNTS)
def test_micro_account_matches_the_published_number(
    identifier: str, kind: str, expected: str
) -> None:
    assert micro_account(identifier) == _compact(expected)
    assert micro_account_digits(identifier, kind) == _compact(expected)


@pytest.mark.parametrize(("identifier", "kind", "expected"), MICRO_ACCOUNTS)
def test_micro_account_passes_an_independent_iban_check(
    identifier: str, kind: str, expected: str
) -> None:
    assert iban.is_valid("PL" + micro_account(identifier))


@pytest.mark.parametrize(("identifier", "kind", "expected"), MICRO_ACCOUNTS)
def test_micro_account_displays_in_groups_of_four(
    identifier: str, kind: str, expected: str
) -> None:
    assert format_account(micro_account(identifier)) == expected.removeprefix("PL")


def test_micro_account_accepts_a_formatted_nip() -> None:
    assert micro_account("PL 783-191-63-66") == "56101000712222783191636600"


def test_micro_account_arithmetic_for_a_nip_with_a_bad_checksum() -> None:
    # 5213870274 appears in a public test as MF-generator output, but fails the NIP checksum:
    # only the account arithmetic can be tested with it.
    assert micro_account_digits("5213870274", "NIP") == _compact(
        "PL22 1010 0071 2222 5213 8702 7400"
    )
    with pytest.raises(InvalidIdentifier):
        micro_account("5213870274")


@pytest.mark.parametrize(
    "identifier",
    ["8567346216", "0000000000", "44051401358", "02381307589", "123456789", "123456789012", ""],
)
def test_micro_account_refuses_an_invalid_identifier(identifier: str) -> None:
    with pytest.raises(InvalidIdentifier):
        micro_account(identifier)


@pytest.mark.parametrize(
    ("digits", "kind"),
    [("783191636", "NIP"), ("78319163660", "NIP"), ("4405140135", "PESEL"), ("7831916366", "X")],
)
def test_micro_account_digits_refuses_wrong_length_or_kind(digits: str, kind: str) -> None:
    with pytest.raises(ValueError):
        micro_account_digits(digits, kind)


@pytest.mark.parametrize(("nip", "nrs"), ZUS_ACCOUNTS)
def test_zus_account_of_the_client_is_accepted(nip: str, nrs: str) -> None:
    assert validate_zus_account(nrs, nip) == nrs.replace(" ", "")
    assert validate_zus_account("PL" + nrs, _dashed(nip)) == nrs.replace(" ", "")


def test_zus_account_of_another_nip_is_rejected() -> None:
    with pytest.raises(InvalidAccount) as caught:
        validate_zus_account("16 6000 0002 0260 0163 1002 3582", "6762725437")

    assert "belongs to another NIP" in caught.value.reason


def test_micro_account_is_not_accepted_as_a_zus_account() -> None:
    with pytest.raises(InvalidAccount) as caught:
        validate_zus_account(micro_account("6762725437"), "6762725437")

    assert "not a ZUS account" in caught.value.reason


@pytest.mark.parametrize(
    "nrs",
    [
        "46 6000 0002 0260 0167 6272 5473",  # two digits transposed
        "47 6000 0002 0260 0167 6272 5437",  # check digits changed
    ],
)
def test_zus_account_with_bad_check_digits_is_rejected(nrs: str) -> None:
    with pytest.raises(InvalidAccount) as caught:
        validate_zus_account(nrs, "6762725437")

    assert "bad check digits" in caught.value.reason


@pytest.mark.parametrize("nrs", ["46 6000 0002 0260 0167 6272 543", "46600000020260016762725437X"])
def test_zus_account_of_wrong_length_is_rejected(nrs: str) -> None:
    with pytest.raises(InvalidAccount, match="26 digits"):
        validate_zus_account(nrs, "6762725437")


def test_zus_account_check_refuses_an_invalid_client_nip() -> None:
    with pytest.raises(InvalidIdentifier):
        validate_zus_account("46 6000 0002 0260 0167 6272 5437", "6762725438")


@pytest.mark.parametrize("nrs", [nrs for _, nrs in ZUS_ACCOUNTS])
def test_zus_accounts_pass_the_nrb_check(nrs: str) -> None:
    assert is_valid_nrb(nrs)
    assert iban.is_valid("PL" + nrs)


@pytest.mark.parametrize(
    "account",
    [
        "46 6000 0002 0260 0167 6272 5473",  # two digits transposed
        "56 1010 0071 2222 7831 9163 6601",  # last digit changed
        "84101000712221000000000000",  # placeholder seen in public code, not a real NRB
        "PL56 1010 0071 2222 7831 9163 660",  # 25 digits
        "56 1010 0071 2222 7831 9163 660A",
        "",
    ],
)
def test_invalid_nrb_is_rejected(account: str) -> None:
    assert not is_valid_nrb(account)
    assert not iban.is_valid("PL" + normalize_account(account))


@pytest.mark.parametrize("value", [None, 56101000712222783191636600, float("nan")])
def test_is_valid_nrb_is_false_for_non_strings(value: object) -> None:
    assert is_valid_nrb(value) is False


@pytest.mark.parametrize(
    ("raw", "compact"),
    [
        ("PL56 1010 0071 2222 7831 9163 6600", "56101000712222783191636600"),
        ("pl56-1010-0071-2222-7831-9163-6600", "56101000712222783191636600"),
        ("56101000712222783191636600", "56101000712222783191636600"),
    ],
)
def test_normalize_account_strips_prefix_and_separators(raw: str, compact: str) -> None:
    assert normalize_account(raw) == compact
    assert is_valid_nrb(raw)


def test_format_account_refuses_a_number_with_bad_check_digits() -> None:
    with pytest.raises(InvalidAccount, match="bad check digits"):
        format_account("56101000712222783191636601")
