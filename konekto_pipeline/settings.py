"""The office's settings file (`konekto.yaml`): programs, panel, update list, overrides, policies.

Paths in the file are relative to the file's own folder, so a settings file and the office's data
can move together (or sit on a share used by several workstations). The file-based programs'
folders may be written the Windows way (`C:\\BUCH`, `\\\\SERWER\\dane`); `paths` maps drive
letters and shares to mount points for the workstations that run Linux. Secrets never live here: the
panel token comes from the environment variable `KONEKTO_PANEL_TOKEN`.
"""

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from konekto_pipeline.domain.accounts import InvalidAccount, validate_zus_account
from konekto_pipeline.domain.identifiers import InvalidIdentifier, validate_nip
from konekto_pipeline.panel.notify import SmsSettings, SmtpSettings, is_loopback
from konekto_pipeline.sources.buchalter.program import BuchalterProgram
from konekto_pipeline.sources.files.paths import PathMap
from konekto_pipeline.sources.firebird.program import FaktProgram, RaksProgram
from konekto_pipeline.sources.kpr.program import KprProgram
from konekto_pipeline.sources.mala_ksiegowosc.program import MalaKsiegowoscProgram
from konekto_pipeline.sources.symfonia.program import SymfoniaProgram

DataType = Literal["zus", "taxes", "summaries"]
DO_NOT_UPDATE = "do_not_update"
SETTINGS_ENV_VAR = "KONEKTO_SETTINGS"

# Every program konekto-pipeline reads or will read (DESIGN.md §3), by its key.
PROGRAM_KEYS = (
    "optima", "platnik", "rachmistrz", "raks", "reset2_firma", "reset2_ksiega", "symfonia",
    "fakt", "kpr", "buchalter", "mala_ksiegowosc", "jpk", "kedu",
)  # fmt: skip

# Which program wins for a data type when a NIP lives in several programs. Programs an office
# has not enabled simply never match; an override in `companies` beats this order.
DEFAULT_SOURCE_ORDER: dict[str, list[str]] = {
    "zus": ["platnik", "kedu", "fakt", "symfonia", "buchalter"],
    "taxes": [
        "optima",
        "rachmistrz",
        "reset2_ksiega",
        "reset2_firma",
        "raks",
        "fakt",
        "symfonia",
        "kpr",
        "buchalter",
        "mala_ksiegowosc",
        "jpk",
    ],  # fmt: skip
    "summaries": [
        "optima",
        "rachmistrz",
        "reset2_ksiega",
        "reset2_firma",
        "raks",
        "symfonia",
        "kpr",
        "buchalter",
        "mala_ksiegowosc",
        "jpk",
    ],  # fmt: skip
}


