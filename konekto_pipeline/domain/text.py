"""Polish text as people type it: without the marks of Polish letters."""

import unicodedata


def without_diacritics(text: str) -> str:
    """The text with plain Latin letters: "Łączka Żółć" becomes "Laczka Zolc".

    Ł and ł are letters of their own in Unicode (no mark to remove), so they are replaced first.
    """
    decomposed = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))
