"""How the pipeline is deployed: Dagster instance settings, PostgreSQL storage and `dagster dev`.

An office copies a dagster.yaml from this repository and trusts two promises: no two steps read
one accounting program at once (each program's assets share the pool `konekto_<program>`, one
slot per pool) and one run of the office runs at a time (one run per code location). These tests
load every example the way Dagster loads it, run a sync whose history is kept in PostgreSQL, and
start `dagster dev` as the README says to see the automatic update run on its own.

The `dagster dev` test is marked `slow` (two to three minutes: it waits for the schedule's minute
and the run starts a process per step); `pytest -m "not slow"` leaves it out.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import httpx
import pytest
import sqlalchemy as sa
import yaml
from dagster._core.instance.config import dagster_instance_config

from konekto_pipeline.cli import INSTANCE_YAML, _instance, run_sync
from konekto_pipeline.definitions import build_definitions
from konekto_pipeline.defs.automation import RANGE_END, RANGE_START, open_months
from konekto_pipeline.demo import DemoOffice, create_demo_office
from konekto_pipeline.office import load_office
from konekto_pipeline.sources.registry import PROGRAMS

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = [REPO / "dagster.yaml", *sorted((REPO / "docs" / "deployment").glob("*.yaml"))]
ONE_RUN_PER_OFFICE = {
    "key": "dagster/code_location",
    "value": {"applyLimitPerUniqueValue": True},
    "limit": 1,
}
NO_FIREBIRD = "Raks and Fakt left out: these tests are about Dagster, not the Firebird readers"
# From launch to a successful run: the tick comes within a minute, the run takes about 90 s
# on two CPUs (a process per step); stopping adds a few seconds, under three minutes in all.
DAGSTER_DEV_BUDGET_SECONDS = 165
SCHEDULES = """query Schedules {
  repositoriesOrError { ... on RepositoryConnection { nodes { schedules { id name } } } }
}"""
STOP_SCHEDULE = """mutation StopSchedule($id: String) {
  stopRunningSchedule(id: $id) { __typename ... on PythonError { message } }
}"""
TERMINATE_RUNS = """mutation TerminateRuns($runIds: [String!]!) {
  terminateRuns(runIds: $runIds) { __typename }
}"""


@pytest.fixture
def small_office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DemoOffice:
    """A demo office of three clients on local files and SQLite, without the Firebird programs."""
    monkeypatch.setattr("konekto_pipeline.demo.server_problem", lambda target: NO_FIREBIRD)
    return create_demo_office(tmp_path / "biuro", companies=3)


# --- the pools -------------------------------------------------------------------------------


def test_every_source_asset_is_in_its_programs_pool_and_the_upload_in_the_panels(
    tmp_path: Path,
):
    graph = build_definitions(str(tmp_path / "konekto.yaml")).resolve_asset_graph()
    pools_by_group: dict[str, set[str | None]] = {}
    for assets_def in graph.assets_defs:
        for key in assets_def.keys:
            group = graph.get(key).group_name
            pools_by_group.setdefault(group, set()).add(assets_def.op.pool)

    programs = {spec.key: {f"konekto_{spec.key}"} for spec in PROGRAMS}
    assert pools_by_group == {**programs, "merge": {None}, "konektosmart": {"konekto_panel"}}


# --- the example instance files ----------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: str(path.relative_to(REPO)))
def test_example_instance_file_is_valid_dagster_config_with_the_office_limits(
    example: Path, tmp_path: Path
):
    shutil.copy(example, tmp_path / "dagster.yaml")

    config, _ = dagster_instance_config(str(tmp_path))  # Dagster's own schema and rules

    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert ONE_RUN_PER_OFFICE in config["concurrency"]["runs"]["tag_concurrency_limits"]


@pytest.mark.parametrize(
    "example",
    [path for path in EXAMPLES if "postgres" not in path.name],
    ids=lambda path: str(path.relative_to(REPO)),
)
def test_example_instance_file_loads_as_an_instance_that_queues_runs_within_the_limits(
    example: Path, tmp_path: Path
):
    shutil.copy(example, tmp_path / "dagster.yaml")

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        concurrency = instance.get_concurrency_config()

    assert concurrency.pool_config.default_pool_limit == 1
    assert concurrency.run_queue_config is not None  # the queued run coordinator
    assert ONE_RUN_PER_OFFICE in concurrency.run_queue_config.tag_concurrency_limits


def test_documented_executor_config_is_accepted_by_the_sync_job(tmp_path: Path):
    job = build_definitions(str(tmp_path / "konekto.yaml")).resolve_job_def("sync")
    run_config = {"execution": {"config": {"multiprocess": {"max_concurrent": 4}}}}

    resolved = dg.validate_run_config(job, run_config)

    executor = resolved["execution"]["multi_or_in_process_executor"]
    assert executor["multiprocess"]["max_concurrent"] == 4


# --- the instance `konekto sync` keeps with the office ---------------------------------------


def test_office_instance_written_by_konekto_has_the_pool_limit(
    small_office: DemoOffice, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings = load_office(small_office.settings_path)
    folder = settings.resolve(settings.storage_dir) / "dagster"

    with _instance(settings) as instance:
        concurrency = instance.get_concurrency_config()

    assert (folder / "dagster.yaml").read_text(encoding="utf-8") == INSTANCE_YAML
    assert concurrency.pool_config.default_pool_limit == 1
    assert ONE_RUN_PER_OFFICE in concurrency.run_queue_config.tag_concurrency_limits


def test_office_instance_file_of_an_earlier_konekto_is_brought_up_to_date_an_own_one_kept(
    small_office: DemoOffice, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings = load_office(small_office.settings_path)
    instance_yaml = settings.resolve(settings.storage_dir) / "dagster" / "dagster.yaml"
    instance_yaml.parent.mkdir(parents=True)
    earlier = """# Dagster instance of this office; the repository's dagster.yaml has more.
telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    tag_concurrency_limits:
      - key: dagster/job_name
        value: sync
        limit: 1
"""
    instance_yaml.write_text(earlier, encoding="utf-8")

    with _instance(settings):
        pass
    assert instance_yaml.read_text(encoding="utf-8") == INSTANCE_YAML

    own = "# Our office's instance\ntelemetry:\n  enabled: false\n"
    instance_yaml.write_text(own, encoding="utf-8")
    with _instance(settings):
        pass
    assert instance_yaml.read_text(encoding="utf-8") == own


# --- PostgreSQL storage ------------------------------------------------------------------------


def test_sync_through_the_postgres_example_is_stored_in_postgresql(
    small_office: DemoOffice,
    pg_database,
    pg_template: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    database = pg_database()
    url = sa.make_url(pg_template.format(database=database))
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "docs" / "deployment" / "dagster.postgres.yaml", home / "dagster.yaml")
    for name, value in {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": url.host,
        "DAGSTER_PG_PORT": str(url.port),
        "DAGSTER_PG_DB": database,
        "DAGSTER_PG_USER": url.username,
        "DAGSTER_PG_PASSWORD": url.password or "",  # the test server trusts local users
    }.items():
        monkeypatch.setenv(name, value)

    report = run_sync(
        small_office.settings_path, small_office.last_period, small_office.last_period
    )

    assert report.success, report.errors
    assert {outcome["status"] for outcome in report.outcomes} >= {"uploaded"}
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            status = connection.execute(
                sa.text("SELECT status FROM runs WHERE run_id = :run_id"),
                {"run_id": report.run_id},
            ).scalar_one()
            pools = dict(
                connection.execute(
                    sa.text('SELECT concurrency_key, "limit" FROM concurrency_limits')
                ).all()
            )
    finally:
        engine.dispose()
    assert status == "SUCCESS"
    assert pools["konekto_jpk"] == pools["konekto_optima"] == 1


# --- dagster dev ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="finds the processes it started in /proc")
def test_dagster_dev_runs_the_automatic_update_on_its_own_and_stops_cleanly(
    small_office: DemoOffice, tmp_path: Path
):
    """The README's `dagster dev -w workspace.yaml` with the repository's dagster.yaml: the
    schedule built from the settings ticks, the daemon queues and launches the run, the sync
    succeeds; on SIGTERM every process of it ends."""
    settings = yaml.safe_load(small_office.settings_path.read_text(encoding="utf-8"))
    # Every minute; the change sensor and scheduled approval off, so that the automatic
    # update's runs are the only ones.
    settings["schedules"] = {
        "enabled": True,
        "automatic_update": "* * * * *",
        "watch_changes": False,
    }
    settings["approval"] = dict.fromkeys(settings["approval"], "never")
    small_office.settings_path.write_text(
        yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8"
    )
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")

    with _dagster_dev(home, small_office.settings_path, tmp_path / "dagster-dev.log") as dev:
        record = dev.first_scheduled_run()
        dev.stop_schedule_and_runs()
        with dg.DagsterInstance.from_config(str(home)) as instance:
            pools = {pool.name: pool.limit for pool in instance.event_log_storage.get_pool_limits()}
            runs = instance.get_run_records()
            steps = _step_intervals(instance, record.dagster_run.run_id)

    tags = record.dagster_run.tags
    assert record.dagster_run.job_name == "sync"
    assert tags["dagster/schedule_name"] == "automatic_update"
    tick = re.fullmatch(r"automatic-(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}", tags["dagster/run_key"])
    assert tick, tags["dagster/run_key"]
    first, last = open_months(date.fromisoformat(tick.group(1)))
    assert (tags[RANGE_START], tags[RANGE_END]) == (first, last)
    assert pools["konekto_kedu"] == pools["konekto_buchalter"] == 1
    for spec in PROGRAMS:
        own = sorted(times for step, times in steps.items() if _program(step) == spec.key)
        assert own, f"no step of {spec.key} ran"
        for (_, end), (next_start, _) in zip(own, own[1:], strict=False):
            assert next_start >= end, f"two steps of {spec.key} ran at once: {own}"
    started = sorted((r.start_time, r.end_time or time.time()) for r in runs if r.start_time)
    for (_, end), (next_start, _) in zip(started, started[1:], strict=False):
        assert next_start >= end, "two runs of the office were in progress at once"


class _DagsterDev:
    """A `dagster dev` started in its own process group, watched through its instance."""

    def __init__(self, home: Path, process: subprocess.Popen, log: Path, port: int):
        self.home = home
        self.process = process
        self.log = log
        self.port = port
        self.deadline = time.monotonic() + DAGSTER_DEV_BUDGET_SECONDS

    def first_scheduled_run(self) -> dg.RunRecord:
        """The first run of the automatic update, once it has finished successfully."""
        self._wait_for_webserver()
        with dg.DagsterInstance.from_config(str(self.home)) as instance:
            while True:
                record = self._first_run(instance)
                if record is not None and record.dagster_run.is_finished:
                    run = record.dagster_run
                    if run.status != dg.DagsterRunStatus.SUCCESS:
                        failures = _step_failures(instance, run.run_id)
                        self.fail(f"the run ended {run.status.value}: {failures}")
                    return record
                if time.monotonic() > self.deadline:
                    state = record.dagster_run.status.value if record else "no run yet"
                    self.fail(f"no successful scheduled run in time ({state})")
                self._check_alive()
                time.sleep(2)

    def stop_schedule_and_runs(self) -> None:
        """Switch the schedule off and terminate the runs of later ticks, as an operator does
        before stopping Dagster: a code server with a run in progress outlives `dagster dev`
        until that run ends."""
        schedules = self._graphql(SCHEDULES)["repositoriesOrError"]["nodes"][0]["schedules"]
        schedule = next(item for item in schedules if item["name"] == "automatic_update")
        stopped = self._graphql(STOP_SCHEDULE, id=schedule["id"])["stopRunningSchedule"]
        if stopped["__typename"] != "ScheduleStateResult":
            self.fail(f"the schedule did not stop: {stopped}")
        deadline = time.monotonic() + 60
        with dg.DagsterInstance.from_config(str(self.home)) as instance:
            while unfinished := [r.run_id for r in instance.get_runs() if not r.is_finished]:
                if time.monotonic() > deadline:
                    self.fail(f"runs still going after being terminated: {unfinished}")
                self._graphql(TERMINATE_RUNS, runIds=unfinished)
                self._check_alive()
                time.sleep(2)

    def _graphql(self, query: str, **variables: object) -> dict:
        url = f"http://127.0.0.1:{self.port}/graphql"
        answer = httpx.post(url, json={"query": query, "variables": variables}, timeout=30)
        body = answer.json()
        if answer.status_code != 200 or body.get("errors"):
            self.fail(f"GraphQL {query.split()[1]} answered {answer.status_code}: {body}")
        return body["data"]

    def _first_run(self, instance: dg.DagsterInstance) -> dg.RunRecord | None:
        filters = dg.RunsFilter(tags={"dagster/schedule_name": "automatic_update"})
        records = instance.get_run_records(filters=filters, ascending=True, limit=1)
        return records[0] if records else None

    def _wait_for_webserver(self) -> None:
        url = f"http://127.0.0.1:{self.port}/server_info"
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > self.deadline:
                self.fail(f"the webserver did not answer on {url}")
            self._check_alive()
            time.sleep(1)

    def _check_alive(self) -> None:
        if self.process.poll() is not None:
            self.fail(f"dagster dev exited early with {self.process.returncode}")

    def fail(self, reason: str) -> None:
        pytest.fail(f"dagster dev: {reason}\n--- the end of its output ---\n{self.tail()}")

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        noise = ("BetaWarning", "return fn(*args, **kwargs)")
        return "\n".join([line for line in text if not any(n in line for n in noise)][-lines:])


def _step_intervals(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[float, float]]:
    """When each step of the run started and ended."""
    starts = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
    ends = instance.all_logs(
        run_id, of_type={dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    )
    ended = {entry.step_key: entry.timestamp for entry in ends}
    return {entry.step_key: (entry.timestamp, ended[entry.step_key]) for entry in starts}


def _program(step_key: str) -> str | None:
    """The program whose asset the step materializes (the longest key that prefixes it)."""
    keys = [spec.key for spec in PROGRAMS if step_key.startswith(f"{spec.key}_")]
    return max(keys, key=len, default=None)


def _step_failures(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    failures = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    return [f"{entry.step_key}: {entry.dagster_event.message}" for entry in failures]


@contextmanager
def _dagster_dev(home: Path, settings: Path, log: Path) -> Iterator[_DagsterDev]:
    """Start `dagster dev -w workspace.yaml` on a free port; stop it with SIGTERM as a service
    manager would, and fail if it does not exit or any process of its group outlives it."""
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "KONEKTO_SETTINGS": str(settings)}
    command = [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml",
               "-h", "127.0.0.1", "-p", str(port)]  # fmt: skip
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to find every child at the end
            preexec_fn=_default_stop_signals,
        )
    dev = _DagsterDev(home, process, log, port)
    try:
        yield dev
    finally:
        code, leftovers = _stop(process)
    assert code is not None, f"dagster dev did not exit on SIGTERM\n{dev.tail()}"
    assert not leftovers, f"processes left after dagster dev exited: {leftovers}"


def _stop(process: subprocess.Popen) -> tuple[int | None, list[str]]:
    """SIGTERM, then wait for `dagster dev` and every process of its group; what still lives
    after that is killed and returned."""
    group = process.pid  # the session leader's pid is its group's id
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        code = None
    leftovers = _wait_for_empty_group(group, timeout=30)
    if code is None or leftovers:
        os.killpg(group, signal.SIGKILL)
        process.wait()
    return code, leftovers


def _default_stop_signals() -> None:
    """In the child: SIGINT and SIGTERM stop it even when the test runs as a background job
    (whose shell ignores SIGINT, which `dagster dev` then applies to SIGTERM as well)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _wait_for_empty_group(group: int, timeout: float) -> list[str]:
    """The command lines of the group's processes still alive after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        alive = _group_members(group)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.5)


def _group_members(group: int) -> list[str]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
                members.append(cmdline.decode(errors="replace")[:120])
        except (OSError, IndexError, ValueError):
            continue  # ended while being read
    return members


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
