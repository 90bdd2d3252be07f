"""Money as integer grosze (1 zł = 100 gr), and the rounding rules for tax and ZUS amounts.

Amounts travel through the pipeline as int grosze. Floats are refused everywhere: 0.1 + 0.2 is
not 0.3 in binary, and a tax amount must be exact.

Rounding is half-up (50 gr and more goes up), never Python's round(), which rounds half to even
(round(2.5) == 2). Negative amounts round away from zero, mirroring the positive ones.
- Taxes (art. 63 par. 1 Ordynacja podatkowa): the amount paid or declared is rounded to whole
  złoty. Invoice-level VAT stays in grosze; only the return/payment total is rounded.
- ZUS: each contribution component is rounded to grosze separately; never to whole złoty.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_ONE_GROSZ = Decimal("0.01")
_ONE_ZLOTY = Decimal("1")
_GROSZE_PER_ZLOTY = 100

# No client of an accounting office declares a trillion złoty: a larger value is a broken file,
# and refusing it keeps every sum of many amounts inside the frames' 64-bit integers.
MAX_AMOUNT_GROSZE = 10**12 * _GROSZE_PER_ZLOTY


def check_amount(grosze: int) -> int:
    """The amount, or ValueError when it is beyond any real declaration (a trillion złoty)."""
    if abs(grosze) > MAX_AMOUNT_GROSZE:
        raise ValueError(f"Amount of {grosze // _GROSZE_PER_ZLOTY} zł is beyond any real figure")
    return grosze


# Digits with an optional sign and either decimal separator; whitespace (thousands separators,
# also non-breaking spaces) is removed before matching. "1.476,32" is refused as ambiguous.
_AMOUNT_PATTERN = re.compile(r"[+-]?\d+(?:[.,]\d+)?", re.ASCII)


def _to_decimal(value: str | Decimal) -> Decimal:
    """Reads a złoty amount from a string ("1476.32", "1 476,32") or a Decimal."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"Amount {value!r} is not a finite number")
        return value

    if isinstance(value, str):
        compact = "".join(value.split())
        if not _AMOUNT_PATTERN.fullmatch(compact):
            raise ValueError(f"Amount {value!r} is not a number like '1476.32' or '1 476,32'")
        return Decimal(compact.replace(",", "."))

    if isinstance(value, float):
        raise TypeError(f"Amount {value!r} is a float; floats are never exact, pass str or Decimal")
    raise TypeError(f"Amount must be str or Decimal, got {type(value).__name__}")


def _require_int(value: int, what: str) -> None:
    """Raises TypeError unless value is a real int (bool is refused too)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, got {type(value).__name__}")


def _decimal_zloty_to_grosze(amount: Decimal) -> int:
    """Converts a Decimal already quantized to whole grosze into int grosze."""
    return int(amount.scaleb(2))


def to_grosze(value: str | Decimal) -> int:
    """Converts an exact złoty amount, given as str or Decimal, to int grosze.

    Trailing zeros beyond two places are fine ("1476.3200" from a SQL Server money column);
    a non-zero third decimal is not, since silently rounding it would hide a source error.

    Raises:
        TypeError: value is a float, an int (use zloty_to_grosze) or another type.
        ValueError: value is not a number or has more than 2 decimal places.
    """
    if isinstance(value, int):
        raise TypeError(
            f"to_grosze takes str or Decimal; for whole-złoty integers use zloty_to_grosze, "
            f"got int {value!r}"
        )

    amount = _to_decimal(value)
    try:
        in_grosze = amount.quantize(_ONE_GROSZ)
    except InvalidOperation as error:
        raise ValueError(f"Amount {value!r} is too large") from error
    if in_grosze != amount:
        raise ValueError(f"Amount {value!r} has more than 2 decimal places")

    return check_amount(_decimal_zloty_to_grosze(in_grosze))


def zloty_to_grosze(value: int) -> int:
    """Converts a whole-złoty integer (e.g. a JPK_V7 P_ field) to grosze."""
    _require_int(value, "A whole-złoty amount")
    return check_amount(value * _GROSZE_PER_ZLOTY)


def round_tax_zloty(amount: Decimal | str) -> int:
    """Rounds a tax amount in złoty to whole złoty, half-up: 43.49 -> 43, 43.50 -> 44."""
    return int(_to_decimal(amount).quantize(_ONE_ZLOTY, rounding=ROUND_HALF_UP))


def round_tax_grosze(grosze: int) -> int:
    """Rounds an amount in grosze half-up to whole złoty, still in grosze: 123450 -> 123500."""
    _require_int(grosze, "An amount in grosze")
    zloty = Decimal(grosze).scaleb(-2).quantize(_ONE_ZLOTY, rounding=ROUND_HALF_UP)
    return int(zloty) * _GROSZE_PER_ZLOTY


def round_zus(amount: Decimal | str) -> int:
    """Rounds one ZUS contribution component in złoty to grosze, half-up; returns grosze.

    Example: 5652.00 x 1.67% = 94.3884 -> 9439 (94.39 zł).
    """
    rounded = _to_decimal(amount).quantize(_ONE_GROSZ, rounding=ROUND_HALF_UP)
    return _decimal_zloty_to_grosze(rounded)


def format_pln(grosze: int) -> str:
    """Formats grosze the Polish way, "1 476,32 zł", with plain spaces and a leading minus."""
    _require_int(grosze, "An amount in grosze")

    sign = "-" if grosze < 0 else ""
    zloty, rest = divmod(abs(grosze), _GROSZE_PER_ZLOTY)
    grouped = f"{zloty:,}".replace(",", " ")
    return f"{sign}{grouped},{rest:02d} zł"
