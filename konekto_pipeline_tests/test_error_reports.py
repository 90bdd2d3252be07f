"""Error reports of failed runs: what they hold, what they never hold, and how they are sent.

A demo office is synced once for real (so the panel database and the stored frames know its
clients), then synced again with the JPK folder gone and with the KEDU reader raising an error
whose message carries everything that must never leave the office: a secret from a variable the
settings name, a NIP in several spellings, client names, amounts, an e-mail address, a phone, an
account and a REGON. Both runs go into a Dagster test instance (`DAGSTER_HOME`), where
`konekto sync` and `konekto report-error` find it. Reports go to an http.server and an aiosmtpd
server on 127.0.0.1; the sensor is evaluated with Dagster's run-status test context.
"""

import base64
import json
import platform
import re
import socket
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import dagster as dg
import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from konekto_pipeline.cli import main, run_sync
from konekto_pipeline.definitions import build_definitions
from konekto_pipeline.defs.error_reports import error_report_sensor
from konekto_pipeline.demo import DemoOffice, create_demo_office
from konekto_pipeline.error_reports import (
    ErrorReport,
    Redactor,
    build_error_report,
    known_names,
    send_report,
    url_problem,
)
from konekto_pipeline.settings import SETTINGS_ENV_VAR, Settings, load_settings
from konekto_pipeline.sources.kedu.reader import KeduReader

PERIOD = "2026-06"
TOKEN_ENV = "KONEKTO_TEST_REPORT_TOKEN"
TOKEN = "tok-Zq8v1xK7pR2mW9"
SMTP_PASSWORD_ENV = "KONEKTO_TEST_REPORT_SMTP_PASSWORD"
SMTP_USER = "biuro"
SMTP_PASSWORD = "Hs7kWp2qLx"
REPORT_TO = "bledy@konekto.example"

CLIENT_NIP = "5260250274"
CLIENT_NAME = "Kwiaciarnia Pod Różą Anna Nowak"  # known only from the settings' `companies`
NIP_SPELLINGS = (
    CLIENT_NIP,
    "526-025-02-74",
    "526-02-50-274",
    "PL5260250274",
    "PL 526 025 02 74",
    "526 025 02 74",
)
AMOUNTS = ("1 234,56 zł", "98765,43", "12 345.67 PLN", "120000 gr", "1\u00a0500,00\u00a0zł")
EMAIL = "anna.nowak@kwiaciarnia-roza.pl"
PHONE = "+48 600 100 200"
ACCOUNTS = ("PL61 1090 1014 0000 0712 1981 2874", "61109010140000071219812874")
REGON = "123456785"


def _planted_message(office: DemoOffice) -> str:
    """What a careless reader might put in an error: every kind of data a report must drop."""
    panel_client = office.companies[3]  # an Optima client: in the panel after the first sync
    kedu_client = office.companies[0]
    return (
        f"payer {CLIENT_NAME} NIP {NIP_SPELLINGS[1]} (also {', '.join(NIP_SPELLINGS)}) "
        f"owes {', '.join(AMOUNTS)}; payer {panel_client.name} (NIP {panel_client.nip}); "
        f"short name {kedu_client.kedu_name}; contact {EMAIL}, {PHONE}; account {ACCOUNTS[0]} "
        f"or {ACCOUNTS[1]}; REGON {REGON}; the gateway refused token {TOKEN}; "
        f"platnik at postgresql://konekto:{SMTP_PASSWORD}@127.0.0.1/platnik; "
        f"password={SMTP_PASSWORD}"
    )


def _forbidden(office: DemoOffice) -> list[str]:
    panel_client = office.companies[3]
    return [
        TOKEN,
        SMTP_PASSWORD,
        *NIP_SPELLINGS,
        panel_client.nip,
        CLIENT_NAME,
        "Kwiaciarnia",
        panel_client.name,
        office.companies[0].kedu_name or "",
        "Łączka",
        *AMOUNTS,
        "1 234,56",
        "98765",
        "12 345.67",
        "120000",
        EMAIL,
        PHONE,
        "600 100 200",
        *ACCOUNTS,
        "1090 1014",
        REGON,
    ]


# --- a real failed run -------------------------------------------------------------------------


