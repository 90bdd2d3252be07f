"""The database server of one program, built from the office's settings for it."""

import os
from collections.abc import Mapping
from pathlib import Path

from konekto_pipeline.settings import SqlProgram
from konekto_pipeline.sources.sql.connection import SqlConnectionError, SqlServer, SqlServerTarget

SETTINGS_DIR_PLACEHOLDER = "{settings_dir}"


def program_server(
    key: str,
    program: SqlProgram,
    *,
    sqlite_schemas: tuple[str, ...] = (),
    server_name: str | None = None,
    settings_dir: Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> SqlServer:
    """A `SqlServer` for `programs.<key>`: the password from the environment variable the
    settings name (never from the file), `{settings_dir}` in a `url` replaced by the settings
    file's folder, and `server_name` in place of the configured server when the program adds a
    default instance to it."""
    password = None
    if program.password_env:
        password = environ.get(program.password_env)
        if password is None:
            raise SqlConnectionError(
                f"the environment variable {program.password_env} "
                f"(programs.{key}.password_env) is not set",
                key,
            )
    url = program.url
    if url and settings_dir is not None:
        url = url.replace(SETTINGS_DIR_PLACEHOLDER, str(settings_dir))
    target = SqlServerTarget(
        server=program.server if server_name is None else server_name,
        auth=program.auth,
        user=program.user,
        password=password,
        driver=program.driver,
        encrypt=program.encrypt,
        trust_server_certificate=program.trust_server_certificate,
        login_timeout=program.login_timeout,
        url_template=url,
    )
    return SqlServer(target, sqlite_schemas=sqlite_schemas, program=key)
