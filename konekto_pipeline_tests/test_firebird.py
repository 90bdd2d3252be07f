"""The Firebird machinery Raks and Fakt are read through, against the real local Firebird server.

Each failure an office can meet is caused for real and must come out as a sentence that says
what to do, never with the password in it: a wrong password, a wrong path, a closed port, a port
that does not answer, an authentication method or wire encryption the server refuses, a file
that is not a database or is from a newer Firebird, a missing client library, text that does not
fit the charset. The public issue reports of research §9 (F1-F13) that can be reproduced here
are tests too: server messages in another code page, non-ASCII paths, legacy authentication,
wire encryption, dialect 1 money as doubles, Firebird 4 types. Polish text must survive: names
written by a WIN1250 client, and a database created with charset NONE holding WIN1250 bytes.

Needs Firebird on 127.0.0.1:3050 (.ci/firebird.sh); the tests skip with the reason otherwise.
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from konekto_pipeline.domain.money import round_tax_grosze
from konekto_pipeline.sources.firebird import connection as fb
from konekto_pipeline.sources.firebird.connection import (
    FirebirdConnectionError,
    FirebirdServer,
    FirebirdTarget,
    error_kind,
    explain,
)
from konekto_pipeline.sources.firebird.local import (
    create_database,
    local_target,
    read_write,
    remove_folder,
    server_folder,
    server_problem,
)
from konekto_pipeline.sources.firebird.program import (
    FaktProgram,
    RaksProgram,
    firebird_target,
)
from konekto_pipeline.sources.firebird.reading import whole_zloty
from konekto_pipeline.sources.firebird.tables import FirebirdTables, grosze, suspicious_text
from konekto_pipeline.sources.sql.tables import SchemaMismatch, TableSpec, grosze_from_db

POLISH = "Zażółć gęślą jaźń ĄĆĘŁŃÓŚŹŻ ąćęłńóśźż"
SECRET = "Tajne-Hasło-7319"


@pytest.fixture(scope="module")
def target() -> FirebirdTarget:
    found = local_target()
    problem = server_problem(found)
    if problem:
        pytest.skip(f"Firebird is not usable here: {problem}")
    return found


@pytest.fixture(scope="module")
def folder(target: FirebirdTarget) -> Iterator[Path]:
    made = server_folder()
    yield made
    remove_folder(made)


# --- shared with test_raks and test_fakt ---------------------------------------------------------


def messages(data, nip: str | None = None) -> list[str]:
    """The problem messages of a read (of one NIP, when named)."""
    return [problem.message for problem in data.problems if nip is None or problem.nip == nip]


def row(frame: pd.DataFrame, **where) -> dict:
    """The one row of `frame` with the given column values."""
    found = frame
    for column, value in where.items():
        found = found.loc[found[column] == value]
    assert len(found) == 1, f"{where}: {len(found)} rows"
    return found.iloc[0].to_dict()


def _database(
    target: FirebirdTarget, path: Path, charset: str = "WIN1250", name: str = POLISH, **kwargs
) -> str:
    """A database with table T (ID, NAME, AMOUNT) holding one row written by `target`'s client."""
    connection = create_database(target, str(path), database_charset=charset, **kwargs)
    cursor = connection.cursor()
    cursor.execute("CREATE TABLE T (ID INTEGER, NAME VARCHAR(120), AMOUNT DECIMAL(15,2))")
    connection.commit()
    cursor.execute("INSERT INTO T VALUES (1, ?, ?)", (name, Decimal("1234.56")))
    connection.commit()
    connection.close()
    return str(path)


@pytest.fixture(scope="module")
def win1250_db(target: FirebirdTarget, folder: Path) -> str:
    return _database(target, folder / "polski.fdb")


def _read_name(target: FirebirdTarget, path: str) -> str:
    with FirebirdServer(target).connect(path) as database:
        return database.query("SELECT NAME FROM T WHERE ID = ?", [1])[0][0]


