"""Error reports: what a failed run tells the people who maintain konekto-pipeline.

Like the "report error" button of the desktop tool offices used before: the run id, the job,
each failing step with its error class, message and stack trace, when it failed, the versions
and which programs are enabled. Every free text (messages and stack traces) passes through
`Redactor` before it enters the report, so no secret, client name, NIP, REGON, PESEL, e-mail
address, phone number, account number or amount is in it; the office sees the whole report
(`konekto report-error RUN_ID`) before anything is sent.

What the redaction cannot know, and leaves in the text: the name of a client that neither the
settings, the panel database nor the frames of the last sync hold, when it is not in quotes next
to the word NIP; and an amount written as a bare integer with no unit and no key (a pandas table
printed inside an error message).
"""

import base64
import json
import logging
import os
import pickle
import platform
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from importlib import metadata
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import dagster as dg
import httpx
import pandas as pd
import sqlalchemy as sa
from dagster._utils.error import SerializableErrorInfo  # what a failure event holds
from pydantic import BaseModel

from konekto_pipeline.domain.text import without_diacritics
from konekto_pipeline.panel.notify import EmailSender, NotifyError, SmtpSettings, is_loopback
from konekto_pipeline.panel.storage import companies
from konekto_pipeline.settings import Settings, SettingsError

logger = logging.getLogger(__name__)

REPORT_FORMAT = 1
POST_TIMEOUT_SECONDS = 15.0

# Secrets the pipeline reads from variables the settings do not name.
PIPELINE_SECRET_VARIABLES = (
    "KONEKTO_PANEL_TOKEN",
    "KONEKTO_PANEL_SESSION_SECRET",
    "KONEKTO_NEW_PASSWORD",
)
# Any other variable named like a secret is scrubbed too, when its value is long enough not to
# be an ordinary word (a value of "1" would blank every digit 1 of the report).
_SECRET_VARIABLE_NAME = re.compile(r"PASSWORD|PASSWD|TOKEN|SECRET|API_?KEY|CREDENTIAL", re.I)
_MIN_GUESSED_SECRET = 6
_MIN_NAME = 3

# --- redaction ---------------------------------------------------------------------------------

_UUID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", re.I)
_SPACE = r"[ \u00a0\u202f]"  # thousands are grouped by spaces, also non-breaking ones
_LEGAL_FORM = re.compile(
    r"[\s,]+(sp\.\s*z\s*o\.\s*o\.?|sp\.\s*j\.?|sp\.\s*k\.?|sp\.\s*p\.?|s\.\s*c\.?|s\.\s*a\.?"
    r"|spółka\b.*)$",
    re.I,
)
_SECRET_KEY = r"[\w-]*(?:password|passwd|pwd|secret|token|api[_-]?key|credentials?)[\w-]*"
_KEYED_SECRET = re.compile(
    rf"\b({_SECRET_KEY})(['\"]?\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&)\]}}'\"]+)", re.I
)
_MONEY_KEY = (
    r"amount|kwota|total|social|health|labour_fund|fep|deductions|refund|carried_forward"
    r"|to_pay|income|costs|revenue|sales|purchases|grosze|vat"
)
_UNIT = r"(?:zł|złotych|złote|zl|PLN|groszy|grosze|grosz|gr)"
_NUMBER = rf"-?\d+(?:(?:[.,]|{_SPACE})\d+)*"  # "1 234,56": one separator between digits


def _keep_env_names(match: re.Match[str]) -> str:
    """`password_env: OPTIMA_PASSWORD` names a variable, not a secret: it stays readable."""
    key, separator, value = match.groups()
    if key.lower().endswith("_env") or value.startswith("<"):
        return match.group(0)
    return f"{key}{separator}<secret>"


Replacement = str | Callable[[re.Match[str]], str]

