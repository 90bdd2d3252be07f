"""The code pages Polish DBF files are written in, and how to choose one for a file.

DOS-era programs wrote CP852 or Mazovia; Windows programs write CP1250. Python has no Mazovia
codec, so one is registered here: Mazovia is code page 437 with 18 Polish letters put in place of
other characters. Its positions are those of Solaris' iconv_maz(5) conversion tables (Mazovia to
ISO 8859-2), which agree with the positions in research/firebird_dbf_programs.md §8.

A file's language-driver byte (offset 29) is a hint at most: DOS programs leave it at zero and some
writers put a Western code page there for Polish data. The byte is trusted only when it names a
code page that holds Polish letters; otherwise the program's known code page is used. Either way
the text bytes of the file are scored against the Polish code pages, and a file whose bytes only
make Polish words in another code page is read in that one (a Mazovia file read as CP852 gives
valid but wrong letters, which nothing else would notice).
"""

import codecs
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

POLISH_LETTERS = frozenset("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")

# Mazovia (code pages 667, 790 and 991 in DOS; 620 in Visual FoxPro) over code page 437.
MAZOVIA_LETTERS: dict[int, str] = {
    0x86: "ą", 0x8D: "ć", 0x8F: "Ą", 0x90: "Ę", 0x91: "ę", 0x92: "ł", 0x95: "Ć", 0x98: "Ś",
    0x9C: "Ł", 0x9E: "ś", 0xA0: "Ź", 0xA1: "Ż", 0xA2: "ó", 0xA3: "Ó", 0xA4: "ń", 0xA5: "Ń",
    0xA6: "ź", 0xA7: "ż",
}  # fmt: skip

# Variants by name. The code page numbers DOS and FoxPro gave Mazovia (620, 667, 790, 991) are
# aliases of the standard table; a file from a variant that moved a letter is read by naming the
# changed bytes in the settings (`encoding_overrides`), which registers a variant of its own.
MAZOVIA_VARIANTS: dict[str, dict[int, str]] = {"mazovia": {}}

ENCODING_ALIASES = {
    "cp620": "mazovia",
    "cp667": "mazovia",
    "cp790": "mazovia",
    "cp991": "mazovia",
    "maz": "mazovia",
    "windows-1250": "cp1250",
    "win1250": "cp1250",
    "latin2-dos": "cp852",
}

POLISH_CODE_PAGES = ("cp1250", "cp852", "mazovia")

# Language-driver bytes that name a code page able to hold Polish text.
TRUSTED_LANGUAGE_DRIVERS: dict[int, str] = {
    0x1F: "cp852",
    0x22: "cp852",
    0x23: "cp852",
    0x40: "cp852",
    0x64: "cp852",
    0x69: "mazovia",
    0xC8: "cp1250",
}


def _decoding_table(overrides: dict[int, str]) -> str:
    table = [bytes([code]).decode("cp437") for code in range(256)]
    for code, char in {**MAZOVIA_LETTERS, **overrides}.items():
        table[code] = char
    return "".join(table)


def _codec(name: str, overrides: dict[int, str]) -> codecs.CodecInfo:
    decoding = _decoding_table(overrides)
    encoding = codecs.charmap_build(decoding)

    def encode(text: str, errors: str = "strict") -> tuple[bytes, int]:
        return codecs.charmap_encode(text, errors, encoding)

    def decode(data: bytes, errors: str = "strict") -> tuple[str, int]:
        return codecs.charmap_decode(data, errors, decoding)

    return codecs.CodecInfo(encode, decode, name=name)


_REGISTERED: dict[str, codecs.CodecInfo] = {}
_OVERRIDES: dict[str, dict[int, str]] = {}


def register_variant(name: str, overrides: dict[int, str]) -> str:
    """Register a Mazovia variant (changes to the standard table) under `name`; returns it.

    The name is returned as codecs look it up ("_" becomes "-"). Registering a name again with
    other changes replaces the variant for every later lookup.
    """
    key = _key(name)
    if key in _REGISTERED and _OVERRIDES[key] == overrides:
        return key
    replaced = key in _REGISTERED
    _REGISTERED[key] = _codec(key, overrides)
    _OVERRIDES[key] = dict(overrides)
    if replaced:
        # Python caches a codec by name once looked up; re-registering the search drops the cache.
        codecs.unregister(_search)
        codecs.register(_search)
    return key


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def _search(name: str) -> codecs.CodecInfo | None:
    key = _key(name)
    key = ENCODING_ALIASES.get(key, key)
    return _REGISTERED.get(key)


for _name, _overrides in MAZOVIA_VARIANTS.items():
    register_variant(_name, _overrides)
codecs.register(_search)


def canonical(name: str) -> str:
    """The codec name for an encoding written in the settings; raises LookupError if unknown."""
    key = _key(name)
    key = ENCODING_ALIASES.get(key, key)
    codecs.lookup(key)
    return key


@dataclass(frozen=True)
class Choice:
    """The code page a file is read in, and why (for `konekto probe` and problem messages)."""

    encoding: str
    reason: str


def polish_score(high_bytes: Counter[int], encoding: str) -> float:
    """Share of the bytes >= 0x80 that decode to Polish letters in `encoding` (1.0: all)."""
    total = sum(high_bytes.values())
    if total == 0:
        return 1.0
    polish = 0
    for code, count in high_bytes.items():
        try:
            char = bytes([code]).decode(encoding)
        except UnicodeDecodeError:
            continue
        if char in POLISH_LETTERS:
            polish += count
    return polish / total


def choose(
    language_driver: int,
    high_bytes: Counter[int],
    *,
    configured: str | None,
    program_default: str,
) -> Choice:
    """The encoding to read a file in: the settings' choice, else the evidence of its bytes.

    With no setting, the candidates are the trusted language driver's code page, then the
    program's; the first whose decoding makes every high byte a Polish letter wins, else the one
    that makes the most.
    """
    if configured is not None:
        return Choice(configured, "set in the settings")
    driver = TRUSTED_LANGUAGE_DRIVERS.get(language_driver)
    if driver is not None:
        first = Choice(driver, f"language driver 0x{language_driver:02X}")
    else:
        first = Choice(
            program_default,
            f"the program's code page (language driver 0x{language_driver:02X} not trusted)",
        )
    candidates = [first, *_others(first.encoding, program_default)]
    scores = [polish_score(high_bytes, choice.encoding) for choice in candidates]
    best = max(range(len(candidates)), key=lambda index: (scores[index], -index))
    if scores[0] >= scores[best]:
        return first
    chosen = candidates[best].encoding
    return Choice(
        chosen,
        f"its text is Polish only in {chosen} ({first.reason} gave {scores[0]:.0%} Polish letters)",
    )


def _others(first: str, program_default: str) -> Iterable[Choice]:
    seen = {first}
    for encoding in (program_default, *POLISH_CODE_PAGES):
        if encoding not in seen:
            seen.add(encoding)
            yield Choice(encoding, "detected")