class SettingsError(ValueError):
    """The settings file cannot be used; the message names the file and the bad key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FolderProgram(_Strict):
    """A program whose data the office exports as files into one folder (JPK, KEDU)."""

    enabled: bool = True
    folder: Path


class SqlProgram(_Strict):
    """A program keeping its data in MS SQL Server (Optima, Płatnik, Rachmistrz, Reset2).

    `server` is "HOST\\INSTANCE", "HOST" or "host,port". With `auth: sql` the password is read
    from the environment variable named by `password_env`, never from this file. `database` is
    the program's database (for Optima its configuration database); `databases` lists company
    databases where the program has one per company and the office wants to name them. `url`
    replaces SQL Server with any SQLAlchemy URL, `{database}` standing for a database name: the
    demo office and the tests read SQLite files or PostgreSQL databases through the same code.
    """

    enabled: bool = True
    server: str = ""
    database: str | None = None
    databases: list[str] | None = None
    auth: Literal["sql", "windows"] = "sql"
    user: str | None = None
    password_env: str | None = None
    driver: str | None = None
    encrypt: bool | None = None
    trust_server_certificate: bool = False
    login_timeout: int = Field(default=15, gt=0)
    url: str | None = None

    @model_validator(mode="after")
    def _reachable(self) -> "SqlProgram":
        if not self.server and not self.url:
            raise ValueError("give 'server' (HOST\\INSTANCE or host,port) or 'url'")
        if self.auth == "sql" and not self.url and not self.user:
            raise ValueError("'user' is required with auth: sql (or use auth: windows)")
        return self


class PlatnikProgram(SqlProgram):
    """Płatnik on SQL Server (as `SqlProgram`) or in an Access file (`access_file`)."""

    server: str = ""
    access_file: Path | None = None
    access_password_env: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _access_needs_no_server(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("access_file") and not data.get("url"):
            return {"server": "", **data, "url": data.get("url") or "access"}
        return data

    @model_validator(mode="after")
    def _one_database(self) -> "PlatnikProgram":
        if self.databases is not None:
            raise ValueError("Płatnik keeps every payer in one database: use 'database'")
        if self.access_file is None and not self.database:
            raise ValueError("give 'database' (Płatnik's SQL Server database) or 'access_file'")
        return self


class Programs(_Strict):
    jpk: FolderProgram | None = None
    kedu: FolderProgram | None = None
    optima: SqlProgram | None = None
    platnik: PlatnikProgram | None = None
    rachmistrz: SqlProgram | None = None
    reset2_firma: SqlProgram | None = None
    reset2_ksiega: SqlProgram | None = None
    raks: RaksProgram | None = None
    fakt: FaktProgram | None = None
    buchalter: BuchalterProgram | None = None
    kpr: KprProgram | None = None
    mala_ksiegowosc: MalaKsiegowoscProgram | None = None
    symfonia: SymfoniaProgram | None = None

    def enabled(self) -> dict[str, Any]:
        return {
            key: program
            for key in type(self).model_fields
            if (program := getattr(self, key)) is not None and program.enabled
        }


class PanelSettings(_Strict):
    """Where the office panel is: a URL of a running panel, or a local panel database file."""

    url: str | None = None
    database: Path | None = None
    verify_tls: bool = True
    timeout_seconds: float = 30.0
    sent_by: str = "konekto-pipeline"

    @model_validator(mode="after")
    def _one_target(self) -> "PanelSettings":
        if (self.url is None) == (self.database is None):
            raise ValueError("give exactly one of 'url' and 'database'")
        return self


class NotificationSettings(_Strict):
    """How the office panel tells clients: the office's SMTP server for e-mail, an HTTP SMS
    gateway, the panel's address for links, and per client which channels are on (by default
    e-mail, when the client has an address). Passwords and tokens come from the environment
    variables these sections name."""

    email: SmtpSettings | None = None
    sms: SmsSettings | None = None
    panel_url: str | None = None
    channels: dict[str, list[Literal["email", "sms"]]] = Field(default_factory=dict)

    @field_validator("channels", mode="before")
    @classmethod
    def _nip_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {validate_nip(str(nip)): on for nip, on in value.items()}
        return value


class CompanyOverride(_Strict):
    """What the office decided for one client: its name, legal form, ZUS account, sources."""

    name: str | None = None
    legal_form: Literal["budget_unit", "legal_person", "other"] | None = None
    zus_account: str | None = None
    sources: dict[DataType, str] = Field(default_factory=dict)


class UpdateSettings(_Strict):
    companies: Literal["all"] | list[str] = "all"
    data_types: list[DataType] = Field(default_factory=lambda: ["zus", "taxes", "summaries"])

    @field_validator("companies", mode="before")
    @classmethod
    def _valid_nips(cls, value: Any) -> Any:
        # A NIP written without quotes in YAML arrives as a number.
        if isinstance(value, list):
            return [validate_nip(str(nip)) for nip in value]
        return value


ApprovalPolicy = Literal["on_update", "scheduled", "never"]
CRON_FIELDS = 5


class ScheduledApproval(_Strict):
    """Approve on set days of the month at set hours (Europe/Warsaw), e.g.
    `{days: [10, 20], at: ["08:00", "14:30"]}`; without `days`, every day."""

    days: list[Annotated[int, Field(ge=1, le=31)]] | None = Field(default=None, min_length=1)
    at: list[str] = Field(default_factory=lambda: ["09:00"], min_length=1)

    @field_validator("at")
    @classmethod
    def _clock_times(cls, value: list[str]) -> list[str]:
        for text in value:
            if not re.fullmatch(r"([01]?[0-9]|2[0-3]):[0-5][0-9]", str(text)):
                raise ValueError(f"{text!r} is not a time of day; write HH:MM, e.g. 09:00")
        return value

    def cron_schedules(self) -> list[str]:
        """Cron lines for these days and times: one per distinct minute of the hour."""
        days = ",".join(str(day) for day in sorted(set(self.days))) if self.days else "*"
        hours_by_minute: dict[int, set[int]] = {}
        for text in self.at:
            hour, minute = (int(part) for part in text.split(":"))
            hours_by_minute.setdefault(minute, set()).add(hour)
        return [
            f"{minute} {','.join(str(hour) for hour in sorted(hours))} {days} * *"
            for minute, hours in sorted(hours_by_minute.items())
        ]


def check_cron(value: str | list[str]) -> list[str]:
    """Cron lines as a list; a line Dagster cannot schedule is an error naming it."""
    import dagster as dg

    lines = [value] if isinstance(value, str) else list(value)
    if not lines:
        raise ValueError("give at least one cron line, e.g. '0 6 * * *'")
    for line in lines:
        problem = f"{line!r} is not a cron line (minute hour day month weekday, e.g. '0 6 * * *')"
        if len(str(line).split()) != CRON_FIELDS:
            raise ValueError(problem)
        try:  # Dagster's own parser decides what it can schedule
            dg.ScheduleDefinition(name="check", cron_schedule=str(line), job_name="check")
        except dg.DagsterInvalidDefinitionError:
            raise ValueError(problem) from None
    return [str(line) for line in lines]


class ScheduleSettings(_Strict):
    """The automatic update and scheduled approval (cron lines in Europe/Warsaw).

    With `enabled` the update schedule and the change sensor start on their own (an office
    turns them off in the Dagster UI); without it both are there, stopped. `approval` is the
    cron of the data types whose approval is `scheduled`; days and hours per data type go in
    `approval:` instead. `parallel_steps` above 1 runs that many steps of a scheduled run in
    processes of their own (worth it when several programs are slow to read).
    """

    enabled: bool = False
    automatic_update: list[str] = Field(default_factory=lambda: ["0 6 * * *"])
    watch_changes: bool = True
    watch_interval_seconds: int = Field(default=300, ge=30)
    approval: list[str] = Field(default_factory=lambda: ["0 9 * * 1-5"])
    parallel_steps: int = Field(default=1, ge=1, le=32)

    @field_validator("automatic_update", "approval", mode="before")
    @classmethod
    def _cron(cls, value: Any) -> Any:
        return check_cron(value) if isinstance(value, str | list) else value


class ClientAccountSettings(_Strict):
    """Whether the pipeline asks the panel to open an account for every new client that has an
    e-mail address and to e-mail it the activation link."""

    create_accounts: bool = False


class ErrorReportSettings(_Strict):
    """Whether a failed run sends an error report (run id, failing step, error, versions; never
    secrets, client names, NIPs or amounts): to an HTTP endpoint (`url`, bearer token from the
    environment variable `token_env`) and/or by e-mail to `email` through `notifications.email`."""

    enabled: bool = False
    url: str | None = None
    token_env: str | None = Field(default=None, min_length=1)
    email: str | None = None
    timeout_seconds: float = Field(default=15, gt=0)

    @field_validator("url")
    @classmethod
    def _url_is_encrypted(cls, url: str | None) -> str | None:
        if url is None:
            return url
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            return url
        if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
            return url
        raise ValueError(f"{url!r} must be https (http only on this machine)")

    @model_validator(mode="after")
    def _somewhere_to_send(self) -> "ErrorReportSettings":
        if self.enabled and not (self.url or self.email):
            raise ValueError("give 'url' or 'email' to send error reports to")
        return self


class Settings(_Strict):
    """One office's settings; build with `load_settings`."""

    office_name: str = "Biuro rachunkowe"
    programs: Programs = Field(default_factory=Programs)
    panel: PanelSettings
    update: UpdateSettings = Field(default_factory=UpdateSettings)
    source_order: dict[DataType, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_SOURCE_ORDER.items()}
    )
    companies: dict[Annotated[str, Field(min_length=10)], CompanyOverride] = Field(
        default_factory=dict
    )
    approval: dict[DataType, ApprovalPolicy | ScheduledApproval] = Field(
        default_factory=lambda: {"zus": "never", "taxes": "never", "summaries": "never"}
    )
    send_summaries: bool = False
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    schedules: ScheduleSettings = Field(default_factory=ScheduleSettings)
    clients: ClientAccountSettings = Field(default_factory=ClientAccountSettings)
    error_reports: ErrorReportSettings = Field(default_factory=ErrorReportSettings)
    storage_dir: Path = Path(".konekto")
    paths: dict[str, str] = Field(default_factory=dict)
    base_dir: Path = Path(".")

    @field_validator("paths")
    @classmethod
    def _mappable(cls, value: dict[str, str]) -> dict[str, str]:
        PathMap(value)  # raises ValueError naming a key that is no drive or share
        return value

    @field_validator("companies", mode="before")
    @classmethod
    def _nip_keys_as_text(cls, value: Any) -> Any:
        # A NIP key written without quotes in YAML arrives as a number.
        return {str(key): item for key, item in value.items()} if isinstance(value, dict) else value

    @field_validator("companies")
    @classmethod
    def _override_keys_are_nips(
        cls, value: dict[str, CompanyOverride]
    ) -> dict[str, CompanyOverride]:
        checked = {}
        for raw_nip, override in value.items():
            nip = validate_nip(str(raw_nip))
            if nip in checked:
                raise ValueError(f"{raw_nip!r} is NIP {nip} again; give each company once")
            if override.zus_account is not None:
                account = validate_zus_account(override.zus_account, nip)
                override = override.model_copy(update={"zus_account": account})
            checked[nip] = override
        return checked

    @model_validator(mode="after")
    def _approved_types_are_updated(self) -> "Settings":
        for data_type in self.approval:
            if self.approval_policy(data_type) != "never" and (
                data_type not in self.update.data_types
            ):
                raise ValueError(
                    f"approval.{data_type}: {data_type} is not in update.data_types, so nothing "
                    "of it would be approved; add it there or set its approval to never"
                )
        return self

    @model_validator(mode="after")
    def _accounts_can_be_activated(self) -> "Settings":
        if self.clients.create_accounts and not (
            self.notifications.email and self.notifications.panel_url
        ):
            raise ValueError(
                "clients.create_accounts needs notifications.email (to send the activation "
                "link) and notifications.panel_url (the address the link opens)"
            )
        return self

    def resolve(self, path: Path) -> Path:
        """An absolute path for a path written in the settings file."""
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def path_map(self) -> PathMap:
        """Drive letters and shares of Windows paths, as this machine reaches them (`paths`)."""
        return PathMap(self.paths)

    def override(self, nip: str) -> CompanyOverride:
        return self.companies.get(nip, CompanyOverride())

    def approval_policy(self, data_type: str) -> str:
        """on_update, scheduled (the `schedules.approval` cron or days and hours) or never."""
        policy = self.approval.get(data_type, "never")
        return "scheduled" if isinstance(policy, ScheduledApproval) else policy

    def approval_crons(self) -> dict[tuple[str, ...], list[str]]:
        """Data types approved on a schedule, grouped by their cron lines."""
        groups: dict[tuple[str, ...], list[str]] = {}
        for data_type, policy in self.approval.items():
            if isinstance(policy, ScheduledApproval):
                crons = policy.cron_schedules()
            elif policy == "scheduled":
                crons = list(self.schedules.approval)
            else:
                continue
            groups[tuple(crons)] = [*groups.get(tuple(crons), []), data_type]
        return {tuple(sorted(types)): list(crons) for crons, types in groups.items()}

    def panel_database_url(self) -> str | None:
        if self.panel.database is None:
            return None
        return f"sqlite:///{self.resolve(self.panel.database)}"


def parse_settings(data: dict[str, Any], base_dir: Path, origin: str = "settings") -> Settings:
    """Validate settings given as a mapping; errors name `origin` and the dotted key."""
    try:
        return Settings.model_validate({**data, "base_dir": base_dir})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or '(top level)'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise SettingsError(f"{origin}: {problems}") from None
    except (InvalidIdentifier, InvalidAccount) as error:
        raise SettingsError(f"{origin}: {error}") from None


def load_settings(path: str | Path) -> Settings:
    """Read and validate a settings file."""
    path = Path(path).expanduser().resolve()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise SettingsError(f"{path}: settings file not found") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: not UTF-8 text; save the file as UTF-8") from None
    except OSError as error:
        raise SettingsError(f"{path}: cannot read the settings file ({error.strerror})") from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise SettingsError(f"{path}: not valid YAML{line}: {problem}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: the top level must be a mapping of keys")
    return parse_settings(data, path.parent, origin=str(path))
