"""Polish bank account numbers (NRB) and the two accounts an office pays into for a client.

- The tax micro-account (mikrorachunek podatkowy) receives PIT, CIT and VAT. It is derived from
  the client's NIP (or PESEL for a person without a NIP), so we compute it rather than store it:
  a corrected NIP then corrects the account as well.
- The ZUS contribution account (NRS) receives all ZUS contributions in one transfer. Three of its
  digits are allocated by ZUS and are not public, so the NRS cannot be generated; it comes from
  the client's ZUS letter and we only check that it is plausible for that client.

All functions work on the 26-digit NRB without the "PL" country prefix.
"""

from konekto_pipeline.domain.identifiers import (
    NIP_LENGTH,
    PESEL_LENGTH,
    InvalidIdentifier,
    is_valid_pesel,
    normalize_nip,
    validate_nip,
)

NRB_LENGTH = 26

# "PL" in ISO 13616 letter-to-number encoding (P=25, L=21), used by the mod-97 check.
_POLAND_DIGITS = "2521"

# NBP settlement number 10100071 followed by the fixed supplementary number 222.
_MICRO_ACCOUNT_BANK = "10100071222"
_MICRO_ACCOUNT_KIND_DIGIT = {"PESEL": "1", "NIP": "2"}
_MICRO_ACCOUNT_IDENTIFIER_LENGTH = {"PESEL": PESEL_LENGTH, "NIP": NIP_LENGTH}
_MICRO_ACCOUNT_IDENTIFIER_WIDTH = 12

# Digits 3-13 of every NRS: the ZUS settlement number 60000002 and the ZUS code 026.
_ZUS_ACCOUNT_MARKER = "60000002026"


class InvalidAccount(ValueError):
    """A bank account number that is malformed or not the account it is supposed to be."""

    def __init__(self, value: object, reason: str) -> None:
        """Builds the message "Invalid account '<value>': <reason>"."""
        super().__init__(f"Invalid account {value!r}: {reason}")
        self.value = value
        self.reason = reason


def normalize_account(raw: str) -> str:
    """Returns the account without whitespace, hyphens and a leading "PL"; does not validate."""
    compact = "".join(raw.split()).replace("-", "").upper()
    if compact.startswith("PL"):
        compact = compact[2:]
    return compact


def _is_nrb_shaped(digits: str) -> bool:
    """True for exactly 26 ASCII digits."""
    return len(digits) == NRB_LENGTH and digits.isascii() and digits.isdigit()


def _check_digits_for(bban: str) -> str:
    """Computes the two NRB check digits for a 24-digit BBAN (ISO 7064 MOD 97-10)."""
    remainder = int(bban + _POLAND_DIGITS + "00") % 97
    return f"{98 - remainder:02d}"


def _has_valid_check_digits(digits: str) -> bool:
    """Runs the ISO 13616 mod-97 check on a 26-digit NRB."""
    return int(digits[2:] + _POLAND_DIGITS + digits[:2]) % 97 == 1


def is_valid_nrb(raw: object) -> bool:
    """True if raw is a string holding a Polish NRB (or IBAN) with correct check digits."""
    if not isinstance(raw, str):
        return False

    digits = normalize_account(raw)
    return _is_nrb_shaped(digits) and _has_valid_check_digits(digits)


def micro_account_digits(identifier_digits: str, kind: str) -> str:
    """Builds the micro-account from identifier digits without validating the identifier.

    This is only the arithmetic; use micro_account() for real data. Layout:
    CC | 10100071 | 222 | 1 (PESEL) or 2 (NIP) | identifier padded with zeros to 12 digits.

    Raises:
        ValueError: kind is not "NIP"/"PESEL", or the digits have the wrong length for it.
    """
    if kind not in _MICRO_ACCOUNT_KIND_DIGIT:
        raise ValueError(f"Unknown micro-account identifier kind {kind!r}; use 'NIP' or 'PESEL'")

    expected_length = _MICRO_ACCOUNT_IDENTIFIER_LENGTH[kind]
    is_digits = identifier_digits.isascii() and identifier_digits.isdigit()
    if not is_digits or len(identifier_digits) != expected_length:
        raise ValueError(
            f"A {kind} for a micro-account must be {expected_length} digits, "
            f"got {identifier_digits!r}"
        )

    bban = (
        _MICRO_ACCOUNT_BANK
        + _MICRO_ACCOUNT_KIND_DIGIT[kind]
        + identifier_digits.ljust(_MICRO_ACCOUNT_IDENTIFIER_WIDTH, "0")
    )
    return _check_digits_for(bban) + bban


def micro_account(identifier: str) -> str:
    """Returns the 26-digit tax micro-account of a valid NIP (10 digits) or PESEL (11 digits).

    Anyone who runs a business, is VAT-registered or is a payer uses the NIP, so for the
    office's clients pass the NIP; the PESEL form is for private persons only.

    Raises:
        InvalidIdentifier: the identifier is neither a valid NIP nor a valid PESEL.
    """
    compact = normalize_nip(identifier)

    if len(compact) == PESEL_LENGTH:
        if not is_valid_pesel(compact):
            raise InvalidIdentifier(
                "PESEL", identifier, "the check digit or the encoded birth date is wrong"
            )
        return micro_account_digits(compact, "PESEL")

    if len(compact) == NIP_LENGTH:
        return micro_account_digits(validate_nip(identifier), "NIP")

    raise InvalidIdentifier(
        "NIP or PESEL",
        identifier,
        f"it has {len(compact)} characters; a NIP has 10 digits and a PESEL 11",
    )


def validate_zus_account(account: str, nip: str) -> str:
    """Checks that account is a ZUS contribution account (NRS) of the client with this NIP.

    Returns the 26 compact digits. The three digits after the ZUS marker (the declaration range,
    "001" in every example seen) are allocated by ZUS and are deliberately not checked.

    Raises:
        InvalidIdentifier: nip is not a valid NIP.
        InvalidAccount: bad check digits, not a ZUS account, or the NRS of another NIP.
    """
    expected_nip = validate_nip(nip)
    digits = normalize_account(account)

    if not _is_nrb_shaped(digits):
        raise InvalidAccount(account, f"it has to be {NRB_LENGTH} digits")
    if not _has_valid_check_digits(digits):
        raise InvalidAccount(account, "bad check digits (the mod-97 check fails)")
    if digits[2:13] != _ZUS_ACCOUNT_MARKER:
        raise InvalidAccount(
            account, f"not a ZUS account (digits 3-13 are not {_ZUS_ACCOUNT_MARKER})"
        )

    account_nip = digits[-NIP_LENGTH:]
    if account_nip != expected_nip:
        raise InvalidAccount(
            account, f"belongs to another NIP ({account_nip}, expected {expected_nip})"
        )

    return digits


def format_account(digits: str) -> str:
    """Formats a valid NRB for display as "CC XXXX XXXX XXXX XXXX XXXX XXXX".

    Raises:
        InvalidAccount: the number is not 26 digits or its check digits are wrong.
    """
    compact = normalize_account(digits)

    if not _is_nrb_shaped(compact):
        raise InvalidAccount(digits, f"it has to be {NRB_LENGTH} digits")
    if not _has_valid_check_digits(compact):
        raise InvalidAccount(digits, "bad check digits (the mod-97 check fails)")

    groups = [compact[i : i + 4] for i in range(2, NRB_LENGTH, 4)]
    return " ".join([compact[:2], *groups])
