"""The office's settings for a Firebird program (Raks, Fakt), and the server they describe.

These models are what `konekto.yaml` holds under `programs.raks` and `programs.fakt`; they are
written to be added to `konekto_pipeline.settings.Programs` as they are. The password is read
from the environment variable named by `password_env`, never from the file.
"""

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from konekto_pipeline.sources.firebird.connection import (
    CHARSETS,
    DEFAULT_CHARSET,
    DEFAULT_PORT,
    FirebirdConnectionError,
    FirebirdServer,
    FirebirdTarget,
)

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class FirebirdProgram(BaseModel):
    """How to reach a program's Firebird server.

    `charset` is the connection charset (WIN1250 for Raks and Fakt). An old database created
    with charset NONE holds the bytes the program wrote, WIN1250 on Windows: set `charset: NONE`
    and `text_encoding: cp1250`. `auth_plugins` ("Srp256, Srp, Legacy_Auth") and `wire_crypt`
    (enabled / required / disabled) are only needed when the server refuses the client's
    defaults (Firebird 3/4 servers configured for old clients, or the reverse).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    host: str = "localhost"
    port: int = Field(default=DEFAULT_PORT, gt=0, lt=65536)
    user: str = "SYSDBA"
    password_env: str | None = None
    charset: str = DEFAULT_CHARSET
    text_encoding: str | None = None
    login_timeout: int = Field(default=10, gt=0)
    auth_plugins: str | None = None
    wire_crypt: Literal["enabled", "required", "disabled"] | None = None
    client_library: str | None = None

    @field_validator("charset")
    @classmethod
    def _known_charset(cls, value: str) -> str:
        if value.upper() not in CHARSETS:
            raise ValueError(f"charset must be one of {', '.join(CHARSETS)}")
        return value.upper()

    @property
    def is_local(self) -> bool:
        """Whether the server runs on this machine, so its paths can be looked at here."""
        return self.host.strip().lower() in LOCAL_HOSTS


class RaksProgram(FirebirdProgram):
    """RAKS SQL: the data folder as the server sees it (RAKS SQL Administrator's "database
    location"); None detects the standard folders when the server is local. `companies`
    limits the read to these company numbers (F00001 is 1)."""

    data_folder: str | None = None
    companies: list[int] | None = None


class FaktProgram(FirebirdProgram):
    """Fakt: its install folder and server type. A local server is this machine's and the
    database is looked for in the install folder; an external one needs `host` and `database`
    (the path as that server sees it), as entered in Fakt's own server settings."""

    install_folder: str | None = None
    server_type: Literal["local", "external"] = "local"
    database: str | None = None

    @model_validator(mode="after")
    def _external_needs_database(self) -> "FaktProgram":
        if self.server_type == "external" and not self.database:
            raise ValueError("server_type external needs 'database' (the path on that server)")
        if self.server_type == "external" and self.is_local:
            raise ValueError("server_type external needs 'host': the server's address")
        if self.server_type == "local" and not (self.database or self.install_folder):
            raise ValueError("give 'install_folder' (Fakt's folder) or 'database'")
        return self


def firebird_target(
    program: FirebirdProgram, key: str, environ: Mapping[str, str] | None = None
) -> FirebirdTarget:
    """The server `program` describes, with the password taken from its environment variable."""
    environ = os.environ if environ is None else environ
    password = None
    if program.password_env:
        password = environ.get(program.password_env)
        if password is None:
            raise FirebirdConnectionError(
                f"environment variable {program.password_env} (programs.{key}.password_env) "
                "is not set",
                key,
                kind="login",
            )
    return FirebirdTarget(
        host=program.host,
        port=program.port,
        user=program.user,
        password=password,
        charset=program.charset,
        text_encoding=program.text_encoding,
        login_timeout=program.login_timeout,
        auth_plugins=program.auth_plugins,
        wire_crypt=program.wire_crypt,
        client_library=program.client_library,
    )


def firebird_server(
    program: FirebirdProgram, key: str, environ: Mapping[str, str] | None = None
) -> FirebirdServer:
    """A `FirebirdServer` for the program (nothing is opened until a reader connects)."""
    return FirebirdServer(firebird_target(program, key, environ), program=key)