@dataclass
class FailedRun:
    office: DemoOffice
    instance: dg.DagsterInstance
    run_id: str
    planted: str


def _demo_settings(office: DemoOffice) -> dict[str, Any]:
    return yaml.safe_load(office.settings_path.read_text(encoding="utf-8"))


def _write_settings(office: DemoOffice, name: str, settings: dict[str, Any]) -> Path:
    path = office.folder / name  # beside the demo's file: the same folders and storage
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


def _failing_settings(office: DemoOffice) -> dict[str, Any]:
    """The demo's settings with the JPK folder moved away (to a folder named after a client, as
    offices name them) and one client's name settled in `companies`."""
    settings = _demo_settings(office)
    panel_client = office.companies[3]
    gone = f"klienci/{panel_client.name} NIP {panel_client.nip}"
    settings["programs"]["jpk"] = {"folder": gone}
    settings["companies"][CLIENT_NIP] = {"name": CLIENT_NAME}
    return settings


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FailedRun]:
    with pytest.MonkeyPatch.context() as patch, dg.instance_for_test() as instance:
        patch.setenv(TOKEN_ENV, TOKEN)
        patch.setenv(SMTP_PASSWORD_ENV, SMTP_PASSWORD)
        office = create_demo_office(
            tmp_path_factory.mktemp("office"), companies=4, last_period=PERIOD, month_count=1
        )
        first = run_sync(office.settings_path, PERIOD, PERIOD)
        assert first.success, first.errors

        planted = _planted_message(office)

        def careless_read(self: KeduReader, periods: object = None) -> None:
            raise RuntimeError(planted)

        settings_path = _write_settings(office, "failing.yaml", _failing_settings(office))
        with pytest.MonkeyPatch.context() as reader:
            reader.setattr(KeduReader, "read", careless_read)
            failed = run_sync(settings_path, PERIOD, PERIOD)
        assert not failed.success
        yield FailedRun(office, instance, failed.run_id, planted)


def _report_settings(run: FailedRun, smtp_port: int = 1, **error_reports: Any) -> Path:
    """Settings that send error reports, naming the token and SMTP password variables."""
    settings = _failing_settings(run.office)
    settings["error_reports"] = {"enabled": True, "token_env": TOKEN_ENV, **error_reports}
    settings["notifications"] = {
        "email": {
            "host": "127.0.0.1",
            "port": smtp_port,
            "security": "none",
            "user": SMTP_USER,
            "password_env": SMTP_PASSWORD_ENV,
            "sender": "Biuro Rachunkowe Demo <biuro@demo.example>",
            "timeout_seconds": 5,
        }
    }
    return _write_settings(run.office, "reporting.yaml", settings)


def _report(run: FailedRun, settings_path: Path | None = None) -> ErrorReport:
    settings = load_settings(settings_path or _report_settings(run, url="http://127.0.0.1:1/"))
    return build_error_report(run.instance, run.run_id, settings)


def _failure(report: ErrorReport, step: str) -> Any:
    return next(failure for failure in report.failures if failure.step == step)


def test_report_names_the_run_the_failing_steps_and_their_errors(failed_run: FailedRun) -> None:
    report = _report(failed_run)

    assert report.run_id == failed_run.run_id
    assert report.job == "sync"
    steps = {failure.step for failure in report.failures}
    assert {"jpk_companies", "jpk_taxes", "jpk_summaries", "kedu_companies", "kedu_zus"} <= steps
    missing_folder = _failure(report, "jpk_companies")
    assert missing_folder.error_class == "konekto_pipeline.sources.registry.SourceUnavailable"
    assert missing_folder.message.startswith("jpk: folder ")
    assert missing_folder.message.endswith("does not exist (programs.jpk.folder in the settings)")
    assert "Traceback (most recent call last):" in missing_folder.stack_trace
    assert 'registry.py", line' in missing_folder.stack_trace
    assert _failure(report, "kedu_zus").error_class == "RuntimeError"
    assert "careless_read" in _failure(report, "kedu_zus").stack_trace


