"""An office as the pipeline runs it: its settings checked against the programs we know, and a
lock so that two syncs of one office never run at once."""

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from konekto_pipeline.settings import (
    DO_NOT_UPDATE,
    PROGRAM_KEYS,
    Settings,
    SettingsError,
    load_settings,
)
from konekto_pipeline.sources.registry import PROGRAMS_BY_KEY, suppliers


def load_office(path: str | Path) -> Settings:
    """The settings file, validated, with every source choice one that can really be made."""
    settings = load_settings(path)
    problems = source_choice_problems(settings)
    if problems:
        raise SettingsError(f"{Path(path).resolve()}: " + "; ".join(problems))
    return settings


def source_choice_problems(settings: Settings) -> list[str]:
    """Source choices that would silently upload nothing: a program that cannot supply the data
    type, one that is not enabled, or a name we do not know."""
    enabled = settings.programs.enabled()
    problems = []
    for nip, override in settings.companies.items():
        for data_type, program in override.sources.items():
            if program == DO_NOT_UPDATE:
                continue
            key = f"companies.{nip}.sources.{data_type}"
            problems += _choice_problems(key, data_type, program)
            if program in PROGRAM_KEYS and program not in enabled:
                problems.append(f"{key}: program {program} is not enabled (programs.{program})")
    for data_type, order in settings.source_order.items():
        for index, program in enumerate(order):
            problems += _choice_problems(f"source_order.{data_type}.{index}", data_type, program)
    return problems


def _choice_problems(key: str, data_type: str, program: str) -> list[str]:
    able = ", ".join(suppliers(data_type))
    if program not in PROGRAM_KEYS:
        return [f"{key}: unknown program {program!r} (programs that supply {data_type}: {able})"]
    if program in PROGRAMS_BY_KEY and data_type not in PROGRAMS_BY_KEY[program].data_types:
        return [f"{key}: {program} cannot supply {data_type} (programs that can: {able})"]
    return []


@contextmanager
def office_lock(settings: Settings, wait_message: str | None = None) -> Iterator[Path]:
    """Hold the office's sync lock (a file in its storage folder) for the duration.

    A second sync of the same office waits here (saying so once) instead of racing the first
    on the run history, the stored frames and the panel.
    """
    folder = settings.resolve(settings.storage_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sync.lock"
    with open(path, "a+b") as handle:
        if not _try_lock(handle):
            if wait_message:
                sys.stderr.write(f"{wait_message}\n")
            while not _try_lock(handle):
                time.sleep(0.5)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n".encode())
            handle.flush()
            yield path
        finally:
            _unlock(handle)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(handle) -> bool:  # noqa: ANN001 - a binary file object
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(handle) -> None:  # noqa: ANN001
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle) -> bool:  # noqa: ANN001 - a binary file object
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(handle) -> None:  # noqa: ANN001
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