def _failure(target: FirebirdTarget, path: str) -> FirebirdConnectionError:
    with pytest.raises(FirebirdConnectionError) as caught:
        with FirebirdServer(target, program="raks").connect(path) as database:
            database.query("SELECT 1 FROM RDB$DATABASE")
    return caught.value


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- Polish text ----------------------------------------------------------------------------------


def test_polish_names_written_by_a_win1250_client_read_back_exactly(target, win1250_db):
    assert _read_name(target, win1250_db) == POLISH


def test_the_bytes_stored_are_win1250(target, win1250_db):
    with FirebirdServer(target).connect(win1250_db) as database:
        stored = database.query("SELECT CAST(NAME AS VARCHAR(120) CHARACTER SET OCTETS) FROM T")
    assert stored[0][0] == POLISH.encode("cp1250")


def test_a_none_database_holding_win1250_bytes_reads_right_in_none_mode(target, folder):
    path = _database(target, folder / "none.fdb", charset="NONE")
    none_mode = local_target(charset="NONE", text_encoding="cp1250")
    assert _read_name(none_mode, path) == POLISH
    assert _read_name(local_target(charset="NONE"), path) == POLISH  # cp1250 is the default


def test_a_none_database_read_as_utf8_is_recognised_as_the_wrong_charset(target, folder):
    path = _database(target, folder / "none-utf8.fdb", charset="NONE")
    name = _read_name(local_target(charset="UTF8"), path)
    assert name != POLISH
    assert "cannot decode" in suspicious_text(name, "utf-8")


def test_utf8_bytes_in_a_none_database_read_as_win1250_are_recognised(folder):
    utf8_client = local_target(charset="UTF8")
    lower = "Zażółć gęślą jaźń"
    path = _database(utf8_client, folder / "none-from-utf8.fdb", charset="NONE", name=lower)
    name = _read_name(local_target(charset="NONE"), path)
    assert name == lower.encode("utf-8").decode("cp1250")
    assert "looks like UTF-8 read as cp1250" in suspicious_text(name, "cp1250")
    # Capital Ę is C4 98 in UTF-8, and 0x98 is no character in cp1250: fdb puts U+FFFD there.
    path = _database(utf8_client, folder / "none-from-utf8-2.fdb", charset="NONE")
    assert "cannot decode" in suspicious_text(
        _read_name(local_target(charset="NONE"), path), "cp1250"
    )
    assert suspicious_text(POLISH, "cp1250") is None


def test_text_that_win1250_cannot_hold_gives_a_charset_message(target, folder):
    utf8_client = local_target(charset="UTF8")
    connection = create_database(utf8_client, str(folder / "cyrillic.fdb"), database_charset="UTF8")
    cursor = connection.cursor()
    cursor.execute("CREATE TABLE T (ID INTEGER, NAME VARCHAR(60))")
    connection.commit()
    cursor.execute("INSERT INTO T VALUES (1, ?)", ("Жук Sp. z o.o.",))
    connection.commit()
    connection.close()
    with pytest.raises(FirebirdConnectionError) as caught:
        _read_name(target, str(folder / "cyrillic.fdb"))
    assert "charset WIN1250 does not fit" in caught.value.reason
    assert "transliterate" in caught.value.reason.lower()
    assert not caught.value.affects_server


def test_an_unknown_charset_is_refused_before_connecting():
    with pytest.raises(FirebirdConnectionError) as caught:
        local_target(charset="WIN1250X")
    assert caught.value.kind == "charset"
    assert "WIN1250" in caught.value.reason


def test_a_server_without_the_charset_installed_is_a_charset_failure():
    # NixOS/nixos#299: a server missing fbintl; cannot be caused on a full Debian install.
    error = Exception(
        "Error while connecting to database:\n- SQLCODE: -924\n"
        "- CHARACTER SET WIN1250 is not installed",
        -924,
        335544141,
    )
    assert error_kind(error) == "charset"
    assert "WIN1250" in explain(error, local_target(), "/data/F00001.FDB")


