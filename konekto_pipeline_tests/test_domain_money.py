"""Tests for grosze conversion and tax/ZUS rounding in konekto_pipeline.domain.money.

Python's round() rounds half to even and floats are inexact, and both give amounts one grosz or
one złoty off. The vectors are those of tax_rules.md section 4 (half-up to whole złoty for taxes,
half-up to grosze per ZUS component) and the 2025/2026 standard-base ZUS table of section 5,
whose values match ZUS's published figures.
"""

from decimal import Decimal

import pytest

from konekto_pipeline.domain.money import (
    format_pln,
    round_tax_grosze,
    round_tax_zloty,
    round_zus,
    to_grosze,
    zloty_to_grosze,
)

# (amount in złoty, whole złoty half-up, what Python's round() gives)
TAX_ROUNDING = [
    ("1234.49", 1234, 1234),
    ("1234.50", 1235, 1234),
    ("1234.51", 1235, 1235),
    ("0.50", 1, 0),
    ("2.50", 3, 2),
    ("3.50", 4, 4),
    ("43.78", 44, 44),
    ("43.12", 43, 43),
]

# (base, rate in %, contribution in grosze): 2025 base 5203.80 and 2026 base 5652.00.
ZUS_STANDARD_BASE = [
    ("5203.80", "19.52", 101578),
    ("5203.80", "8", 41630),
    ("5203.80", "2.45", 12749),
    ("5203.80", "1.67", 8690),
    ("5652.00", "19.52", 110327),
    ("5652.00", "8", 45216),
    ("5652.00", "2.45", 13847),
    ("5652.00", "1.67", 9439),
]


@pytest.mark.parametrize(
    ("value", "grosze"),
    [
        ("1476.32", 147632),
        ("1 476,32", 147632),
        ("1\u00a0476,32", 147632),
        ("1476,3", 147630),
        ("1476", 147600),
        ("-12,05", -1205),
        ("+0.01", 1),
        ("1476.3200", 147632),
        (Decimal("1476.32"), 147632),
        (Decimal("-0.5"), -50),
        (Decimal("100"), 10000),
    ],
)
def test_to_grosze_converts_exactly(value: str | Decimal, grosze: int) -> None:
    assert to_grosze(value) == grosze


@pytest.mark.parametrize("value", ["1476.321", "0.005", Decimal("94.3884")])
def test_to_grosze_rejects_fractions_of_a_grosz_naming_the_value(value: str | Decimal) -> None:
    with pytest.raises(ValueError, match="more than 2 decimal places") as caught:
        to_grosze(value)

    assert repr(value) in str(caught.value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        "1.476,32",
        "1,476.32",
        "12.",
        ".5",
        "1e3",
        "NaN",
        "\u0661\u0662",  # Arabic-Indic digits
        Decimal("NaN"),
        Decimal("Inf"),
    ],
)
def test_to_grosze_rejects_text_that_is_not_an_amount(value: str | Decimal) -> None:
    with pytest.raises(ValueError):
        to_grosze(value)


@pytest.mark.parametrize("value", [1476.32, 0.1, 100, True, None])
def test_to_grosze_refuses_floats_ints_and_other_types(value: object) -> None:
    with pytest.raises(TypeError):
        to_grosze(value)  # type: ignore[arg-type]


def test_to_grosze_points_ints_to_zloty_to_grosze() -> None:
    with pytest.raises(TypeError, match="zloty_to_grosze"):
        to_grosze(100)  # type: ignore[arg-type]


@pytest.mark.parametrize(("zloty", "grosze"), [(1476, 147600), (0, 0), (-3, -300)])
def test_zloty_to_grosze_multiplies_whole_zloty(zloty: int, grosze: int) -> None:
    assert zloty_to_grosze(zloty) == grosze


@pytest.mark.parametrize("value", [1476.0, "1476", Decimal("1476"), True])
def test_zloty_to_grosze_accepts_only_int(value: object) -> None:
    with pytest.raises(TypeError):
        zloty_to_grosze(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("amount", "zloty", "python_round"), TAX_ROUNDING)
