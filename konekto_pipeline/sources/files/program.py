"""The office's settings for a program that keeps its data in files, and where those files are.

Paths are written as the office knows them: `C:\\BUCH`, `\\\\SERWER\\dane\\MK\\Biuro` or a
POSIX path. A Linux workstation reads the same settings file through the top-level `paths`
mapping of drive letters and shares to mount points (`paths: {"C:": /mnt/c}`).
"""

from pydantic import BaseModel, ConfigDict, Field, field_validator

from konekto_pipeline.sources.files.encodings import canonical, register_variant


class FileProgram(BaseModel):
    """Settings every file-based program shares.

    `encoding` overrides the code page the program is known to write (cp1250, cp852, mazovia);
    `encoding_overrides` names bytes a Mazovia variant puts elsewhere ({0x9B: "ś"}), making a
    variant of its own.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    encoding: str | None = None
    encoding_overrides: dict[int, str] = Field(default_factory=dict)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return canonical(value)
        except LookupError:
            raise ValueError(f"unknown code page {value!r}; use cp1250, cp852 or mazovia") from None

    @field_validator("encoding_overrides", mode="before")
    @classmethod
    def _byte_keys(cls, value: object) -> object:
        # YAML gives 0x9B as a number already; "0x9B" written in quotes arrives as text.
        if isinstance(value, dict):
            return {
                (int(key, 0) if isinstance(key, str) else key): char for key, char in value.items()
            }
        return value

    @field_validator("encoding_overrides")
    @classmethod
    def _one_character_per_byte(cls, value: dict[int, str]) -> dict[int, str]:
        for code, char in value.items():
            if not 0x80 <= code <= 0xFF or len(char) != 1:
                raise ValueError(f"{code!r}: {char!r} must map a byte 0x80-0xFF to one character")
        return value

    def configured_encoding(self, key: str) -> str | None:
        """The code page the office set, a variant of Mazovia registered when it named bytes."""
        if not self.encoding_overrides:
            return self.encoding
        return register_variant(f"mazovia-{key}", self.encoding_overrides)