# --- failures caused for real ---------------------------------------------------------------------


def test_a_wrong_password_is_a_refused_login_without_the_password(target, win1250_db):
    error = _failure(local_target(password=SECRET), win1250_db)
    assert error.kind == "login"
    assert error.affects_server
    assert "login refused for user 'SYSDBA'" in error.reason
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert SECRET not in repr(local_target(password=SECRET))


def test_a_wrong_path_names_the_file_and_concerns_one_database(target, folder):
    missing = str(folder / "F09999.FDB")
    error = _failure(target, missing)
    assert error.kind == "path"
    assert not error.affects_server
    assert missing in error.reason
    assert "does not exist at that path as the server sees it" in error.reason


def test_a_closed_port_says_the_server_is_not_reachable(win1250_db):
    port = _free_port()
    error = _failure(local_target(port=port), win1250_db)
    assert error.kind == "unreachable"
    assert error.affects_server
    assert f"cannot reach the Firebird server 127.0.0.1:{port}" in error.reason


def test_a_port_that_never_answers_gives_up_after_the_login_timeout(win1250_db):
    # pyfirebirdsql#115/#118: a connect that hangs without an error (F9).
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.monotonic()
        error = _failure(local_target(port=silent.getsockname()[1], login_timeout=2), win1250_db)
        elapsed = time.monotonic() - started
    assert error.kind == "not_firebird"
    assert "did not answer as a Firebird server within 2 s" in error.reason
    assert elapsed < 15


def test_an_unknown_host_is_not_reachable(win1250_db):
    error = _failure(local_target(host="no-such-host.invalid"), win1250_db)
    assert error.kind == "unreachable"
    assert "no-such-host.invalid" in error.reason


def test_a_client_with_only_legacy_auth_hears_the_server_refuses_its_method(target, win1250_db):
    # fdb#7, jaybird#499, NETProvider#802: legacy and SRP users (F5, F10, F10b).
    error = _failure(local_target(auth_plugins="Legacy_Auth"), win1250_db)
    assert error.kind == "auth_plugin"
    assert "share no authentication method (Legacy_Auth)" in error.reason
    assert "AuthServer" in error.reason


def test_the_client_default_auth_plugins_can_be_named(target, win1250_db):
    assert _read_name(local_target(auth_plugins="Srp256, Srp, Legacy_Auth"), win1250_db) == POLISH


def test_wire_encryption_refused_by_the_client_is_explained(target, win1250_db):
    # node-firebird#214, dbeaver#3663: "Incompatible wire encryption levels" (F11).
    error = _failure(local_target(wire_crypt="disabled"), win1250_db)
    assert error.kind == "wire_crypt"
    assert "disagree on wire encryption (client: disabled)" in error.reason
    assert _read_name(local_target(wire_crypt="required"), win1250_db) == POLISH


def test_a_file_that_is_not_a_database_is_named(target, folder):
    not_database = folder / "notes.fdb"
    not_database.write_text("Raks notatki\n" * 10, encoding="utf-8")
    error = _failure(target, str(not_database))
    assert error.kind == "not_database"
    assert "is not a Firebird database" in error.reason


def test_a_database_from_a_newer_firebird_points_to_its_server(target, folder):
    # Raks after its migration to Firebird 4 (ODS 13) read through a Firebird 3 server.
    original = _database(target, folder / "fb3.fdb")
    newer = folder / "fb4.fdb"
    shutil.copy(original, newer)
    if os.geteuid() == 0:
        shutil.chown(newer, "firebird", "firebird")
    with newer.open("r+b") as file:
        file.seek(18)  # the header page's ODS version: 0x8000 (Firebird) | major
        file.write(struct.pack("<H", 0x8000 | 13))
    error = _failure(target, str(newer))
    assert error.kind == "newer_ods"
    assert "the file is for Firebird 4.0 or 5.0, the server is Firebird 3.0" in error.reason
    assert 'folder with "4" appended' in error.reason


