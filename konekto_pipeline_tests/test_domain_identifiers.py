"""Tests for NIP, REGON and PESEL validation in konekto_pipeline.domain.identifiers.

Clients are keyed by their NIP everywhere, and the tax micro-account is derived from it, so a
wrongly accepted or wrongly rejected NIP misroutes data or money. The vectors are the ones in
the research notes (tax_rules.md section 1), each recomputed there and cross-checked with
python-stdnum.
"""

import math

import pytest

from konekto_pipeline.domain.identifiers import (
    InvalidIdentifier,
    format_nip,
    is_valid_nip,
    is_valid_pesel,
    is_valid_regon,
    normalize_nip,
    normalize_regon,
    validate_nip,
)

VALID_NIPS = [
    "8567346215",
    "7831916366",
    "5260250274",
    "6762725437",
    "6310023582",
    "5951416168",
    "8172193070",
]

NIP_SPELLINGS = [
    ("PL 8567346215", "8567346215"),
    ("pl8567346215", "8567346215"),
    ("856-734-62-15", "8567346215"),
    ("PL 856-734-62-15", "8567346215"),
    ("783-191-63-66", "7831916366"),
    ("PL 783 191 63 66", "7831916366"),
    ("856\u00a0734\u00a062\u00a015", "8567346215"),
]

# (input, words expected in the reason)
INVALID_NIPS = [
    ("8567346216", "check digit"),
    ("1234567890", "check digit"),
    ("5213870274", "check digit"),
    ("0000000000", "all zeros"),
    ("856734621", "9 digits"),
    ("85673462155", "11 digits"),
    ("856734621X", "other than digits"),
    ("DE8567346215", "other than digits"),
    ("", "empty"),
    ("PL", "empty"),
]


@pytest.mark.parametrize("nip", VALID_NIPS)
def test_valid_nip_is_accepted(nip: str) -> None:
    assert is_valid_nip(nip)
    assert validate_nip(nip) == nip


@pytest.mark.parametrize(("raw", "compact"), NIP_SPELLINGS)
def test_nip_spellings_normalise_to_the_same_compact_nip(raw: str, compact: str) -> None:
    assert normalize_nip(raw) == compact
    assert validate_nip(raw) == compact
    assert is_valid_nip(raw)


def test_normalize_nip_does_not_validate() -> None:
    assert normalize_nip("pl 123-45") == "12345"


@pytest.mark.parametrize(("raw", "reason"), INVALID_NIPS)
def test_invalid_nip_is_rejected_with_the_reason(raw: str, reason: str) -> None:
    assert not is_valid_nip(raw)

    with pytest.raises(InvalidIdentifier) as caught:
        validate_nip(raw)

    assert reason in caught.value.reason
    assert caught.value.kind == "NIP"
    assert "NIP" in str(caught.value)
    assert repr(raw) in str(caught.value)


def test_all_zero_nip_passes_the_arithmetic_but_is_rejected() -> None:
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    assert sum(w * int(d) for w, d in zip(weights, "000000000", strict=True)) % 11 == 0

    assert not is_valid_nip("0000000000")
    assert not is_valid_nip("000-000-00-00")


def test_nip_checksum_example_from_the_notes() -> None:
    # Products 48,25,42,14,9,16,30,12,7 sum to 203; 203 mod 11 = 5 = the last digit.
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    assert sum(w * int(d) for w, d in zip(weights, "856734621", strict=True)) == 203
    assert is_valid_nip("8567346215")
    assert not is_valid_nip("8567346214")


@pytest.mark.parametrize("value", [None, math.nan, float("nan"), 8567346215, 8567346215.0, b"1"])
def test_is_valid_nip_is_false_for_non_strings(value: object) -> None:
    assert is_valid_nip(value) is False


def test_invalid_identifier_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Invalid NIP '8567346216'"):
        validate_nip("8567346216")


@pytest.mark.parametrize(
    ("raw", "formatted"),
    [("8567346215", "856-734-62-15"), ("PL 783 191 63 66", "783-191-63-66")],
)
def test_format_nip_groups_digits_3_3_2_2(raw: str, formatted: str) -> None:
    assert format_nip(raw) == formatted


def test_format_nip_refuses_an_invalid_nip() -> None:
    with pytest.raises(InvalidIdentifier):
        format_nip("8567346216")


@pytest.mark.parametrize(
    "regon",
    ["123456785", "192598184", "540118203", "12345678512347", "123-456-785", " 192 598 184 "],
)
def test_valid_regon_is_accepted(regon: str) -> None:
    assert is_valid_regon(regon)


@pytest.mark.parametrize(
    "regon",
    [
        "192598183",  # wrong check digit
        "12345678612342",  # the embedded 9-digit REGON is wrong
        "12345678512348",  # wrong final check digit
        "12345678",  # 8 digits
        "1234567851234",  # 13 digits
        "12345678A",
        "000000000",  # passes the arithmetic, but is a placeholder
        "00000000000000",
        "",
    ],
)
def test_invalid_regon_is_rejected(regon: str) -> None:
    assert not is_valid_regon(regon)


@pytest.mark.parametrize("value", [None, math.nan, 123456785])
def test_is_valid_regon_is_false_for_non_strings(value: object) -> None:
    assert is_valid_regon(value) is False


def test_normalize_regon_strips_separators() -> None:
    assert normalize_regon("123-456 785") == "123456785"


@pytest.mark.parametrize("pesel", ["44051401359", "02211307589", "440514 01359"])
def test_valid_pesel_is_accepted(pesel: str) -> None:
    assert is_valid_pesel(pesel)


@pytest.mark.parametrize(
    "pesel",
    [
        "44051401358",  # wrong check digit
        "02381307589",  # check digit right, month 38 is not a date
        "4405140135",  # 10 digits
        "4405140135X",
        "",
    ],
)
def test_invalid_pesel_is_rejected(pesel: str) -> None:
    assert not is_valid_pesel(pesel)


def test_pesel_with_impossible_date_has_a_correct_check_digit() -> None:
    # Guards the vector above: it must fail on the date, not on the checksum.
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    body = "0238130758"
    check = (10 - sum(w * int(d) for w, d in zip(weights, body, strict=True)) % 10) % 10
    assert str(check) == "9"


@pytest.mark.parametrize("value", [None, math.nan, 44051401359])
def test_is_valid_pesel_is_false_for_non_strings(value: object) -> None:
    assert is_valid_pesel(value) is False
