"""Polish business and personal identifiers: NIP, REGON and PESEL.

Accounting programs export identifiers in many shapes ("PL 856-734-62-15", "856 734 62 15",
a float from a spreadsheet). Everything downstream keys clients by the compact 10-digit NIP, so
this module is the single place that says what a valid one is.
"""

from stdnum.pl import nip as stdnum_nip
from stdnum.pl import pesel as stdnum_pesel
from stdnum.pl import regon as stdnum_regon

NIP_LENGTH = 10
REGON_LENGTHS = (9, 14)
PESEL_LENGTH = 11


class InvalidIdentifier(ValueError):
    """An identifier (NIP, REGON, PESEL) that fails its format or check-digit rules."""

    def __init__(self, kind: str, value: object, reason: str) -> None:
        """Builds the message "Invalid <kind> '<value>': <reason>"."""
        super().__init__(f"Invalid {kind} {value!r}: {reason}")
        self.kind = kind
        self.value = value
        self.reason = reason


def _strip_separators(raw: str) -> str:
    """Drops whitespace of any kind (also non-breaking spaces from spreadsheets) and hyphens."""
    return "".join(raw.split()).replace("-", "")


def _is_ascii_digits(text: str) -> bool:
    """True for a non-empty string of 0-9 only (str.isdigit alone also accepts e.g. '²')."""
    return text.isascii() and text.isdigit()


def normalize_nip(raw: str) -> str:
    """Returns the NIP without separators and without a leading "PL"; does not validate it."""
    compact = _strip_separators(raw).upper()
    if compact.startswith("PL"):
        compact = compact[2:]
    return compact


def validate_nip(raw: str) -> str:
    """Returns the compact 10-digit NIP, or raises InvalidIdentifier saying what is wrong.

    The all-zero NIP passes the check-digit arithmetic but is a placeholder some programs write
    for "no NIP", so it is rejected explicitly.
    """
    compact = normalize_nip(raw)

    if not compact:
        raise InvalidIdentifier("NIP", raw, "it is empty")
    if not _is_ascii_digits(compact):
        raise InvalidIdentifier("NIP", raw, "it contains characters other than digits")
    if len(compact) != NIP_LENGTH:
        raise InvalidIdentifier("NIP", raw, f"it has {len(compact)} digits, expected 10")
    if compact == "0" * NIP_LENGTH:
        raise InvalidIdentifier("NIP", raw, "it is all zeros (a placeholder, not a NIP)")
    if not stdnum_nip.is_valid(compact):
        raise InvalidIdentifier("NIP", raw, "the check digit does not match")

    return compact


def is_valid_nip(raw: object) -> bool:
    """True if raw is a string holding a valid NIP; False for None, NaN and other non-strings."""
    if not isinstance(raw, str):
        return False
    try:
        validate_nip(raw)
    except InvalidIdentifier:
        return False
    return True


def format_nip(nip: str) -> str:
    """Formats a valid NIP for display as XXX-XXX-XX-XX; raises InvalidIdentifier otherwise."""
    compact = validate_nip(nip)
    return f"{compact[:3]}-{compact[3:6]}-{compact[6:8]}-{compact[8:]}"


def normalize_regon(raw: str) -> str:
    """Returns the REGON without whitespace and hyphens; does not validate it."""
    return _strip_separators(raw)


def is_valid_regon(raw: object) -> bool:
    """True for a valid 9-digit REGON or 14-digit local-unit REGON.

    For 14 digits both the embedded 9-digit REGON and the final check digit must be right. The
    all-zero value passes the arithmetic but is a placeholder, so it is rejected as for the NIP.
    """
    if not isinstance(raw, str):
        return False

    compact = normalize_regon(raw)
    if not _is_ascii_digits(compact) or len(compact) not in REGON_LENGTHS:
        return False
    if set(compact) == {"0"}:
        return False
    return stdnum_regon.is_valid(compact)


def is_valid_pesel(raw: object) -> bool:
    """True for an 11-digit PESEL whose check digit and encoded birth date are both valid."""
    if not isinstance(raw, str):
        return False

    compact = _strip_separators(raw)
    if not _is_ascii_digits(compact) or len(compact) != PESEL_LENGTH:
        return False
    return stdnum_pesel.is_valid(compact)