def test_report_says_when_with_which_versions_and_programs(failed_run: FailedRun) -> None:
    settings_path = _report_settings(failed_run, url="http://127.0.0.1:1/")
    report = _report(failed_run, settings_path)

    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", report.failed_at)
    assert set(report.versions) == {"konekto-pipeline", "dagster", "pandas", "python", "os"}
    assert report.versions["dagster"] == dg.__version__
    assert report.versions["python"] == platform.python_version()
    assert report.versions["konekto-pipeline"] != "unknown"
    enabled = load_settings(settings_path).programs.enabled()
    assert list(report.programs) == sorted(enabled) and "kedu" in report.programs


def test_report_holds_no_secret_nip_name_amount_contact_or_account(failed_run: FailedRun) -> None:
    report = _report(failed_run)
    kedu = _failure(report, "kedu_zus")
    shown = report.to_text() + report.to_json()

    assert failed_run.planted.startswith("payer ")  # the run really carried all of it
    left = [value for value in _forbidden(failed_run.office) if value and value in shown]
    assert left == []
    for placeholder in ("<NIP>", "<name>", "<amount>", "<email>", "<phone>", "<account>"):
        assert placeholder in kedu.message
    assert kedu.message.count("<secret>") >= 3
    assert "<REGON>" in kedu.message


def test_the_text_is_what_the_json_holds(failed_run: FailedRun) -> None:
    report = _report(failed_run)
    data = json.loads(report.to_json())
    text = report.to_text()

    assert data["run_id"] == report.run_id and data["job"] == "sync"
    assert [failure["step"] for failure in data["failures"]] == [f.step for f in report.failures]
    for failure in data["failures"]:
        assert f"Step {failure['step']} failed: {failure['error_class']}" in text
        assert failure["message"].splitlines()[0] in text
    assert f"Run:       {report.run_id} (job sync)" in text


def test_client_names_come_from_settings_panel_and_stored_frames(failed_run: FailedRun) -> None:
    settings = load_settings(_report_settings(failed_run, url="http://127.0.0.1:1/"))
    names = known_names(settings)

    assert CLIENT_NAME in names  # the settings' `companies`
    assert failed_run.office.companies[3].name in names  # the panel database, the frames
    assert failed_run.office.companies[0].kedu_name in names  # KEDU's short name, a frame


def test_a_run_that_did_not_fail_has_no_report(failed_run: FailedRun) -> None:
    settings = load_settings(_report_settings(failed_run, url="http://127.0.0.1:1/"))
    succeeded = failed_run.instance.get_runs(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS]), limit=1
    )[0]

    with pytest.raises(ValueError, match="did not fail"):
        build_error_report(failed_run.instance, succeeded.run_id, settings)
    with pytest.raises(ValueError, match="no run"):
        build_error_report(failed_run.instance, "not-a-run", settings)


