"""Resources: the office's settings file and the office panel the pipeline uploads to."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from konekto_pipeline.office import load_office
from konekto_pipeline.panel.client import PanelClient
from konekto_pipeline.panel.server import PanelThread, build_notifier
from konekto_pipeline.settings import Settings


class SettingsResource(dg.ConfigurableResource):
    """The office's `konekto.yaml`, read and validated once per run step."""

    path: str

    def load(self) -> Settings:
        return load_office(self.path)


class PanelResource(dg.ConfigurableResource):
    """The office panel: a URL from the settings, or the embedded panel on a local database.

    The bearer token comes from an environment variable (`dg.EnvVar`) and is never logged.
    """

    token: str | None = None

    @contextmanager
    def client(self, settings: Settings) -> Iterator[PanelClient]:
        panel = settings.panel
        if panel.url is not None:
            with PanelClient(
                panel.url, token=self.token, timeout=panel.timeout_seconds, verify=panel.verify_tls
            ) as client:
                yield client
            return
        database_url = settings.panel_database_url()
        assert database_url is not None  # settings guarantee a URL or a database
        settings.resolve(panel.database).parent.mkdir(parents=True, exist_ok=True)
        notifier = build_notifier(settings)
        # The embedded panel lives for this run only: a token of its own keeps other programs on
        # this machine out, and works whatever API tokens the office made in the panel.
        token = self.token or secrets.token_urlsafe(32)
        with PanelThread(
            database_url, token=token, notifier=notifier, office_name=settings.office_name
        ) as server:
            with PanelClient(server.url, token=token, timeout=panel.timeout_seconds) as client:
                yield client
