"""The office's settings for KPR: where its year folders and the ImportDoKPR export are.

This model is what `konekto.yaml` holds under `programs.kpr`; it is written to be added to
`konekto_pipeline.settings.Programs` as it is.
"""

from pydantic import field_validator

from konekto_pipeline.sources.files.program import FileProgram
from konekto_pipeline.sources.kpr.settings import FOLDER_PATTERN, YEAR


class KprProgram(FileProgram):
    """KPR's folders as the office writes them (Windows or POSIX paths).

    `folder` is a pattern: `{year}` stands for the fiscal year (`C:\\KPR_{year}`); a folder
    without it is read for every year. `export_file` is the file ImportDoKPR writes, `{year}`
    allowed; unset, it is `EKSPORT\\KPREXP.DBF` in the year's folder.
    """

    folder: str = FOLDER_PATTERN
    export_file: str | None = None

    @field_validator("folder", "export_file")
    @classmethod
    def _only_the_year_placeholder(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError("must not be empty")
        rest = value.replace(YEAR, "")
        if "{" in rest or "}" in rest:
            raise ValueError(f"{value!r}: only {YEAR} may stand in braces (the fiscal year)")
        return value.strip()