# In this order: secrets before e-mail addresses (user:password@host), accounts before NIPs (a
# NIP is a run of digits inside an account), amounts with a unit before phone numbers.
_PATTERNS: tuple[tuple[re.Pattern[str], Replacement], ...] = (
    (re.compile(r"\b([a-z][a-z0-9+.-]*://)[^\s/@:]+:[^\s/@]+@", re.I), r"\1<secret>@"),
    (re.compile(r"\b(bearer)\s+[^\s\"',;]{8,}", re.I), r"\1 <secret>"),
    (re.compile(r"\b(Basic)\s+[A-Za-z0-9+/]{8,}={0,2}"), r"\1 <secret>"),
    (re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*"), "<secret>"),  # a JSON web token
    (_KEYED_SECRET, _keep_env_names),
    (re.compile(r"[\w.+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+", re.I), "<email>"),
    (
        re.compile(rf"(?<!\d)(?:PL(?:{_SPACE}|-)?)?\d{{2}}(?:(?:{_SPACE}|-)?\d{{4}}){{6}}(?!\d)"),
        "<account>",
    ),
    # Ten digits, each pair at most one space, dash or dot apart: every way a NIP is written.
    (
        re.compile(
            rf"(?<![\d.])(?!\d{{4}}[-./]\d{{2}}[-./]\d{{2}})"  # a date (and hour) is no NIP
            rf"(?:PL(?:{_SPACE}|-)?)?\d(?:(?:{_SPACE}|[-.])?\d){{9}}(?![\d])"
        ),
        "<NIP>",
    ),
    (
        re.compile(r"\b(Decimal|float64|float32|int64|int32)\((['\"]?)-?[\d.,]+\2\)"),
        r"\1(<amount>)",
    ),
    (re.compile(rf"(?<![\w.,])(?:{_NUMBER}){_SPACE}?{_UNIT}(?!\w)", re.I), "<amount>"),
    (re.compile(rf"(?<!\w)(?:PLN|zł){_SPACE}?(?:{_NUMBER})(?![\w])", re.I), "<amount>"),
    (re.compile(rf"\b({_MONEY_KEY})(['\"]?\s*[=:]\s*)-?\d+(?:[.,]\d+)*", re.I), r"\1\2<amount>"),
    (
        re.compile(
            rf"(?<![\w.,])-?\d{{1,3}}(?:(?:[.,]|{_SPACE})?\d{{3}})*[.,]\d{{1,2}}(?!\w|[.,]\d)"
        ),
        "<amount>",
    ),
    (re.compile(r"(?<!\d)\d{11}(?!\d)"), "<PESEL>"),
    (
        re.compile(
            r"(?<![\d+])(?:(?:\+|00)48[ -]?)?(?:\d{3}[ -]\d{3}[ -]\d{3}"
            r"|\(?\d{2}\)?[ -]\d{3}[ -]\d{2}[ -]\d{2})(?!\d)|(?<!\d)(?:\+|00)48[ -]?\d{9}(?!\d)"
        ),
        "<phone>",
    ),
    (re.compile(r"(?<!\d)(?:\d{14}|\d{9})(?!\d)"), "<REGON>"),
    (
        re.compile(r"(\bNIP\b[^\"'„“«\n]{0,30}?)([\"'„“«])[^\"'”»\n]{2,150}([\"'”»])", re.I),
        r"\1\2<name>\3",
    ),
    (
        re.compile(r"([\"'„“«])[^\"'”»\n]{2,150}([\"'”»]\s*[(,:–-]?\s*NIP\b)", re.I),
        r"\1<name>\2",
    ),
    (
        re.compile(
            r"\b(name|nazwa|company_name|client_name|firma)(['\"]?\s*[=:]\s*)"
            r"(?:\"[^\"\n]*\"|'[^'\n]*')",
            re.I,
        ),
        r"\1\2'<name>'",
    ),
)


class Redactor:
    """Replaces what must never leave the office with placeholders: `<secret>`, `<name>`,
    `<NIP>`, `<amount>`, `<email>`, `<account>`, `<phone>`, `<REGON>`, `<PESEL>`.

    `secrets` and `names` are known values, replaced wherever they occur (names case-insensitively,
    also without their legal form); the rest is found by its shape.
    """

    def __init__(self, secrets: Iterable[str] = (), names: Iterable[str] = ()) -> None:
        self._secrets = _alternation(_secret_spellings(secrets), flags=re.I)
        self._names = _alternation(_name_spellings(names), flags=re.I, words=True)

    def __call__(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text)
        if self._secrets is not None:
            text = self._secrets.sub("<secret>", text)
        if self._names is not None:
            text = self._names.sub("<name>", text)
        # A run id stays whole: its hexadecimal digits can look like a NIP or an amount.
        parts = _UUID.split(text)
        return "".join(part if odd else _by_shape(part) for odd, part in _alternating(parts))

    @classmethod
    def for_office(cls, settings: Settings) -> "Redactor":
        """The office's secrets (the variables its settings name) and its clients' names."""
        return cls(secret_values(settings), known_names(settings))


def _alternating(parts: list[str]) -> Iterator[tuple[bool, str]]:
    return ((index % 2 == 1, part) for index, part in enumerate(parts))


def _by_shape(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _alternation(values: set[str], flags: int, words: bool = False) -> re.Pattern[str] | None:
    if not values:
        return None
    longest_first = sorted(values, key=len, reverse=True)
    if words:
        escaped = [
            r"\s+".join(re.escape(word) for word in value.split()) for value in longest_first
        ]
        return re.compile(r"(?<!\w)(?:" + "|".join(escaped) + r")(?!\w)", flags)
    return re.compile("|".join(re.escape(value) for value in longest_first), flags)


def _secret_spellings(secrets: Iterable[str]) -> set[str]:
    """A secret as it is, and as it appears inside a URL (either case of the %-escapes), in
    base64, in JSON and in the repr of bytes."""
    spellings = set()
    for secret in secrets:
        if not secret:
            continue
        raw = secret.encode("utf-8")
        quoted = {quote(secret, safe=""), quote(secret), quote_plus(secret)}
        spellings |= {secret, *quoted, *(_lower_escapes(value) for value in quoted)}
        for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
            text = encoded.decode("ascii")
            spellings |= {text, text.rstrip("=")}
        spellings |= {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
        spellings.add(repr(raw)[2:-1])
    return {spelling for spelling in spellings if len(spelling) >= _MIN_GUESSED_SECRET}


def _lower_escapes(quoted: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda match: match.group(0).lower(), quoted)


def _name_spellings(names: Iterable[str]) -> set[str]:
    """A name as it is, without its legal form ("Piekarnia Łączka" of "... sp. z o.o."), without
    Polish letters ("Piekarnia Laczka"), and as a DBF program's wrong code page shows it."""
    spellings = set()
    for name in names:
        name = unicodedata.normalize("NFC", " ".join(str(name).split()))
        for value in (name, _LEGAL_FORM.sub("", name)):
            variants = {value, without_diacritics(value), *_mojibake(value)}
            spellings |= {variant for variant in variants if len(variant) >= _MIN_NAME}
    return spellings


def _mojibake(text: str) -> set[str]:
    """The text as a program that read it in the wrong Polish code page would print it."""
    variants = set()
    for written, read in (("cp852", "cp1250"), ("cp1250", "cp852"), ("utf-8", "cp1250")):
        try:
            variants.add(text.encode(written).decode(read))
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return variants


# --- what the office knows: its secrets and its clients ----------------------------------------


def secret_values(settings: Settings) -> list[str]:
    """Values of the variables the settings name (`password_env`, `token_env`, ...), the
    pipeline's own secret variables, any variable named like a secret, and passwords written
    inside the settings' URLs."""
    named = {*_named_variables(settings), *PIPELINE_SECRET_VARIABLES}
    values = [os.environ.get(variable, "") for variable in named]
    values += [
        value
        for variable, value in os.environ.items()
        if _SECRET_VARIABLE_NAME.search(variable) and len(value) >= _MIN_GUESSED_SECRET
    ]
    values += [password for password in _url_passwords(settings) if password]
    return [value for value in values if value]


def _fields(model: BaseModel) -> Iterator[tuple[str, Any]]:
    """Every (field name, value) of the model and the models inside it."""
    for name, value in model:
        yield name, value
        inner = value.values() if isinstance(value, dict) else [value]
        for item in inner:
            if isinstance(item, BaseModel):
                yield from _fields(item)


def _named_variables(settings: Settings) -> list[str]:
    return [
        value
        for name, value in _fields(settings)
        if name.endswith("_env") and isinstance(value, str)
    ]


def _url_passwords(settings: Settings) -> list[str | None]:
    return [
        urlsplit(value).password
        for name, value in _fields(settings)
        if name == "url" and isinstance(value, str)
    ]


def known_names(settings: Settings) -> list[str]:
    """Names of the office's clients: the settings' `companies`, the panel database (when it is
    a file on this machine) and the companies frames the last sync stored."""
    names = [override.name for override in settings.companies.values() if override.name]
    return names + _panel_names(settings) + _frame_names(settings)


def _panel_names(settings: Settings) -> list[str]:
    """The companies the panel database holds, read without writing to it (a panel may be
    serving from it right now)."""
    if settings.panel.database is None:
        return []
    path = settings.resolve(settings.panel.database)
    if not path.is_file():
        return []
    read_only = f"{path.as_uri()}?mode=ro"  # as_uri encodes a "#" or "?" in a folder's name
    engine = sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(read_only, uri=True))
    try:
        with engine.connect() as connection:
            return [str(name) for name in connection.scalars(sa.select(companies.c.name))]
    except sa.exc.SQLAlchemyError as error:
        logger.warning("client names from %s could not be read: %s", path, type(error).__name__)
        return []
    finally:
        engine.dispose()


def _frame_names(settings: Settings) -> list[str]:
    """Names in every `*companies` frame the pipeline stored (see defs/io_managers.py)."""
    frames = settings.resolve(settings.storage_dir) / "frames"
    names: list[str] = []
    for path in sorted(frames.glob("*companies/all.pkl")):
        try:
            frame = pd.read_pickle(path)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError) as error:
            logger.warning("client names in %s could not be read: %s", path, type(error).__name__)
            continue
        if "name" in frame.columns:
            names += [str(name) for name in frame["name"].dropna().unique()]
    return names


# --- the report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """One failing step (`step` None: the run failed outside any step), redacted."""

    step: str | None
    error_class: str
    message: str
    stack_trace: str


@dataclass(frozen=True)
class ErrorReport:
    """Everything an error report holds; `to_text` is what the office reads before sending."""

    run_id: str
    job: str
    failed_at: str
    failures: tuple[Failure, ...]
    versions: dict[str, str]
    programs: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"format": REPORT_FORMAT, "kind": "konekto-pipeline error report", **asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)

    def to_text(self) -> str:
        versions = ", ".join(f"{name} {value}" for name, value in self.versions.items())
        lines = [
            "konekto-pipeline error report",
            "",
            "This is everything the report holds. Secrets, client names, NIPs, REGONs, PESELs,",
            "amounts, e-mail addresses, phone and account numbers were replaced by placeholders",
            "such as <NIP> and <amount>.",
            "",
            f"Run:       {self.run_id} (job {self.job})",
            f"Failed at: {self.failed_at}",
            f"Versions:  {versions}",
            f"Programs:  {', '.join(self.programs) or 'none enabled'}",
        ]
        told: dict[tuple[str, str, str], str] = {}
        for failure in self.failures:
            lines += ["", *self._failure_lines(failure, told)]
        return "\n".join(lines) + "\n"

    @staticmethod
    def _failure_lines(failure: Failure, told: dict[tuple[str, str, str], str]) -> list[str]:
        where = f"Step {failure.step}" if failure.step else "The run"
        lines = [f"{where} failed: {failure.error_class}", *_indented(failure.message)]
        key = (failure.error_class, failure.message, failure.stack_trace)
        if key in told:  # one missing folder fails every asset of its program the same way
            return [*lines, f"  (the same stack trace as {told[key]})"]
        told[key] = where.lower() if failure.step is None else f"step {failure.step}"
        return [*lines, *_indented(failure.stack_trace)]


