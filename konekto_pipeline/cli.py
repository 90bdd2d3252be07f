"""The `konekto` command: demo office, sync, and the reference office panel.

`demo` and `sync` execute the same Dagster job as the web UI, in process, so what runs from the
command line is what runs from the launchpad.
"""

import argparse
import getpass
import json
import os
import secrets
import shlex
import sys
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import sqlalchemy.exc
import yaml

from konekto_pipeline.defs.automation import month_range_tags, open_months
from konekto_pipeline.domain.identifiers import InvalidIdentifier, validate_nip
from konekto_pipeline.domain.periods import months, parse_period
from konekto_pipeline.office import load_office, office_lock
from konekto_pipeline.schemas import DATA_TYPES
from konekto_pipeline.settings import Settings, SettingsError
from konekto_pipeline.sources.sql.connection import SqlConnectionError

EXIT_RUN_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_COMPANY_FAILED = 3
INSTANCE_YAML_MARK = "# Dagster instance of this office"
INSTANCE_YAML = f"""{INSTANCE_YAML_MARK}, kept up to date by konekto while this line is first
# (delete the line to keep your own edits). The repository's dagster.yaml explains them.
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1  # one step at a time reads a program (pool konekto_<program>)
  runs:
    tag_concurrency_limits:  # one run of the office at a time from the queue
      - key: dagster/code_location
        value:
          applyLimitPerUniqueValue: true
        limit: 1
"""


