"""The office's settings for Buchalter, as `konekto.yaml` holds them under `programs.buchalter`.

Paths are written as the office knows them (`C:\\BUCH`, `\\\\SERWER\\BUCH`); a Linux workstation
reaches them through the top-level `paths` mapping.
"""

from pydantic import field_validator

from konekto_pipeline.sources.buchalter.settings import DEFAULT_FOLDER
from konekto_pipeline.sources.files.program import FileProgram


class BuchalterProgram(FileProgram):
    """Where Buchalter keeps its data, and which companies to read.

    `folder` holds one subfolder per company. `zus_export_folder` is where Buchalter writes the
    employees' ZUS export (one subfolder per company inside it); None means each company's own
    subfolder. `companies` limits the read to these subfolders; None reads every subfolder that
    holds a company file.
    """

    folder: str = DEFAULT_FOLDER
    zus_export_folder: str | None = None
    companies: list[str] | None = None

    @field_validator("companies")
    @classmethod
    def _named(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        names = [name.strip() for name in value]
        if not all(names):
            raise ValueError("a company is named by its subfolder; an empty name was given")
        return names