def _indented(text: str) -> list[str]:
    return [f"  {line}" for line in text.rstrip().splitlines()]


def build_error_report(
    instance: dg.DagsterInstance,
    run_id: str,
    settings: Settings,
    redact: Redactor | None = None,
) -> ErrorReport:
    """The redacted report of a failed run, from the run's record and events in `instance`.

    Raises:
        ValueError: the instance has no such run, or the run did not fail.
    """
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        raise ValueError(f"no run {run_id} in this office's Dagster instance")
    run = record.dagster_run
    if run.status != dg.DagsterRunStatus.FAILURE:
        raise ValueError(f"run {run_id} did not fail (it is {run.status.value}): nothing to report")

    redact = redact or Redactor.for_office(settings)
    entries = instance.all_logs(
        run_id, of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE}
    )
    steps = [entry for entry in entries if entry.dagster_event.is_step_failure]
    run_failures = [entry for entry in entries if not entry.dagster_event.is_step_failure]
    failures = [_failure(entry, redact) for entry in steps or run_failures[-1:]]

    ended = record.end_time or (entries[-1].timestamp if entries else record.update_timestamp)
    return ErrorReport(
        run_id=run_id,
        job=run.job_name,
        failed_at=_utc(ended),
        failures=tuple(failures),
        versions=versions(),
        programs=tuple(sorted(settings.programs.enabled())),
    )


