"""The Polish code pages of DBF files (`sources.files.encodings`): Mazovia, and choosing a page.

Python has no Mazovia codec, so ours is checked letter by letter against the positions published
in research/firebird_dbf_programs.md §8, and its DOS and FoxPro aliases against the same table.
The choice of code page is checked on the cases that go wrong without anyone noticing: a Mazovia
file read as CP852 gives valid but wrong letters, and the language-driver byte is often zero or
names a Western code page. A variant named in the settings must decode its own bytes, also when
the settings change while the pipeline runs.
"""

from collections import Counter

import pytest

from konekto_pipeline.sources.files.encodings import (
    POLISH_LETTERS,
    canonical,
    choose,
    polish_score,
    register_variant,
)

ALL_LETTERS = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"

# research/firebird_dbf_programs.md §8, the same as Solaris' iconv_maz(5) tables.
MAZOVIA = {
    "Ą": 0x8F, "Ć": 0x95, "Ę": 0x90, "Ł": 0x9C, "Ń": 0xA5, "Ó": 0xA3, "Ś": 0x98, "Ź": 0xA0,
    "Ż": 0xA1, "ą": 0x86, "ć": 0x8D, "ę": 0x91, "ł": 0x92, "ń": 0xA4, "ó": 0xA2, "ś": 0x9E,
    "ź": 0xA6, "ż": 0xA7,
}  # fmt: skip
MAZOVIA_ALIASES = ["cp620", "cp667", "cp790", "cp991", "CP991", "maz"]


def high_bytes(text: str, encoding: str) -> Counter[int]:
    return Counter(byte for byte in text.encode(encoding) if byte > 127)


def test_the_letter_set_is_the_eighteen_polish_letters() -> None:
    assert POLISH_LETTERS == frozenset(ALL_LETTERS)
    assert len(ALL_LETTERS) == 18


@pytest.mark.parametrize(
    "encoding", ["cp852", "cp1250", "mazovia", *MAZOVIA_ALIASES, "windows-1250"]
)
def test_all_polish_letters_round_trip_as_distinct_high_bytes(encoding: str) -> None:
    encoded = ALL_LETTERS.encode(encoding)

    assert len(set(encoded)) == 18
    assert min(encoded) >= 0x80
    assert encoded.decode(encoding) == ALL_LETTERS


@pytest.mark.parametrize(("letter", "code"), sorted(MAZOVIA.items()))
def test_mazovia_puts_each_polish_letter_at_its_published_position(letter: str, code: int) -> None:
    assert bytes([code]).decode("mazovia") == letter
    assert letter.encode("mazovia") == bytes([code])


def test_mazovia_is_code_page_437_outside_the_polish_letters() -> None:
    others = bytes(code for code in range(256) if code not in MAZOVIA.values())

    assert others.decode("mazovia") == others.decode("cp437")


@pytest.mark.parametrize("alias", MAZOVIA_ALIASES)
def test_mazovia_aliases_are_the_same_table(alias: str) -> None:
    every_byte = bytes(range(256))

    assert every_byte.decode(alias) == every_byte.decode("mazovia")
    assert canonical(alias) == "mazovia"


@pytest.mark.parametrize(
    ("written", "codec"),
    [
        ("CP852", "cp852"),
        (" cp1250 ", "cp1250"),
        ("Windows-1250", "cp1250"),
        ("WIN1250", "cp1250"),
        ("Mazovia", "mazovia"),
        ("CP620", "mazovia"),
        ("latin2-dos", "cp852"),
    ],
)
def test_code_page_written_in_the_settings_becomes_a_codec_name(written: str, codec: str) -> None:
    assert canonical(written) == codec


def test_unknown_code_page_in_the_settings_is_refused() -> None:
    with pytest.raises(LookupError):
        canonical("cp9999")


@pytest.mark.parametrize("word", ["ZAŁOŻENIE", "spółka", "Źródło", "Gżegżółka", "Łódź"])
def test_mazovia_bytes_read_as_cp852_give_other_valid_text(word: str) -> None:
    # Why detection is needed at all: nothing fails, the letters are just wrong.
    assert word.encode("mazovia").decode("cp852") != word


