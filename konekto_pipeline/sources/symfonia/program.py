"""The office's settings for Symfonia Mała Księgowość: where MKP.INI is, and how to reach SQL.

What this model holds is what `konekto.yaml` has under `programs.symfonia`. Mała Księgowość
says itself where its companies are, in MKP.INI; the settings only name that file and, for an
installation on MS SQL Server, may override what MKP.INI says of the server (a workstation that
reaches it under another name, a read-only login for the pipeline). The password is read from
the environment variable named by `password_env`, never from this file nor from MKP.INI.
"""

from typing import Literal

from pydantic import Field

from konekto_pipeline.sources.files.program import FileProgram
from konekto_pipeline.sources.symfonia.settings import DEFAULT_INI_FILE


class SymfoniaProgram(FileProgram):
    """Settings of Symfonia Mała Księgowość (program code MKP).

    `ini_file` is MKP.INI as the office writes it (`%APPDATA%` is the Windows user's roaming
    folder; on Linux map its drive under `paths`). The SQL fields mean what they mean for the
    SQL programs (`konekto_pipeline.settings.SqlProgram`); each one given here wins over
    MKP.INI. `url` replaces SQL Server by any SQLAlchemy URL with `{database}` standing for a
    company database (the demo office and the tests read SQLite files or PostgreSQL).
    `encoding` (from FileProgram) overrides the code page of the DBF files (CP1250).
    """

    ini_file: str = DEFAULT_INI_FILE
    server: str | None = None
    auth: Literal["sql", "windows"] | None = None
    user: str | None = None
    password_env: str | None = None
    driver: str | None = None
    encrypt: bool | None = None
    trust_server_certificate: bool = False
    login_timeout: int = Field(default=15, gt=0)
    url: str | None = None