def _utc(moment: float | datetime) -> str:
    if isinstance(moment, datetime):
        moment = moment.timestamp()
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _failure(entry: dg.EventLogEntry, redact: Redactor) -> Failure:
    """A step's (or the run's) error: its own error beneath Dagster's wrapping, and the chain
    of causes below it as Python prints a chained traceback."""
    event = entry.dagster_event
    error = getattr(event.event_specific_data, "error", None)
    if error is None:  # a run that failed without an error of its own (a crashed run worker)
        return Failure(event.step_key, "RunFailure", redact(event.message or ""), "")
    while error.cause is not None and error.cls_name.startswith("Dagster"):
        error = error.cause
    error_class, message = _class_and_message(error)
    return Failure(
        step=event.step_key,
        error_class=error_class,
        message=redact(message),
        stack_trace=redact(_chained_traceback(error)),
    )


def _class_and_message(error: SerializableErrorInfo) -> tuple[str, str]:
    """("package.module.Class", message): Dagster keeps "package.module.Class: message"."""
    text = error.message.strip()
    qualified, separator, rest = text.partition(": ")
    if separator and qualified.split(".")[-1] == error.cls_name and " " not in qualified:
        return qualified, rest.strip()
    return error.cls_name, text


def _chained_traceback(error: SerializableErrorInfo | None) -> str:
    chain = []
    while error is not None:
        chain.append(error)
        error = error.cause
    blocks = [
        "Traceback (most recent call last):\n" + "".join(item.stack) + item.message.strip()
        for item in reversed(chain)
    ]
    link = "\n\nThe above exception was the direct cause of the following exception:\n\n"
    return link.join(blocks)


