"""An office's settings checked against the programs we know, and the lock between syncs.

A source choice that no program can honour would silently upload nothing, so it is refused when
the settings load; two syncs of one office must run one after the other.
"""

import threading
import time

import pytest
import yaml

from konekto_pipeline.office import load_office, office_lock
from konekto_pipeline.settings import SettingsError, parse_settings

NIP = "5260250274"


def _office(tmp_path, **settings):
    settings = {"programs": {"jpk": {"folder": "jpk"}, "kedu": {"folder": "kedu"}},
                "panel": {"database": "panel.sqlite"}, **settings}  # fmt: skip
    path = tmp_path / "konekto.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"companies": {NIP: {"sources": {"zus": "jpk"}}}},
         f"companies.{NIP}.sources.zus: jpk cannot supply zus"),
        ({"companies": {NIP: {"sources": {"zus": "keud"}}}},
         f"companies.{NIP}.sources.zus: unknown program 'keud'"),
        ({"companies": {NIP: {"sources": {"taxes": "optima"}}}},
         f"companies.{NIP}.sources.taxes: program optima is not enabled"),
        ({"source_order": {"zus": ["jpk"]}}, "source_order.zus.0: jpk cannot supply zus"),
    ],
)  # fmt: skip
def test_a_source_choice_that_cannot_be_honoured_is_refused_naming_the_key(
    tmp_path, settings, message
):
    with pytest.raises(SettingsError) as error:
        load_office(_office(tmp_path, **settings))
    assert message in str(error.value)


def test_do_not_update_and_an_able_enabled_program_are_accepted(tmp_path):
    sources = {"zus": "do_not_update", "taxes": "jpk"}
    office = load_office(_office(tmp_path, companies={NIP: {"sources": sources}}))
    assert office.override(NIP).sources == sources


def test_the_same_nip_written_twice_in_companies_is_refused():
    with pytest.raises(SettingsError, match="same NIP|again"):
        parse_settings(
            {"panel": {"database": "p"}, "companies": {NIP: {}, "PL 526-025-02-74": {}}}, "."
        )


def test_a_second_sync_waits_for_the_first(tmp_path):
    office = load_office(_office(tmp_path))
    order = []

    def second():
        with office_lock(office):
            order.append("second")

    with office_lock(office):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(1.0)
        order.append("first done")
    thread.join(timeout=10)
    assert order == ["first done", "second"]
