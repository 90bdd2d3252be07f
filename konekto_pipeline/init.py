"""`konekto init`: a first settings file from what this machine has.

It looks where the programs keep their data by default: the file programs' folders and option
files (through the `paths` mapping on Linux), SQL Server instances on this machine named as the
programs' installers name them (OPTIMA for Comarch Optima, INSERTGT for Rachmistrz), and a
Firebird server on localhost:3050 (Raks, Fakt). What is certain is enabled; what only may belong
to a program is written as a commented suggestion. Passwords are never written: each SQL or
Firebird entry names the environment variable to hold it.
"""

import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from konekto_pipeline.settings import parse_settings
from konekto_pipeline.sources.files.detect import detect_file_programs
from konekto_pipeline.sources.files.paths import PathMap
from konekto_pipeline.sources.firebird.connection import DEFAULT_PORT as FIREBIRD_PORT
from konekto_pipeline.sources.sql.browser import BROWSER_PORT, list_instances
from konekto_pipeline.sources.sql.connection import SqlConnectionError

LOCAL_HOST = "127.0.0.1"

# Named instances the programs' installers create, and the settings that go with each.
KNOWN_INSTANCES: dict[str, tuple[str, dict[str, str]]] = {
    "OPTIMA": (
        "optima",
        {"database": "CDN_KNF_Konfiguracja", "user": "konekto", "password_env": "OPTIMA_PASSWORD"},
    ),
    "INSERTGT": ("rachmistrz", {"user": "konekto", "password_env": "RACHMISTRZ_PASSWORD"}),
}


@dataclass
class Detected:
    """What `init` found: program settings to enable, and commented suggestions."""

    programs: dict[str, dict[str, Any]] = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)


def detect(
    paths: PathMap,
    base_dir: Path,
    *,
    sql_host: str = LOCAL_HOST,
    sql_browser_port: int = BROWSER_PORT,
    firebird_host: str = LOCAL_HOST,
    firebird_port: int = FIREBIRD_PORT,
    timeout: float = 1.0,
) -> Detected:
    """Every program found on this machine in its standard place."""
    found = Detected()
    for key, entry in detect_file_programs(paths, base_dir).items():
        found.programs[key] = entry
        found.findings.append(f"{key}: found {next(iter(entry.values()))}")
    _sql_instances(found, sql_host, sql_browser_port, timeout)
    _firebird(found, firebird_host, firebird_port, timeout)
    return found


def _sql_instances(found: Detected, host: str, port: int, timeout: float) -> None:
    try:
        instances = list_instances(host, port=port, timeout=timeout)
    except SqlConnectionError as error:
        found.findings.append(f"SQL Server: no SQL Browser answered on {host} ({error})")
        return
    for instance in instances:
        name = instance.server.rpartition("\\")[2].upper()
        known = KNOWN_INSTANCES.get(name)
        server = f"localhost\\{name}"
        if known is None:
            found.findings.append(f"SQL Server: instance {instance.server}, of no known program")
            found.suggestions.append(
                f"SQL Server instance {server} (version {instance.version}): if an accounting "
                "program keeps its data there, add it under that program with "
                f"server: '{server}'"
            )
            continue
        key, entry = known
        if key not in found.programs:
            found.programs[key] = {"server": server, **entry}
            found.findings.append(f"{key}: SQL Server instance {instance.server}")


def _firebird(found: Detected, host: str, port: int, timeout: float) -> None:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError:
        found.findings.append(f"Firebird: no server on {host}:{port}")
        return
    found.findings.append(f"Firebird: a server answers on {host}:{port} (Raks or Fakt?)")
    found.suggestions += [
        "A Firebird server answers on localhost: for RAKS SQL add\n"
        "  raks: {host: localhost, password_env: FIREBIRD_PASSWORD}",
        "For Fakt on this machine's server add\n"
        "  fakt: {install_folder: 'C:\\Fakt', password_env: FIREBIRD_PASSWORD}",
    ]


def settings_text(found: Detected, paths: dict[str, str], office_name: str) -> str:
    """The settings file: validated before it is returned, so `init` never writes a bad one."""
    settings: dict[str, Any] = {
        "office_name": office_name,
        "programs": found.programs,
        "panel": {"database": "panel.sqlite"},
        "update": {"companies": "all", "data_types": ["zus", "taxes", "summaries"]},
        "approval": {"zus": "never", "taxes": "never", "summaries": "never"},
        "schedules": {"enabled": False, "automatic_update": "0 6 * * *"},
    }
    if paths:
        settings["paths"] = paths
    parse_settings(settings, Path("."), origin="the settings konekto init made")
    lines = [
        "# konekto-pipeline settings written by `konekto init`; check them with",
        "# `konekto check --settings <this file>`. Passwords are read from the environment",
        "# variables named by password_env; export them before syncing.",
    ]
    lines += [f"#   {finding}" for finding in found.findings]
    for suggestion in found.suggestions:
        lines += ["#", *(f"# {line}" for line in suggestion.splitlines())]
    body = yaml.safe_dump(settings, allow_unicode=True, sort_keys=False)
    return "\n".join(lines) + "\n" + body


def write_settings(target: Path, text: str, *, force: bool = False) -> None:
    """Write the file; an existing settings file is kept unless `force`."""
    if target.exists() and not force:
        raise FileExistsError(f"{target} exists; give --force to replace it")
    target.write_text(text, encoding="utf-8")