def versions() -> dict[str, str]:
    """The versions an engineer needs to reproduce a failure; the OS string names no host."""
    return {
        "konekto-pipeline": _installed("konekto-pipeline"),
        "dagster": dg.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def _installed(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def last_failed_run(instance: dg.DagsterInstance) -> str:
    """The id of the most recent failed run in the instance."""
    failed = instance.get_runs(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]), limit=1
    )
    if not failed:
        raise ValueError("this office's Dagster instance has no failed run")
    return failed[0].run_id


# --- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """Where a report went, or why it did not."""

    destination: str
    sent: bool
    detail: str

    def __str__(self) -> str:
        state = "Sent to" if self.sent else "NOT sent to"
        return f"{state} {self.destination}: {self.detail}"


def send_report(
    report: ErrorReport, settings: Settings, log: logging.Logger | None = None
) -> list[Delivery]:
    """POST the report to `error_reports.url` and/or e-mail it to `error_reports.email`.

    A report that cannot be sent is a `Delivery` with the reason (and a warning in `log`),
    never an exception: the failure being reported matters more than its report.

    Raises:
        SettingsError: the settings give neither a URL nor an address to send to.
    """
    target = settings.error_reports
    if not (target.url or target.email):
        raise SettingsError("error_reports gives no url or email: nowhere to send the report")

    deliveries = []
    if target.url:
        deliveries.append(_post(report, target.url, target.token_env, target.timeout_seconds))
    if target.email:
        deliveries.append(_mail(report, target.email, settings.notifications.email))

    if log is not None:
        _log(log, report, deliveries)
    return deliveries


