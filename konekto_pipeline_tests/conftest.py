"""Shared fixtures: the public sample files (MF and ZUS schemas, sample JPK and KEDU files)."""

import os
from pathlib import Path

import pytest

REPO_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
MACHINE_SAMPLES = Path("/work/shared/samples")


def _samples_dir() -> Path:
    """KONEKTO_SAMPLES_DIR, else ../shared/samples beside the checkout, else the machine's."""
    if os.environ.get("KONEKTO_SAMPLES_DIR"):
        return Path(os.environ["KONEKTO_SAMPLES_DIR"])
    return REPO_SAMPLES if REPO_SAMPLES.is_dir() else MACHINE_SAMPLES


SAMPLES_DIR = _samples_dir()


@pytest.fixture
def samples_dir() -> Path:
    """The samples folder, read in place; tests needing it skip when it is not there."""
    if not SAMPLES_DIR.is_dir():
        pytest.skip(
            f"public samples folder {SAMPLES_DIR} is absent "
            "(set KONEKTO_SAMPLES_DIR to a copy of it to run these tests)"
        )
    return SAMPLES_DIR