def test_a_missing_client_library_says_what_to_install(win1250_db):
    # fdb#59, fdb#103, FBManager#29: the client library not found or the wrong one (F11c/F11d).
    script = (
        "from konekto_pipeline.sources.firebird.connection import attach, FirebirdConnectionError\n"
        "from konekto_pipeline.sources.firebird.local import local_target\n"
        "try:\n"
        "    target = local_target(client_library='/nonexistent/libfbclient.so.2')\n"
        f"    attach(target, {win1250_db!r})\n"
        "except FirebirdConnectionError as error:\n"
        "    print(error.kind, '|', error.reason)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    kind, _, reason = result.stdout.strip().partition(" | ")
    assert kind == "client", result.stdout + result.stderr
    assert "libfbclient2" in reason


def test_a_polish_path_under_a_non_utf8_locale_says_to_use_a_utf8_locale(target, folder):
    # The client converts a UTF-8 path to the machine's character set; a worker started with
    # LANG=C cannot hold "Łódź". Seen with fdb under a POSIX locale (research §9, paths).
    missing = str(folder / "Dane Łódź" / "F00001.FDB")
    script = (
        "import locale\n"
        "from konekto_pipeline.sources.firebird.connection import FirebirdServer\n"
        "from konekto_pipeline.sources.firebird.connection import FirebirdConnectionError\n"
        "from konekto_pipeline.sources.firebird.local import local_target\n"
        "print(locale.getpreferredencoding())\n"
        "try:\n"
        f"    with FirebirdServer(local_target()).connect({ascii(missing)}):\n"
        "        pass\n"
        "except FirebirdConnectionError as error:\n"
        "    print(error.kind)\n"
        "    print(ascii(error.reason))\n"
    )
    environment = {
        **os.environ,
        "LC_ALL": "POSIX",
        "LANG": "POSIX",
        "PYTHONUTF8": "0",
        "PYTHONCOERCECLOCALE": "0",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        encoding="ascii",
        timeout=60,
        env=environment,
        check=False,
    )
    encoding, kind, reason = result.stdout.strip().splitlines()
    assert encoding.lower() in ("ansi_x3.4-1968", "ascii", "us-ascii")
    assert kind == "path_encoding", result.stderr
    assert "UTF-8 locale" in reason
    assert ascii(missing)[1:-1] in reason


@pytest.mark.parametrize(
    ("garbled", "code", "kind"),
    [
        # fdb#19, fdb#105, fdb#88: the server's text decoded with another code page (F1-F3).
        (
            'I/O error during "open" operation for file "C:\\Dane \ufffd\ufffdd\ufffd"',
            335544344,
            "path",
        ),
        ("Tw\ufffdj u\ufffdytkownik i has\ufffdo nie s\ufffd zdefiniowane", 335544472, "login"),
        ("Nie mo\ufffdna nawi\ufffdza\ufffd po\ufffd\ufffdczenia", 335544721, "unreachable"),
    ],
)
def test_failures_are_told_by_error_code_whatever_the_message_text(garbled, code, kind):
    error = Exception(
        f"Error while connecting to database:\n- SQLCODE: -902\n- {garbled}", -902, code
    )
    assert error_kind(error) == kind
    assert explain(error, local_target(password=SECRET), "C:\\Dane\\F00001.FDB")


# --- paths, dialects, types -----------------------------------------------------------------------


def test_a_database_in_a_folder_with_polish_letters_opens(target, folder):
    polish = folder / "Biuro Księgowe Żółć"
    polish.mkdir()
    if os.geteuid() == 0:
        shutil.chown(polish, "firebird", "firebird")
    path = _database(target, polish / "F00001.FDB")
    assert _read_name(target, path) == POLISH


def test_dialect_1_money_arrives_as_doubles_and_becomes_exact_grosze(target, folder):
    # Dialect 1 stores DECIMAL(15,2) as DOUBLE PRECISION (research §9 "dialect-1 money").
    path = str(folder / "dialect1.fdb")
    connection = create_database(target, path, dialect=1)
    cursor = connection.cursor()
    cursor.execute("CREATE TABLE T (ID INTEGER, AMOUNT DECIMAL(15,2))")
    connection.commit()
    amounts = ["0.10", "0.20", "1234567.89", "99999999.99", "0.29"]
    cursor.executemany(
        "INSERT INTO T VALUES (?, ?)", [(n, Decimal(a)) for n, a in enumerate(amounts)]
    )
    connection.commit()
    connection.close()
    with FirebirdServer(target).connect(path) as database:
        assert database.dialect == 1
        rows = database.query("SELECT ID, AMOUNT FROM T ORDER BY ID")
        total = database.query("SELECT SUM(AMOUNT) FROM T WHERE ID < 2")[0][0]
    assert all(isinstance(amount, float) for _, amount in rows)
    assert [grosze_from_db(amount, "T.AMOUNT") for _, amount in rows] == [
        10,
        20,
        123456789,
        9999999999,
        29,
    ]
    assert isinstance(total, float) and total != 0.3  # 0.1 + 0.2 in binary
    assert grosze_from_db(total, "SUM") == 30


def test_every_attachment_asks_for_firebird_3_types_a_timeout_and_the_client_settings():
    # php-firebird#26, fibplus#55: Firebird 4 INT128/DECFLOAT from SUM() over DECIMAL (F13).
    added: list[tuple[int, object]] = []

    class Recorder:
        def add_integer_parameter(self, code: int, value: int) -> None:
            added.append((code, value))

        def add_string_parameter(self, code: int, value: str) -> None:
            added.append((code, value))

    token = fb._EXTRA_DPB.set(local_target(login_timeout=7, wire_crypt="required"))
    try:
        fb._add_parameters(b"dsn", Recorder())
    finally:
        fb._EXTRA_DPB.reset(token)
    assert (57, 7) in added  # isc_dpb_connect_timeout
    assert (87, "WireCrypt = Required") in added  # isc_dpb_config
    assert (93, "int128 to legacy;decfloat to legacy;time zone to legacy") in added


def test_firebird_3_accepts_the_firebird_4_type_binding(target, win1250_db):
    with FirebirdServer(target).connect(win1250_db) as database:
        total = database.query("SELECT CAST(SUM(AMOUNT) AS NUMERIC(18,2)) FROM T")[0][0]
    assert total == Decimal("1234.56")


# --- transactions and one connection at a time ----------------------------------------------------


def test_reads_run_in_read_only_transactions(target, win1250_db):
    with FirebirdServer(target).connect(win1250_db) as database:
        with pytest.raises(FirebirdConnectionError) as caught:
            database.query("INSERT INTO T (ID, NAME) VALUES (2, 'x') RETURNING ID")
        assert "read-only transaction" in caught.value.reason
        assert database.query("SELECT COUNT(*) FROM T")[0][0] == 1


def test_no_transaction_stays_open_between_queries(target, win1250_db):
    with FirebirdServer(target).connect(win1250_db) as database:
        attachment = database.query("SELECT CURRENT_CONNECTION FROM RDB$DATABASE")[0][0]
        with read_write(target, win1250_db) as watcher:
            cursor = watcher.cursor()
            cursor.execute(
                "SELECT COUNT(*) FROM MON$TRANSACTIONS WHERE MON$ATTACHMENT_ID = ?",
                (attachment,),
            )
            open_transactions = cursor.fetchone()[0]
    assert open_transactions == 0


def test_a_second_database_cannot_be_opened_while_one_is_open(target, win1250_db):
    server = FirebirdServer(target)
    with server.connect(win1250_db):
        with pytest.raises(RuntimeError, match="still open"):
            with server.connect(win1250_db):
                pass


def test_other_threads_wait_for_the_open_database(target, win1250_db):
    server = FirebirdServer(target)
    events: list[str] = []
    inside = threading.Event()

    def second() -> None:
        inside.wait()
        with server.connect(win1250_db):
            events.append("second opened")

    thread = threading.Thread(target=second)
    thread.start()
    with server.connect(win1250_db):
        inside.set()
        time.sleep(0.3)
        events.append("first closing")
    thread.join(timeout=10)
    assert events == ["first closing", "second opened"]


def test_statements_are_counted_per_database(target, win1250_db):
    server = FirebirdServer(target)
    with server.connect(win1250_db) as database:
        database.query("SELECT 1 FROM RDB$DATABASE")
        database.query("SELECT 2 FROM RDB$DATABASE")
    assert server.statements == 2
    assert server.statements_by_database == {win1250_db: 2}
    assert server.attachments == 1


# --- tolerant tables ------------------------------------------------------------------------------


def test_tables_read_only_the_columns_there_and_name_missing_required_ones(target, win1250_db):
    spec = TableSpec("T", required=("ID", "NAME"), optional=("AMOUNT", "CITY"))
    broken = TableSpec("T", required=("ID", "NIP"))
    with FirebirdServer(target).connect(win1250_db) as database:
        tables = FirebirdTables(database, "raks", [spec])
        rows = tables.select(spec, ("ID", "NAME", "AMOUNT", "CITY"), "ID = ?", [1])
        assert tables.missing_optional(spec) == ["CITY"]
        with pytest.raises(SchemaMismatch, match="raks: table T: required column NIP is missing"):
            FirebirdTables(database, "raks", [broken]).present(broken)
        missing = TableSpec("R3_NOWHERE", required=("ID",))
        with pytest.raises(SchemaMismatch, match="table R3_NOWHERE: table is missing"):
            FirebirdTables(database, "raks", [missing]).present(missing)
    assert rows == [{"ID": 1, "NAME": POLISH, "AMOUNT": Decimal("1234.56"), "CITY": None}]


# --- settings -------------------------------------------------------------------------------------


def test_the_password_comes_from_its_environment_variable():
    program = RaksProgram(data_folder="/srv/raks", password_env="RAKS_FB_PASSWORD")
    made = firebird_target(program, "raks", environ={"RAKS_FB_PASSWORD": SECRET})
    assert made.password == SECRET and made.charset == "WIN1250" and made.port == 3050
    with pytest.raises(FirebirdConnectionError, match="RAKS_FB_PASSWORD .* is not set"):
        firebird_target(program, "raks", environ={})


def test_settings_refuse_an_external_fakt_server_without_its_database_path():
    with pytest.raises(ValueError, match="external needs 'database'"):
        FaktProgram(server_type="external", host="biuro-serwer")
    with pytest.raises(ValueError, match="install_folder"):
        FaktProgram()
    assert FaktProgram(install_folder="C:/Fakt").server_type == "local"
    with pytest.raises(ValueError, match="charset"):
        RaksProgram(charset="LATIN9")


# --- money ----------------------------------------------------------------------------------------


def test_whole_zloty_rounds_as_the_tax_rule_does():
    amounts = [*range(-20_050, 20_051, 7), 49, 50, 150, 10**14 - 50]
    assert [whole_zloty(a) for a in amounts] == [round_tax_grosze(a) for a in amounts]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("1234.56"), 123456), (Decimal("-0.01"), -1), (Decimal("7"), 700), (None, 0)],
)
def test_exact_decimals_become_grosze(value, expected):
    assert grosze(value, "KWOTA") == expected


@pytest.mark.parametrize("value", [Decimal("0.005"), Decimal("1e13"), 0.3333, "x"])
def test_what_is_not_whole_grosze_is_refused_with_its_place(value):
    with pytest.raises(ValueError, match="KWOTA"):
        grosze(value, "KWOTA")