def _log(log: logging.Logger, report: ErrorReport, deliveries: list[Delivery]) -> None:
    for delivery in deliveries:
        if delivery.sent:
            log.info("error report of run %s sent to %s", report.run_id, delivery.destination)
        else:
            log.warning(
                "error report of run %s not sent to %s: %s",
                report.run_id,
                delivery.destination,
                delivery.detail,
            )


def url_problem(url: str) -> str | None:
    """Why the report may not go to `url`: it must be https, except on this machine (the token
    and the report would otherwise cross the network in clear)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return None
    return "the report goes only to an https URL (http only on this machine)"


def _shown(url: str) -> str:
    """The URL without a user and password, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()


def _post(
    report: ErrorReport, url: str, token_env: str | None, timeout: float = POST_TIMEOUT_SECONDS
) -> Delivery:
    destination = _shown(url)
    problem = url_problem(url)
    if problem:
        return Delivery(destination, False, problem)

    headers = {"Content-Type": "application/json"}
    token = os.environ.get(token_env, "") if token_env else ""
    if token_env and not token:
        detail = f"environment variable {token_env} (error_reports.token_env) is not set"
        return Delivery(destination, False, detail)
    if token:
        headers["Authorization"] = f"Bearer {token}"

    try:
        response = httpx.post(
            url,
            content=report.to_json().encode("utf-8"),
            headers=headers,
            timeout=httpx.Timeout(timeout),
            verify=True,
        )
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        return Delivery(destination, False, Redactor([token])(f"{type(error).__name__}: {error}"))
    answer = f"HTTP {response.status_code} {response.reason_phrase}"
    return Delivery(destination, response.is_success, answer)


def report_email(report: ErrorReport) -> EmailMessage:
    """The report as an e-mail: the text in the body, the JSON attached."""
    message = EmailMessage()
    message["Subject"] = f"konekto-pipeline error report: run {report.run_id} ({report.job})"
    message.set_content(report.to_text())
    message.add_attachment(
        report.to_json().encode("utf-8"),
        maintype="application",
        subtype="json",
        filename=f"konekto-error-report-{report.run_id}.json",
    )
    return message


def _mail(report: ErrorReport, to: str, smtp: SmtpSettings | None) -> Delivery:
    destination = f"e-mail {to}"
    if smtp is None:
        return Delivery(destination, False, "no SMTP server in notifications.email to send it by")
    try:
        EmailSender(smtp).send(report_email(report), to)
    except (NotifyError, ValueError) as error:
        return Delivery(destination, False, str(error))
    return Delivery(destination, True, f"through {smtp.host}:{smtp.port}")


# --- `konekto report-error` --------------------------------------------------------------------


def report_error_command(
    instance: dg.DagsterInstance, settings: Settings, run_id: str | None, *, send: bool
) -> tuple[str, bool]:
    """What `konekto report-error` prints, and whether all went well: the report of `run_id`
    (None: the last failed run) as text and as JSON, then, with `send`, where it went."""
    report = build_error_report(instance, run_id or last_failed_run(instance), settings)
    output = [report.to_text(), "The same report as JSON:", report.to_json(), ""]
    if not send:
        output.append("Nothing was sent. To send this report, run the command again with --send.")
        return "\n".join(output), True

    deliveries = send_report(report, settings)
    output += [str(delivery) for delivery in deliveries]
    return "\n".join(output), all(delivery.sent for delivery in deliveries)
