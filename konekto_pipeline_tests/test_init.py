"""`konekto init`: a first settings file from what this machine has.

The file programs are laid out in their standard places on a mapped drive; a SQL Server Browser
is played by a UDP socket on 127.0.0.1 answering as a real one does (instances OPTIMA, INSERTGT
and one of no known program); a listening TCP socket stands for a Firebird server. What is sure
is enabled, what only may be a program's is a commented suggestion, no password is written,
and the file loads as valid settings.
"""

import socket
from pathlib import Path

import yaml

from konekto_pipeline.cli import main
from konekto_pipeline.init import Detected, detect, settings_text, write_settings
from konekto_pipeline.settings import load_settings
from konekto_pipeline.sources.files.paths import PathMap
from konekto_pipeline_tests.test_sql_browser import responder, svr_resp  # noqa: F401 (fixture)

INSTANCES = (
    "ServerName;BIURO;InstanceName;OPTIMA;IsClustered;No;Version;15.0.2000.5;tcp;50111;;"
    "ServerName;BIURO;InstanceName;INSERTGT;IsClustered;No;Version;11.0.7001.0;tcp;50123;;"
    "ServerName;BIURO;InstanceName;SQLEXPRESS;IsClustered;No;Version;16.0.1000.6;tcp;50200;;"
)


def _drive_c(root: Path) -> Path:
    (root / "BUCH" / "FIRMA1").mkdir(parents=True)
    (root / "KPR_2026").mkdir()
    (root / "MK").mkdir()
    (root / "MK" / "MK.INI").write_text("[Dane]\r\nKatalogDanych=C:\\MK\\Biuro\r\n", "cp1250")
    return root


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_init_enables_what_it_finds_and_suggests_what_may_be_a_program(
    tmp_path,
    responder,  # noqa: F811
):
    drive = _drive_c(tmp_path / "c")
    browser = responder(lambda request: svr_resp(INSTANCES))
    with socket.create_server(("127.0.0.1", 0)) as firebird:
        found = detect(
            PathMap({"C:": str(drive)}),
            tmp_path,
            sql_browser_port=browser.port,
            firebird_port=firebird.getsockname()[1],
        )

    assert set(found.programs) == {"buchalter", "kpr", "mala_ksiegowosc", "optima", "rachmistrz"}
    assert found.programs["optima"] == {
        "server": "localhost\\OPTIMA",
        "database": "CDN_KNF_Konfiguracja",
        "user": "konekto",
        "password_env": "OPTIMA_PASSWORD",
    }
    assert found.programs["rachmistrz"]["server"] == "localhost\\INSERTGT"
    assert any("SQLEXPRESS" in suggestion for suggestion in found.suggestions)
    assert any("raks:" in suggestion for suggestion in found.suggestions)

    target = tmp_path / "konekto.yaml"
    write_settings(target, settings_text(found, {"C:": str(drive)}, "Biuro Testowe"))
    settings = load_settings(target)
    assert set(settings.programs.enabled()) == set(found.programs)
    assert settings.paths == {"C:": str(drive)}
    text = target.read_text(encoding="utf-8")
    assert "# A Firebird server answers on localhost" in text
    assert "password:" not in text and "pwd" not in text.lower()


def test_init_on_a_bare_machine_writes_valid_settings_without_programs(tmp_path):
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))  # a Browser port where nobody answers
    try:
        found = detect(
            PathMap(),
            tmp_path,
            sql_browser_port=silent.getsockname()[1],
            firebird_port=_closed_port(),
            timeout=0.3,
        )
    finally:
        silent.close()

    assert found.programs == {}
    assert any(finding.startswith("SQL Server: no SQL Browser") for finding in found.findings)
    assert any(finding.startswith("Firebird: no server") for finding in found.findings)
    data = yaml.safe_load(settings_text(found, {}, "Biuro"))
    assert data["programs"] == {} and data["panel"] == {"database": "panel.sqlite"}


def test_init_keeps_an_existing_settings_file(tmp_path):
    target = tmp_path / "konekto.yaml"
    target.write_text("office_name: mine\n", encoding="utf-8")
    try:
        write_settings(target, "office_name: new\n")
    except FileExistsError as error:
        assert "--force" in str(error)
    else:
        raise AssertionError("an existing settings file was replaced")
    assert target.read_text(encoding="utf-8") == "office_name: mine\n"
    write_settings(target, "office_name: new\n", force=True)
    assert target.read_text(encoding="utf-8") == "office_name: new\n"


def test_the_init_command_writes_the_file_and_refuses_to_overwrite_it(tmp_path, capsys):
    drive = _drive_c(tmp_path / "c")
    target = tmp_path / "biuro.yaml"
    arguments = ["init", "--path", f"C:={drive}", "--output", str(target)]

    assert main([*arguments, "--office-name", "Biuro Łąka"]) == 0
    assert f"next: konekto check --settings {target}" in capsys.readouterr().out
    settings = load_settings(target)
    assert settings.office_name == "Biuro Łąka"
    assert {"buchalter", "kpr", "mala_ksiegowosc"} <= set(settings.programs.enabled())

    assert main(arguments) == 2
    assert "--force" in capsys.readouterr().err


def test_check_of_settings_without_programs_says_none_is_enabled(tmp_path, capsys):
    target = tmp_path / "konekto.yaml"
    write_settings(target, settings_text(Detected(), {}, "Biuro"))

    assert main(["check", "--settings", str(target)]) == 1
    assert "programs: none is enabled" in capsys.readouterr().out