# --- redaction by shape ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NIP 5260250274", "NIP <NIP>"),
        ("NIP: 526-025-02-74", "NIP: <NIP>"),
        ("526-02-50-274", "<NIP>"),
        ("PL5260250274", "<NIP>"),
        ("PL 526 025 02 74", "<NIP>"),
        ("JPK_5260250274_2026.xml", "JPK_<NIP>_2026.xml"),
        ("PESEL 44051401359", "PESEL <PESEL>"),
        ("REGON 123456785", "REGON <REGON>"),
        ("REGON 12345678512347", "REGON <REGON>"),
        ("to pay 1 234,56 zł", "to pay <amount>"),
        ("1\u00a0234,56\u00a0zł", "<amount>"),
        ("1234.56 and 1.234,56 and 1,234.56", "<amount> and <amount> and <amount>"),
        ("12 345 PLN, PLN 99, 500 gr, 120000 groszy", "<amount>, <amount>, <amount>, <amount>"),
        ("amount=123456, 'total': 98765", "amount=<amount>, 'total': <amount>"),
        ("PL61 1090 1014 0000 0712 1981 2874", "<account>"),
        ("61109010140000071219812874", "<account>"),
        ("anna.nowak@kwiaciarnia-roza.pl", "<email>"),
        ("+48 600 100 200, 600-100-200, (22) 123 45 67", "<phone>, <phone>, <phone>"),
        ("postgresql://konekto:pa55@db.host/x", "postgresql://<secret>@db.host/x"),
        ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer <secret>"),
        ("DRIVER=x;UID=sa;PWD=x1y2;", "DRIVER=x;UID=sa;PWD=<secret>;"),
        ("password: hunter2", "password: <secret>"),
        ('payer "Kwiaciarnia Róża" (NIP 5260250274)', 'payer "<name>" (NIP <NIP>)'),
        ("NIP 5260250274 'Kwiaciarnia Róża'", "NIP <NIP> '<name>'"),
        ("name='Kwiaciarnia'", "name='<name>'"),
        ("675.387.87.79, 675\u00a0387\u00a087\u00a079, 675-387 87 79", "<NIP>, <NIP>, <NIP>"),
        ("PL-675-387-87-79", "<NIP>"),
        ("1234,5 and Decimal('98765.4') and np.float64(4321.1)",
         "<amount> and Decimal(<amount>) and np.float64(<amount>)"),
        ("PL61-1090-1014-0000-0712-1981-2874", "<account>"),
        ("mailto:jan%40example.pl", "mailto:<email>"),
    ],
)  # fmt: skip
def test_redaction_replaces_by_shape(text: str, expected: str) -> None:
    assert Redactor()(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "run 6bee84df-5758-4f97-a5e2-a567f486441a of job sync",
        "python3.11/site-packages/dagster-1.13.28",
        "2026-06-15 12:30:45, period 2026-06, VAT-7",
        "2026.06.15 12:30 and 2026-06-15 10",
        'File "/srv/konekto/registry.py", line 88, in _folder',
        "127.0.0.1:8765",
        "password_env: OPTIMA_PASSWORD",
    ],
)
def test_redaction_keeps_what_an_engineer_needs(text: str) -> None:
    assert Redactor()(text) == text


def test_known_secrets_and_names_go_in_any_case_and_without_legal_form() -> None:
    redact = Redactor(secrets=["Hasło!2x"], names=["Piekarnia Łączka sp. z o.o."])

    assert redact("PIEKARNIA  ŁĄCZKA SP. Z O.O. failed") == "<name> failed"
    assert redact("Piekarnia Łączka: no DRA") == "<name>: no DRA"
    assert redact("got Hasło!2x and Has%C5%82o%212x") == "got <secret> and <secret>"


def test_known_secrets_and_names_go_in_their_other_spellings() -> None:
    secret, name = "s3cr3t/Pa ss+word", "Piekarnia Łączka sp. z o.o."
    redact = Redactor(secrets=[secret], names=[name])
    encoded = [
        base64.b64encode(secret.encode()).decode(),
        quote(secret).lower(),
        quote(secret),
        repr(secret.encode()),
        json.dumps("Hasło " + secret, ensure_ascii=True),
    ]
    for text in encoded:
        assert secret not in redact(text) and "<secret>" in redact(text), text
    for spelling in (
        unicodedata.normalize("NFD", "Piekarnia Łączka"),
        "PIEKARNIA LACZKA",
        "Piekarnia Łączka".encode("cp1250").decode("cp852"),
    ):
        assert redact(f"{spelling}: no DRA") == "<name>: no DRA", spelling


# --- sending -----------------------------------------------------------------------------------


@dataclass
class ReportServer:
    """An HTTP endpoint on 127.0.0.1 that keeps each POST and answers `status`."""

    url: str = ""
    status: int = 201
    received: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)


@pytest.fixture
def report_server() -> Iterator[ReportServer]:
    state = ReportServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.received.append((self.headers.get("Authorization"), json.loads(body)))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/error-reports"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_report_is_posted_as_json_with_the_bearer_token(
    failed_run: FailedRun, report_server: ReportServer
) -> None:
    settings = load_settings(_report_settings(failed_run, url=report_server.url))
    report = build_error_report(failed_run.instance, failed_run.run_id, settings)

    [delivery] = send_report(report, settings)

    assert delivery.sent, delivery.detail
    [(authorization, body)] = report_server.received
    assert authorization == f"Bearer {TOKEN}"
    assert body == json.loads(report.to_json())
    assert body["run_id"] == failed_run.run_id and body["format"] == 1


