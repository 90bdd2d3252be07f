"""The settings file: what an office writes, and the messages it gets when something is wrong.

A message must point at the bad key, so an office can fix its file without reading our code.
"""

from pathlib import Path

import pytest

from konekto_pipeline.settings import SettingsError, load_settings, parse_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "konekto.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_paths_are_relative_to_the_settings_file(tmp_path):
    settings = load_settings(write(tmp_path, "programs: {jpk: {folder: pliki/jpk}}\n"
                                             "panel: {database: panel.sqlite}\n"))  # fmt: skip
    assert settings.resolve(settings.programs.jpk.folder) == tmp_path / "pliki" / "jpk"
    assert settings.panel_database_url() == f"sqlite:///{tmp_path / 'panel.sqlite'}"
    assert list(settings.programs.enabled()) == ["jpk"]


def test_a_disabled_program_is_not_enabled(tmp_path):
    text = "programs: {kedu: {folder: k, enabled: false}}\npanel: {database: p.sqlite}\n"
    assert load_settings(write(tmp_path, text)).programs.enabled() == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("programs: {jpk: {folder: x, foldr: y}}\npanel: {database: p}\n", "programs.jpk.foldr"),
        ("programs: {optima2: {}}\npanel: {database: p}\n", "programs.optima2"),
        ("panel: {}\n", "panel: Value error, give exactly one of 'url' and 'database'"),
        ("programs: {}\n", "panel: Field required"),
        ("panel: {database: p}\nupdate: {companies: [1234567890]}\n", "1234567890"),
        ("panel: {database: p}\napproval: {zus: sometimes}\n", "approval.zus"),
        ("panel: {database: p}\ncompanies: {'5260250274': {legal_form: spolka}}\n",
         "companies.5260250274.legal_form"),
        ("panel: {database: p}\nerror_reports: {enabled: true, url: 'http://raporty.pl/x'}\n",
         "error_reports.url"),
        ("panel: {database: p}\nerror_reports: {enabled: true}\n", "error_reports: Value error"),
        ("panel: {database: p}\nschedules: {enabled: yes, automatic_update: '0 6 * *'}\n",
         "schedules.automatic_update"),
        ("panel: {database: p}\nclients: {create_accounts: true}\n",
         "clients.create_accounts needs notifications.email"),
        ("panel: {database: p}\napproval: {zus: {at: ['\u0669:\u0660\u0660']}}\n", "approval.zus"),
        ("panel: {database: p}\nupdate: {data_types: [zus]}\napproval: {taxes: on_update}\n",
         "approval.taxes: taxes is not in update.data_types"),
        ("panel: [1, 2\n", "not valid YAML"),
        ("- a\n- b\n", "the top level must be a mapping"),
    ],
)  # fmt: skip
def test_bad_settings_name_the_file_and_the_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as error:
        load_settings(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_missing_settings_file_is_named(tmp_path):
    with pytest.raises(SettingsError, match="settings file not found"):
        load_settings(tmp_path / "nie-ma.yaml")


def test_company_keys_are_normalised_nips_and_the_zus_account_must_be_that_companys():
    settings = parse_settings(
        {
            "panel": {"database": "p"},
            "companies": {"PL 676-272-54-37": {"zus_account": "46 6000 0002 0260 0167 6272 5437"}},
        },
        base_dir=Path("."),
    )
    assert settings.override("6762725437").zus_account == "46600000020260016762725437"
    with pytest.raises(SettingsError, match="6310023582|another|NIP"):
        parse_settings(
            {
                "panel": {"database": "p"},
                "companies": {"6310023582": {"zus_account": "46600000020260016762725437"}},
            },
            base_dir=Path("."),
        )