def test_tax_rounds_half_up_to_whole_zloty(amount: str, zloty: int, python_round: int) -> None:
    assert round_tax_zloty(amount) == zloty
    assert round_tax_zloty(Decimal(amount)) == zloty


@pytest.mark.parametrize(("amount", "zloty", "python_round"), TAX_ROUNDING)
def test_tax_rounding_differs_from_python_round_where_the_notes_say(
    amount: str, zloty: int, python_round: int
) -> None:
    # Keeps the table honest: the "wrong" column really is what round() does.
    assert round(float(amount)) == python_round


@pytest.mark.parametrize(
    ("amount", "zloty"),
    [("-0.50", -1), ("-1234.49", -1234), ("1234.4999", 1234), ("1 234,50", 1235)],
)
def test_tax_rounding_of_negative_and_long_amounts(amount: str, zloty: int) -> None:
    assert round_tax_zloty(amount) == zloty


def test_tax_rounding_refuses_floats() -> None:
    with pytest.raises(TypeError):
        round_tax_zloty(1234.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("grosze", "rounded"),
    [
        (123449, 123400),
        (123450, 123500),
        (123451, 123500),
        (50, 100),
        (49, 0),
        (250, 300),
        (4378, 4400),
        (4312, 4300),
        (0, 0),
        (-150, -200),
        (-149, -100),
    ],
)
def test_tax_rounding_in_grosze_gives_whole_zloty(grosze: int, rounded: int) -> None:
    assert round_tax_grosze(grosze) == rounded


def test_tax_rounding_in_grosze_refuses_non_int() -> None:
    with pytest.raises(TypeError):
        round_tax_grosze(Decimal("123450"))  # type: ignore[arg-type]


def test_zus_accident_contribution_rounds_half_up_not_down() -> None:
    # 5652 x 1.67% = 94.3884; ZUS quotes 94.39.
    assert round_zus(Decimal("5652") * Decimal("0.0167")) == 9439


def test_zus_disability_contribution_uses_the_whole_rate() -> None:
    # 5203.80 x 8% = 416.304 -> 416.30; splitting 1.5% + 6.5% would give 416.31.
    whole_rate = round_zus(Decimal("5203.80") * Decimal("0.08"))
    split = round_zus(Decimal("5203.80") * Decimal("0.015")) + round_zus(
        Decimal("5203.80") * Decimal("0.065")
    )

    assert whole_rate == 41630
    assert split == 41631


@pytest.mark.parametrize(("base", "rate", "grosze"), ZUS_STANDARD_BASE)
def test_zus_standard_base_components(base: str, rate: str, grosze: int) -> None:
    assert round_zus(Decimal(base) * Decimal(rate) / 100) == grosze


@pytest.mark.parametrize(
    ("base", "total"), [("5203.80", 177396), ("5652.00", 192676)], ids=["2025", "2026"]
)
def test_zus_standard_base_total_is_the_sum_of_rounded_components(base: str, total: int) -> None:
    # emerytalne, rentowe, chorobowe, wypadkowe, Fundusz Pracy
    rates = ("19.52", "8", "2.45", "1.67", "2.45")
    assert sum(round_zus(Decimal(base) * Decimal(rate) / 100) for rate in rates) == total


@pytest.mark.parametrize(
    ("amount", "grosze"),
    [("94.385", 9439), ("94.3849", 9438), ("-0.005", -1), ("1 476,32", 147632)],
)
def test_round_zus_boundaries(amount: str, grosze: int) -> None:
    assert round_zus(amount) == grosze


@pytest.mark.parametrize(
    ("grosze", "text"),
    [
        (147632, "1 476,32 zł"),
        (-147632, "-1 476,32 zł"),
        (0, "0,00 zł"),
        (5, "0,05 zł"),
        (-5, "-0,05 zł"),
        (99999, "999,99 zł"),
        (123456789, "1 234 567,89 zł"),
    ],
)
def test_format_pln_uses_polish_separators(grosze: int, text: str) -> None:
    assert format_pln(grosze) == text


def test_format_pln_refuses_floats() -> None:
    with pytest.raises(TypeError):
        format_pln(1476.32)  # type: ignore[arg-type]
