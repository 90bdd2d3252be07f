"""Shared fixtures: the public sample files (MF and ZUS schemas, sample JPK and KEDU files)."""

import os
from pathlib import Path

import pytest

SAMPLES_DIR = Path(os.environ.get("KONEKTO_SAMPLES_DIR", "/work/shared/samples"))


@pytest.fixture
def samples_dir() -> Path:
    """The samples folder, read in place; tests needing it skip when it is not there."""
    if not SAMPLES_DIR.is_dir():
        pytest.skip(
            f"public samples folder {SAMPLES_DIR} is absent "
            "(set KONEKTO_SAMPLES_DIR to a copy of it to run these tests)"
        )
    return SAMPLES_DIR
