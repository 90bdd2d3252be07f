"""Polish names as people type them without Polish letters: what search and redaction match."""

import pytest

from konekto_pipeline.domain.text import without_diacritics


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Łączka Żółć", "Laczka Zolc"),
        ("ZAKŁAD ŚLUSARSKI KĘDZIERSKI", "ZAKLAD SLUSARSKI KEDZIERSKI"),
        ("Źdźbło — sp. z o.o.", "Zdzblo — sp. z o.o."),
        ("plain text", "plain text"),
    ],
)
def test_polish_letters_lose_their_marks_and_nothing_else_changes(text, plain):
    assert without_diacritics(text) == plain