def test_a_report_that_cannot_be_sent_is_told_never_raised(
    failed_run: FailedRun, report_server: ReportServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_server.status = 500
    refused = load_settings(_report_settings(failed_run, url=report_server.url))
    closed = load_settings(_report_settings(failed_run, url=f"http://127.0.0.1:{_free_port()}/"))
    report = build_error_report(failed_run.instance, failed_run.run_id, refused)

    [by_refusal] = send_report(report, refused)
    [by_closed_port] = send_report(report, closed)
    monkeypatch.delenv(TOKEN_ENV)
    [without_token] = send_report(report, refused)

    assert not by_refusal.sent and by_refusal.detail.startswith("HTTP 500")
    assert not by_closed_port.sent and "ConnectError" in by_closed_port.detail
    assert not without_token.sent and TOKEN_ENV in without_token.detail
    assert len(report_server.received) == 1  # no token: nothing went out


def test_plain_http_is_refused_except_on_this_machine() -> None:
    assert url_problem("https://reports.example.pl/api") is None
    assert url_problem("http://127.0.0.1:8080/api") is None
    assert url_problem("http://localhost/api") is None
    assert url_problem("http://reports.example.pl/api") is not None
    assert url_problem("ftp://127.0.0.1/api") is not None


@dataclass
class Mailbox:
    """aiosmtpd's handler and authenticator: what arrived and who logged in."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    logins: list[bytes] = field(default_factory=list)

    async def handle_DATA(  # noqa: N802 (aiosmtpd's name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append(data.login)
        good = data.login == SMTP_USER.encode() and data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=good, handled=False)


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), _free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        authenticator=box.authenticate,
        auth_require_tls=False,  # plain SMTP is allowed to this machine only
    )
    controller.start()
    yield box, port
    controller.stop()


def test_report_is_emailed_through_the_office_smtp_server(
    failed_run: FailedRun, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    settings = load_settings(_report_settings(failed_run, email=REPORT_TO, smtp_port=port))
    report = build_error_report(failed_run.instance, failed_run.run_id, settings)

    [delivery] = send_report(report, settings)

    assert delivery.sent, delivery.detail
    assert box.logins == [SMTP_USER.encode()]
    [(recipients, message)] = box.messages
    assert recipients == [REPORT_TO]
    assert message["Subject"] == f"konekto-pipeline error report: run {report.run_id} (sync)"
    text = message.get_body(("plain",)).get_content()
    assert text.replace("\r\n", "\n") == report.to_text()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"konekto-error-report-{report.run_id}.json"
    assert json.loads(attachment.get_content()) == json.loads(report.to_json())
    raw = message.as_string()
    assert SMTP_PASSWORD not in raw and CLIENT_NIP not in raw


def test_no_smtp_server_is_a_reason_not_an_exception(failed_run: FailedRun) -> None:
    settings_path = _report_settings(failed_run, email=REPORT_TO)
    settings = load_settings(settings_path)
    without_smtp = settings.model_copy(
        update={"notifications": settings.notifications.model_copy(update={"email": None})}
    )
    report = build_error_report(failed_run.instance, failed_run.run_id, settings)

    [delivery] = send_report(report, without_smtp)

    assert not delivery.sent and "notifications.email" in delivery.detail


# --- the sensor --------------------------------------------------------------------------------


def _sensor_context(run: FailedRun) -> dg.RunFailureSensorContext:
    [failure] = run.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    return dg.build_run_status_sensor_context(
        sensor_name="error_report_on_failure",
        dagster_event=failure.dagster_event,
        dagster_instance=run.instance,
        dagster_run=run.instance.get_run_by_id(run.run_id),
    ).for_run_failure()


def test_sensor_sends_the_report_when_the_office_opted_in(
    failed_run: FailedRun, report_server: ReportServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_path = _report_settings(failed_run, url=report_server.url)
    monkeypatch.setenv(SETTINGS_ENV_VAR, str(settings_path))
    sensor = error_report_sensor(load_settings(settings_path))

    result = sensor(_sensor_context(failed_run))

    assert result is None
    [(authorization, body)] = report_server.received
    assert authorization == f"Bearer {TOKEN}"
    assert body["run_id"] == failed_run.run_id
    assert {"jpk_companies", "kedu_zus"} <= {failure["step"] for failure in body["failures"]}


def test_sensor_survives_an_endpoint_that_is_down(
    failed_run: FailedRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_path = _report_settings(failed_run, url=f"http://127.0.0.1:{_free_port()}/")
    monkeypatch.setenv(SETTINGS_ENV_VAR, str(settings_path))
    sensor = error_report_sensor(load_settings(settings_path))

    result = sensor(_sensor_context(failed_run))

    assert isinstance(result, dg.SkipReason) and "could not be sent" in result.skip_message


def test_sensor_skips_when_the_office_did_not_opt_in(
    failed_run: FailedRun, report_server: ReportServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _failing_settings(failed_run.office)
    settings["error_reports"] = {"enabled": False, "url": report_server.url}
    monkeypatch.setenv(
        SETTINGS_ENV_VAR, str(_write_settings(failed_run.office, "off.yaml", settings))
    )
    sensor = error_report_sensor(None)

    result = sensor(_sensor_context(failed_run))
    monkeypatch.delenv(SETTINGS_ENV_VAR)
    without_settings = sensor(_sensor_context(failed_run))

    assert isinstance(result, dg.SkipReason) and "error_reports.enabled" in result.skip_message
    assert isinstance(without_settings, dg.SkipReason)
    assert SETTINGS_ENV_VAR in without_settings.skip_message
    assert report_server.received == []


def test_sensor_runs_from_the_start_only_for_an_office_that_opted_in(
    failed_run: FailedRun,
) -> None:
    opted_in = load_settings(_report_settings(failed_run, url="https://reports.example.pl/"))
    default = Settings.model_validate({"panel": {"database": "panel.sqlite"}})

    assert error_report_sensor(opted_in).default_status == dg.DefaultSensorStatus.RUNNING
    assert error_report_sensor(default).default_status == dg.DefaultSensorStatus.STOPPED
    assert error_report_sensor(None).default_status == dg.DefaultSensorStatus.STOPPED


def test_code_location_carries_the_sensor(failed_run: FailedRun) -> None:
    settings_path = _report_settings(failed_run, url="https://reports.example.pl/")

    built = build_definitions(str(settings_path))

    sensors = {sensor.name: sensor for sensor in built.sensors}
    assert "error_report_on_failure" in sensors and "source_files_changed" in sensors
    assert sensors["error_report_on_failure"].default_status == dg.DefaultSensorStatus.RUNNING
    dg.Definitions.validate_loadable(built)


# --- `konekto report-error` --------------------------------------------------------------------


def test_command_shows_the_report_and_sends_nothing(
    failed_run: FailedRun, report_server: ReportServer, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_path = _report_settings(failed_run, url=report_server.url)

    code = main(["report-error", failed_run.run_id, "--settings", str(settings_path)])

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("konekto-pipeline error report")
    assert f"Run:       {failed_run.run_id} (job sync)" in out
    shown_json = out.split("The same report as JSON:\n", 1)[1].split("\n\nNothing was sent", 1)[0]
    assert json.loads(shown_json)["run_id"] == failed_run.run_id
    assert "Nothing was sent" in out
    assert report_server.received == []
    assert [value for value in _forbidden(failed_run.office) if value and value in out] == []


def test_command_sends_the_last_failed_run_with_send(
    failed_run: FailedRun, report_server: ReportServer, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_path = _report_settings(failed_run, url=report_server.url)

    code = main(["report-error", "--last-failed", "--settings", str(settings_path), "--send"])

    out = capsys.readouterr().out
    assert code == 0
    [(_, body)] = report_server.received
    assert body["run_id"] == failed_run.run_id
    assert f"Sent to {report_server.url}: HTTP 201" in out


def test_command_exits_1_when_the_report_could_not_be_sent(
    failed_run: FailedRun, report_server: ReportServer, capsys: pytest.CaptureFixture[str]
) -> None:
    report_server.status = 503
    settings_path = _report_settings(failed_run, url=report_server.url)

    code = main(["report-error", failed_run.run_id, "--settings", str(settings_path), "--send"])

    assert code == 1
    assert f"NOT sent to {report_server.url}: HTTP 503" in capsys.readouterr().out