@dataclass
class SyncReport:
    """What one in-process run of the `sync` job did, for printing and for tests."""

    success: bool
    run_id: str
    outcomes: list[dict[str, object]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    name_conflicts: list[dict[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    panel_requests: int | None = None


def run_sync(
    settings_path: Path,
    first: str,
    last: str,
    *,
    approve: bool = False,
    send_summary: bool = False,
    nips: list[str] | None = None,
    data_types: list[str] | None = None,
    log_level: str = "CRITICAL",
) -> SyncReport:
    """Run the `sync` job in process for the months first..last and collect its outcome."""
    from konekto_pipeline.definitions import build_definitions

    settings = load_office(settings_path)
    job = build_definitions(str(Path(settings_path).resolve())).resolve_job_def("sync")
    config = {
        "approve": approve,
        "send_summary": send_summary,
        "nips": nips or [],
        "data_types": data_types or list(DATA_TYPES),
    }
    waiting = "konekto: another sync of this office is running; waiting for it to finish"
    with office_lock(settings, waiting), _instance(settings) as instance:
        result = job.execute_in_process(
            run_config={
                "ops": {"konektosmart": {"config": config}},
                "loggers": {"console": {"config": {"log_level": log_level}}},
            },
            tags=month_range_tags(first, last),
            instance=instance,
            raise_on_error=False,
        )
    return _report(result)


def _instance(settings: Settings) -> dg.DagsterInstance:
    """DAGSTER_HOME's instance when set, so runs show in `dagster dev`; else one kept with the
    office's storage folder."""
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    folder = settings.resolve(settings.storage_dir) / "dagster"
    folder.mkdir(parents=True, exist_ok=True)
    instance_yaml = folder / "dagster.yaml"
    # So `DAGSTER_HOME=<folder> dagster dev` finds the same setup; a file an earlier konekto
    # wrote (its first line says so) gets today's limits, a file made the office's own is kept.
    written = instance_yaml.read_text(encoding="utf-8") if instance_yaml.exists() else ""
    if not written or (written.startswith(INSTANCE_YAML_MARK) and written != INSTANCE_YAML):
        instance_yaml.write_text(INSTANCE_YAML, encoding="utf-8")
    return dg.DagsterInstance.local_temp(
        tempdir=str(folder), overrides={"telemetry": {"enabled": False}}
    )


def _report(result: dg.ExecuteInProcessResult) -> SyncReport:
    report = SyncReport(success=result.success, run_id=result.run_id)
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data:
            report.errors.append(f"{event.step_key}: {_root_cause(event.step_failure_data.error)}")
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        metadata = materialization.metadata
        key = materialization.asset_key.to_user_string()
        if key == "konektosmart" and "outcome" in metadata and not report.outcomes:
            report.outcomes = list(metadata["outcome"].value)
            report.panel_requests = metadata["panel_requests"].value
        if key == "companies":
            report.name_conflicts = list(metadata["name_conflicts"].value)
        if "problems" in metadata:  # every source asset of a program reports what it met
            lines = [_problem_line(p) for p in metadata["problems"].value]
            report.problems += [line for line in lines if line not in report.problems]
    return report


def _root_cause(error: object) -> str:
    """The innermost error's message: what went wrong, without Dagster's wrapping."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return str(getattr(error, "message", error)).strip()


def _problem_line(problem: dict[str, object]) -> str:
    nip = f" (NIP {problem['nip']})" if problem.get("nip") else ""
    return f"{problem['program']}: {problem['where']}{nip}: {problem['message']}"


def print_report(report: SyncReport) -> None:
    """The per-company table of what was uploaded, or why not."""
    header = ("NIP", "name", "status", "sent", "same", "appr.", "reason / months")
    rows = [
        (
            str(o["nip"]),
            _cut(str(o["name"]), 34),
            str(o["status"]),
            str(o["uploaded"]),
            str(o["unchanged"]),
            str(o["approved"]),
            _cut(str(o["reason"] or o["periods"]), 70),
        )
        for o in report.outcomes
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    details = [o for o in report.outcomes if o["reason"] and len(str(o["reason"])) > 70]
    if details:
        print("\nReasons in full:")
        for outcome in details:
            print(f"  - NIP {outcome['nip']}: {outcome['reason']}")
    if report.name_conflicts:
        print("\nNames that differ between programs (settle with `name` in the settings):")
        for conflict in report.name_conflicts:
            print(f"  - NIP {conflict['nip']}: {conflict['names']}")
    if report.problems:
        print(f"\nFiles and records that could not be used ({len(report.problems)}):")
        for problem in report.problems:
            print(f"  - {problem}")
    for error in report.errors:
        print(f"\nStep failed: {error}", file=sys.stderr)
    status = "succeeded" if report.success else "FAILED"
    print(f"\nRun {report.run_id} {status}.")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _exit_code(report: SyncReport) -> int:
    if not report.success:
        return EXIT_RUN_FAILED
    if any(o["status"] == "failed" for o in report.outcomes):
        return EXIT_COMPANY_FAILED
    return 0


def _cmd_sync(args: argparse.Namespace) -> int:
    first, last = open_months(date.today())
    first, last = args.from_period or args.to_period or first, args.to_period or last
    for value in (first, last):
        parse_period(value)
    if months(first, last) == []:
        raise ValueError(f"--from {first} is after --to {last}")
    nips = [validate_nip(nip) for nip in args.nip or []]
    report = run_sync(
        Path(args.settings),
        first,
        last,
        approve=args.approve,
        send_summary=args.send_summary,
        nips=nips,
        data_types=args.data_type,
    )
    print_report(report)
    return _exit_code(report)


def _cmd_demo(args: argparse.Namespace) -> int:
    from konekto_pipeline.demo import create_demo_office
    from konekto_pipeline.sources.firebird.local import PASSWORD_ENV as FIREBIRD_PASSWORD_ENV

    office = create_demo_office(Path(args.dir), companies=args.companies)
    print(f"Demo office in {office.folder}: {office.describe()}")
    print(f"Syncing {office.first_period}..{office.last_period} into {office.panel_database}\n")
    report = run_sync(office.settings_path, office.first_period, office.last_period)
    print_report(report)
    konekto = _this_command()
    print(
        f"\nLog in:        {konekto} panel user add biuro --db {office.panel_database}"
        " (asks for a password)\n"
        f"See the panel: {konekto} panel serve --db {office.panel_database}\n"
        f"Dump it:       {konekto} panel dump --db {office.panel_database}\n"
        f"Sync again:    {konekto} sync --settings {office.settings_path} "
        f"--from {office.first_period} --to {office.last_period}"
    )
    if office.uses_firebird:
        print(
            f"Raks and Fakt: their demo databases are on this machine's Firebird server; export "
            f"{FIREBIRD_PASSWORD_ENV} (its SYSDBA password) before syncing again or `dagster dev`"
        )
    return _exit_code(report)


def _cmd_check(args: argparse.Namespace) -> int:
    from konekto_pipeline.checks import check_all

    settings = load_office(args.settings)
    results = check_all(settings, token=os.environ.get("KONEKTO_PANEL_TOKEN") or None)
    for result in results:
        mark = {True: "OK  ", False: "FAIL", None: "off "}[result.ok]
        print(f"{mark} {result.name}: {result.message}")
    if not settings.programs.enabled():
        print("FAIL programs: none is enabled; add the office's programs under `programs:`")
        return EXIT_RUN_FAILED
    return EXIT_RUN_FAILED if any(result.ok is False for result in results) else 0


def _cmd_probe(args: argparse.Namespace) -> int:
    from konekto_pipeline.checks import probe_program
    from konekto_pipeline.sources.registry import PROGRAMS_BY_KEY

    found = probe_program(PROGRAMS_BY_KEY[args.program], load_office(args.settings))
    print(json.dumps(found, ensure_ascii=False, indent=2, default=str))
    return 0


def _cmd_detect(args: argparse.Namespace) -> int:
    from konekto_pipeline.sources.files.detect import detect_file_programs
    from konekto_pipeline.sources.files.paths import PathMap

    try:
        mapping = PathMap(dict(_mapping(item) for item in args.path))
    except ValueError as error:
        raise SettingsError(str(error)) from None
    found = detect_file_programs(mapping, Path.cwd())
    if not found:
        print("no file-based program found in its standard place")
        return 0
    print(yaml.safe_dump({"programs": found}, allow_unicode=True, sort_keys=False), end="")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from konekto_pipeline.init import detect, settings_text, write_settings
    from konekto_pipeline.sources.files.paths import PathMap

    try:
        mapping = dict(_mapping(item) for item in args.path)
        found = detect(PathMap(mapping), Path.cwd())
    except ValueError as error:
        raise SettingsError(str(error)) from None
    target = Path(args.output)
    try:
        write_settings(target, settings_text(found, mapping, args.office_name), force=args.force)
    except FileExistsError as error:
        raise SettingsError(str(error)) from None
    for finding in found.findings:
        print(finding)
    print(f"wrote {target}; next: konekto check --settings {target}")
    return 0


def _mapping(item: str) -> tuple[str, str]:
    drive, separator, folder = item.partition("=")
    if not separator or not folder:
        raise ValueError(f"--path {item}: write DRIVE_OR_SHARE=LOCAL_FOLDER, e.g. C:=/mnt/c")
    return drive, folder


def _cmd_instances(args: argparse.Namespace) -> int:
    from konekto_pipeline.sources.sql.browser import list_instances

    for instance in list_instances(args.host, port=args.port, timeout=args.timeout):
        port = f"tcp {instance.tcp_port}" if instance.tcp_port else "no TCP port"
        print(f"{instance.server}\t{port}\tversion {instance.version}")
    return 0


def _cmd_report_error(args: argparse.Namespace) -> int:
    from konekto_pipeline.error_reports import report_error_command

    settings = load_office(args.settings)
    with _instance(settings) as instance:
        output, ok = report_error_command(instance, settings, args.run_id, send=args.send)
    print(output)
    return 0 if ok else EXIT_RUN_FAILED


def _this_command() -> str:
    """How the user started konekto (`.venv/bin/konekto`), so printed commands work as shown."""
    invoked = Path(sys.argv[0])
    return shlex.quote(str(invoked)) if invoked.name == "konekto" else "konekto"


def _cmd_panel_serve(args: argparse.Namespace) -> int:
    from konekto_pipeline.panel.server import build_notifier, serve

    token = os.environ.get("KONEKTO_PANEL_TOKEN") or None
    notifier = None
    office_name = "Biuro rachunkowe"
    database = args.db
    if args.settings is not None:
        settings = load_office(args.settings)
        notifier = build_notifier(settings)
        office_name = settings.office_name
        if database is None and settings.panel.database is not None:
            database = str(settings.resolve(settings.panel.database))
    if database is None:
        raise SettingsError("give --db, or --settings whose panel is a database file")
    if token is None and not _has_api_tokens(_sqlite_url(database)):
        _refuse_an_open_api(args.host)
    print(f"Office panel on http://{args.host}:{args.port}/ (database {database})")
    serve(
        _sqlite_url(database),
        host=args.host,
        port=args.port,
        token=token,
        notifier=notifier,
        office_name=office_name,
    )
    return 0


def _has_api_tokens(database_url: str) -> bool:
    from konekto_pipeline.panel.auth import PanelAuth
    from konekto_pipeline.panel.storage import PanelStorage

    storage = PanelStorage(database_url)
    try:
        return bool(PanelAuth(storage, session_secret="x" * 32).api_tokens())
    finally:
        storage.dispose()


def _refuse_an_open_api(host: str) -> None:
    """Without a token the REST API answers anyone who reaches it: only on this machine, and
    then with a warning."""
    from konekto_pipeline.panel.notify import is_loopback

    how = (
        "set KONEKTO_PANEL_TOKEN, or make a token with `konekto panel token create NAME` "
        "(or on the panel's Tokeny API page)"
    )
    if not is_loopback(host):
        raise SettingsError(
            f"the panel's REST API has no token and would be open to the network on {host}: {how}"
        )
    print(
        f"warning: the REST API has no token; any program on this machine can call it ({how})",
        file=sys.stderr,
    )


def _cmd_panel_dump(args: argparse.Namespace) -> int:
    from konekto_pipeline.panel.server import dump

    if not Path(args.db).exists():
        raise FileNotFoundError(f"panel database {args.db} does not exist")
    try:
        for item in dump(_sqlite_url(args.db)):
            print(json.dumps(item, ensure_ascii=False, sort_keys=True, default=str))
    except sqlalchemy.exc.DatabaseError as error:
        raise ValueError(f"{args.db} is not a panel database ({error.orig})") from None
    return 0


NEW_PASSWORD_ENV_VAR = "KONEKTO_NEW_PASSWORD"


def _panel_auth(args: argparse.Namespace) -> Any:
    from konekto_pipeline.panel.auth import PanelAuth
    from konekto_pipeline.panel.storage import PanelStorage

    database = args.db
    if database is None and args.settings is not None:
        settings = load_office(args.settings)
        if settings.panel.database is not None:
            database = str(settings.resolve(settings.panel.database))
    if database is None:
        raise SettingsError("give --db, or --settings whose panel is a database file")
    return PanelAuth(PanelStorage(_sqlite_url(database)), session_secret=secrets.token_bytes(32))


def _new_password() -> str:
    """The new user's password: from KONEKTO_NEW_PASSWORD (scripts), else asked twice."""
    given = os.environ.get(NEW_PASSWORD_ENV_VAR)
    if given:
        return given
    first = getpass.getpass("Hasło: ")
    if getpass.getpass("Powtórz hasło: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _cmd_panel_user_add(args: argparse.Namespace) -> int:
    from konekto_pipeline.panel.auth import PasswordRejected

    auth = _panel_auth(args)
    try:
        user = auth.create_office_user(args.username, _new_password(), args.name or "")
    except PasswordRejected as error:
        raise ValueError(str(error)) from None
    print(f"Office user {user.username} can now log in to the panel.")
    return 0


def _cmd_panel_token_create(args: argparse.Namespace) -> int:
    token = _panel_auth(args).create_api_token(args.name, created_by="konekto panel token")
    print("The panel keeps only a hash of this token; it is shown once:")
    print(token)
    return 0


def _sqlite_url(path: str) -> str:
    return path if "://" in path else f"sqlite:///{Path(path).resolve()}"


def _panel_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="panel database file (SQLite) or URL")
    parser.add_argument("--settings", help="the office's konekto.yaml (its panel database)")


def _program_keys() -> list[str]:
    from konekto_pipeline.sources.registry import PROGRAMS

    return [spec.key for spec in PROGRAMS]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="konekto", description="Sync an accounting office's ZUS, taxes and summaries."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="create a demo office and sync it end to end")
    demo.add_argument("--dir", default="demo-office", help="folder for the demo office")
    demo.add_argument("--companies", type=int, default=12, help="number of client companies")
    demo.set_defaults(handler=_cmd_demo)

    sync = commands.add_parser("sync", help="sync an office described by a settings file")
    sync.add_argument("--settings", required=True, help="the office's konekto.yaml")
    sync.add_argument("--from", dest="from_period", help="first month, YYYY-MM")
    sync.add_argument("--to", dest="to_period", help="last month, YYYY-MM")
    sync.add_argument("--approve", action="store_true", help="approve what is uploaded")
    sync.add_argument("--send-summary", action="store_true", help="send clients the summary")
    sync.add_argument("--nip", action="append", help="update only this company (repeatable)")
    sync.add_argument("--data-type", action="append", choices=DATA_TYPES, help="repeatable")
    sync.set_defaults(handler=_cmd_sync)

    check = commands.add_parser("check", help="test the connection to every enabled program")
    check.add_argument("--settings", required=True, help="the office's konekto.yaml")
    check.set_defaults(handler=_cmd_check)

    probe = commands.add_parser("probe", help="list what a program holds (read-only)")
    probe.add_argument("program", choices=_program_keys())
    probe.add_argument("--settings", required=True, help="the office's konekto.yaml")
    probe.set_defaults(handler=_cmd_probe)

    detect = commands.add_parser(
        "detect", help="find file-based programs in their standard places (settings to paste)"
    )
    detect.add_argument(
        "--path",
        action="append",
        default=[],
        metavar="DRIVE=FOLDER",
        help="where a Windows drive or share is mounted here, e.g. C:=/mnt/c (repeatable)",
    )
    detect.set_defaults(handler=_cmd_detect)

    init = commands.add_parser(
        "init", help="write a settings file with the programs found on this machine"
    )
    init.add_argument("--output", default="konekto.yaml", help="default: ./konekto.yaml")
    init.add_argument("--office-name", default="Biuro rachunkowe")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    init.add_argument(
        "--path",
        action="append",
        default=[],
        metavar="DRIVE=FOLDER",
        help="where a Windows drive or share is mounted here, e.g. C:=/mnt/c (repeatable)",
    )
    init.set_defaults(handler=_cmd_init)

    instances = commands.add_parser(
        "instances", help="list SQL Server instances on a host (SQL Server Browser, UDP 1434)"
    )
    instances.add_argument("--host", required=True)
    instances.add_argument("--port", type=int, default=1434)
    instances.add_argument("--timeout", type=float, default=2.0)
    instances.set_defaults(handler=_cmd_instances)

    report_error = commands.add_parser(
        "report-error", help="show a failed run's error report (what would be sent); --send sends"
    )
    which_run = report_error.add_mutually_exclusive_group(required=True)
    which_run.add_argument("run_id", nargs="?", help="the failed run's id")
    which_run.add_argument("--last-failed", action="store_true", help="the latest failed run")
    report_error.add_argument("--settings", required=True, help="the office's konekto.yaml")
    report_error.add_argument(
        "--send", action="store_true", help="send it to error_reports.url and/or .email"
    )
    report_error.set_defaults(handler=_cmd_report_error)

    panel = commands.add_parser("panel", help="the reference office panel")
    panel_commands = panel.add_subparsers(dest="panel_command", required=True)
    serve = panel_commands.add_parser("serve", help="serve the panel and its web page")
    serve.add_argument("--db", help="panel database file (SQLite); default: the settings' one")
    serve.add_argument(
        "--settings", help="the office's konekto.yaml: its panel database and notifications"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.set_defaults(handler=_cmd_panel_serve)
    user = panel_commands.add_parser(
        "user", help="office staff who log in to the panel's pages"
    ).add_subparsers(dest="user_command", required=True)
    user_add = user.add_parser(
        "add", help=f"add office staff (password: asked, or {NEW_PASSWORD_ENV_VAR})"
    )
    user_add.add_argument("username")
    user_add.add_argument("--name", help="the name shown in the history, e.g. Anna Kowalska")
    _panel_target(user_add)
    user_add.set_defaults(handler=_cmd_panel_user_add)
    token = panel_commands.add_parser(
        "token", help="API tokens for the pipeline (shown once, kept hashed)"
    ).add_subparsers(dest="token_command", required=True)
    token_create = token.add_parser("create", help="make an API token and print it once")
    token_create.add_argument("name", help="what the token is for, e.g. pipeline")
    _panel_target(token_create)
    token_create.set_defaults(handler=_cmd_panel_token_create)
    dump = panel_commands.add_parser("dump", help="print every stored item as JSON lines")
    dump.add_argument("--db", required=True, help="panel database file (SQLite)")
    dump.set_defaults(handler=_cmd_panel_dump)
    return parser


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:  # the reader of our output (`| head`) stopped: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (SettingsError, InvalidIdentifier, ValueError, OSError, SqlConnectionError) as error:
        print(f"konekto: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("konekto: interrupted", file=sys.stderr)
        return EXIT_RUN_FAILED


if __name__ == "__main__":
    sys.exit(main())
