"""Running the reference panel: served, embedded in a run, or dumped.

`serve` runs it on its own, `PanelThread` embeds it in a pipeline run when the office gives a
database file instead of a panel URL, and `dump` reads the items back out for `konekto panel dump`.
"""

import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI

from konekto_pipeline.panel.app import RecordingSummaryNotifier, SummaryNotifier, create_app
from konekto_pipeline.panel.contract import API_PREFIX
from konekto_pipeline.panel.notify import EmailSender, HttpSmsGateway, Notifier
from konekto_pipeline.panel.storage import PanelStorage

LOCALHOST = "127.0.0.1"


def as_database_url(target: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL as given, or the URL of a SQLite file when given a path."""
    text = os.fspath(target)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).resolve().as_posix()}"


def build_notifier(settings: Any) -> SummaryNotifier:
    """The notifier the office's `notifications` settings describe; with neither e-mail nor SMS
    set up, one that only records that a summary was asked for."""
    notifications = settings.notifications
    if notifications.email is None and notifications.sms is None:
        return RecordingSummaryNotifier()
    return Notifier(
        settings.office_name,
        email=EmailSender(notifications.email) if notifications.email else None,
        sms=HttpSmsGateway(notifications.sms) if notifications.sms else None,
        channels={nip: set(on) for nip, on in notifications.channels.items()} or None,
        panel_url=notifications.panel_url,
    )


def serve(
    database_url: str,
    host: str = LOCALHOST,
    port: int = 8765,
    token: str | None = None,
    notifier: SummaryNotifier | None = None,
    office_name: str = "Biuro rachunkowe",
) -> None:
    """Serve the panel until interrupted (blocking)."""
    app = create_app(database_url, token, notifier=notifier, office_name=office_name)
    uvicorn.run(app, host=host, port=port)


class PanelThread:
    """The panel served by uvicorn in a background thread on 127.0.0.1, for one pipeline run.

    `port=0` takes a free port. On entry it waits until /api/v1/health answers; `.url` is the
    base URL to give a `PanelClient`. On exit the server finishes its requests and stops.
    """

    def __init__(
        self,
        database_url: str,
        token: str | None = None,
        port: int = 0,
        startup_timeout: float = 15.0,
        notifier: SummaryNotifier | None = None,
        office_name: str = "Biuro rachunkowe",
    ) -> None:
        self.database_url = database_url
        self.token = token
        self.notifier = notifier
        self.office_name = office_name
        self.port = port
        self.startup_timeout = startup_timeout
        self._server: uvicorn.Server | None = None
        self.app: FastAPI | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        """The running panel's base URL, e.g. http://127.0.0.1:54321."""
        if self._socket is None:
            raise RuntimeError("the panel thread is not running")
        return f"http://{LOCALHOST}:{self._socket.getsockname()[1]}"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Bind the port, start uvicorn and wait until the panel answers."""
        # The embedded panel lives for one run: its sessions need not outlive it.
        self.app = app = create_app(
            self.database_url,
            self.token,
            notifier=self.notifier,
            office_name=self.office_name,
            session_secret=secrets.token_urlsafe(32),
        )
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOCALHOST, self.port))
        self._socket = listener

        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [listener]},
            name="konekto-panel",
            daemon=True,
        )
        self._thread.start()
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(base_url=self.url, timeout=2.0, trust_env=False) as http:
            while time.monotonic() < deadline:
                if self._thread is None or not self._thread.is_alive():
                    raise RuntimeError("the embedded panel stopped while starting")
                try:
                    if http.get(f"{API_PREFIX}/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise RuntimeError(f"the embedded panel did not answer within {self.startup_timeout} s")

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to finish and wait for the thread; safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None


def dump(database_url: str) -> Iterator[dict[str, Any]]:
    """Every stored item as a JSON-ready dict (amount in grosze, dates as YYYY-MM-DD text).

    A SQLite file that does not exist is an error rather than a new empty database.
    """
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        if not Path(url.database).is_file():
            raise FileNotFoundError(f"no panel database at {url.database}")
    storage = PanelStorage(database_url)
    try:
        for item in storage.iter_items():
            yield item.model_dump(mode="json")
    finally:
        storage.dispose()
