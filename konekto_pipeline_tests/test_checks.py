"""`konekto check` and `konekto probe` on a real office: works, or a reason to act on.

The connection check is what an office runs after editing its settings, so each failure must
say what to fix; the probe must list what a program holds without changing anything.
"""

import json
import shutil

import yaml

from konekto_pipeline.checks import check_all
from konekto_pipeline.cli import main
from konekto_pipeline.demo import create_demo_office
from konekto_pipeline.settings import load_settings


def test_check_says_every_program_and_the_panel_work(tmp_path, capsys):
    office = create_demo_office(tmp_path, companies=3, last_period="2026-06", month_count=1)
    assert main(["check", "--settings", str(office.settings_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    programs = ["optima", "platnik", "rachmistrz", "reset2_firma", "reset2_ksiega", "buchalter",
                "kpr", "mala_ksiegowosc", "symfonia", "jpk", "kedu"]  # fmt: skip
    assert [line.split(":")[0] for line in lines] == [f"OK   {p}" for p in [*programs, "panel"]]
    assert "1 problem(s)" in lines[programs.index("jpk")]  # the demo's broken file


def test_check_names_a_missing_folder_and_a_panel_that_does_not_answer(tmp_path):
    office = create_demo_office(tmp_path, companies=2, last_period="2026-06", month_count=1)
    shutil.rmtree(office.folder / "kedu")
    settings = yaml.safe_load(office.settings_path.read_text(encoding="utf-8"))
    settings["panel"] = {"url": "http://127.0.0.1:9"}
    office.settings_path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    results = {r.name: r for r in check_all(load_settings(office.settings_path))}
    assert results["jpk"].ok is True
    assert results["kedu"].ok is False and "programs.kedu.folder" in results["kedu"].message
    assert results["panel"].ok is False and "not reachable" in results["panel"].message


def test_probe_lists_companies_periods_and_problems_without_writing(tmp_path, capsys):
    office = create_demo_office(tmp_path, companies=3, last_period="2026-06", month_count=1)
    before = sorted(p.stat().st_mtime_ns for p in office.folder.rglob("*") if p.is_file())
    assert main(["probe", "jpk", "--settings", str(office.settings_path)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert len(found["companies"]) == 3
    assert found["periods"]["taxes"] == ["2026-06"]
    assert any("przerwany" in problem for problem in found["problems"])
    after = sorted(p.stat().st_mtime_ns for p in office.folder.rglob("*") if p.is_file())
    assert before == after


def test_check_reaches_a_panel_file_whose_api_wants_a_token(tmp_path):
    from konekto_pipeline.panel.auth import PanelAuth
    from konekto_pipeline.panel.storage import PanelStorage

    settings = tmp_path / "konekto.yaml"
    settings.write_text("panel: {database: panel.sqlite}\n", encoding="utf-8")
    storage = PanelStorage(f"sqlite:///{tmp_path / 'panel.sqlite'}")
    PanelAuth(storage).create_api_token("pipeline")  # made on the panel's Tokeny API page
    storage.dispose()

    results = {r.name: r for r in check_all(load_settings(settings))}
    assert results["panel"].ok is True, results["panel"].message