def test_polish_score_is_the_share_of_high_bytes_that_are_polish_letters() -> None:
    counts = high_bytes("Łódź ±", "cp1250")

    assert polish_score(counts, "cp1250") == pytest.approx(3 / 4)
    assert polish_score(Counter(), "cp852") == 1.0
    assert polish_score(Counter({0x81: 2}), "cp1250") == 0.0


def test_setting_wins_over_language_driver_and_bytes() -> None:
    choice = choose(
        0xC8,
        high_bytes("Gżegżółka", "cp852"),
        configured="mazovia",
        program_default="cp1250",
    )

    assert choice.encoding == "mazovia"
    assert choice.reason == "set in the settings"


@pytest.mark.parametrize(
    ("language_driver", "encoding"),
    [(0x64, "cp852"), (0x23, "cp852"), (0x1F, "cp852"), (0x69, "mazovia"), (0xC8, "cp1250")],
)
def test_language_driver_of_a_polish_code_page_is_trusted(
    language_driver: int, encoding: str
) -> None:
    choice = choose(
        language_driver,
        high_bytes("Źródło Łódź", encoding),
        configured=None,
        program_default="cp1250" if encoding != "cp1250" else "cp852",
    )

    assert choice.encoding == encoding
    assert choice.reason == f"language driver 0x{language_driver:02X}"


@pytest.mark.parametrize("language_driver", [0x00, 0x03, 0x57, 0x02, 0x7F])
def test_other_language_drivers_leave_the_choice_to_the_program(language_driver: int) -> None:
    choice = choose(
        language_driver,
        high_bytes("Źródło Łódź", "cp852"),
        configured=None,
        program_default="cp852",
    )

    assert choice.encoding == "cp852"
    assert f"0x{language_driver:02X} not trusted" in choice.reason


def test_text_without_high_bytes_keeps_the_first_candidate() -> None:
    choice = choose(0x00, Counter(), configured=None, program_default="mazovia")

    assert choice.encoding == "mazovia"


@pytest.mark.parametrize(
    ("actual", "language_driver", "program"),
    [
        ("mazovia", 0x64, "cp852"),
        ("mazovia", 0x00, "cp1250"),
        ("cp852", 0x00, "mazovia"),
        ("cp1250", 0x00, "cp852"),
        ("cp852", 0x03, "cp1250"),
    ],
)
def test_bytes_that_are_polish_only_in_another_code_page_are_read_in_that_one(
    actual: str, language_driver: int, program: str
) -> None:
    text = "Gżegżółka ZAŁOŻENIE Łódź Źródło spółka"

    choice = choose(
        language_driver, high_bytes(text, actual), configured=None, program_default=program
    )

    assert choice.encoding == actual
    assert choice.reason.startswith(f"its text is Polish only in {actual}")


def test_variant_decodes_the_bytes_it_names_and_the_standard_table_elsewhere() -> None:
    variant = register_variant("mazovia-biuro", {0x9B: "ś", 0x9E: "¢"})

    assert b"\x9bwi\x91to".decode(variant) == "święto"
    assert b"\x9e".decode(variant) == "¢"
    assert "Łódź".encode(variant) == "Łódź".encode("mazovia")
    assert b"\x9b".decode("mazovia") == "¢"


def test_variant_named_with_an_underscore_can_be_looked_up_by_the_name_returned() -> None:
    variant = register_variant("mazovia-reset2_ksiega", {0x9B: "ś"})

    assert canonical(variant) == variant
    assert b"\x9b".decode(variant) == "ś"
    assert b"\x9b".decode("mazovia-reset2_ksiega") == "ś"


def test_variant_registered_again_with_other_bytes_uses_the_new_ones() -> None:
    # Settings re-read in a running process must not leave the first table in Python's cache.
    first = register_variant("mazovia-zmiana", {0x9B: "ś"})
    assert b"\x9b".decode(first) == "ś"

    second = register_variant("mazovia-zmiana", {0x9B: "ł"})

    assert second == first
    assert b"\x9b".decode(second) == "ł"
