"""Fixtures every offline Terraform test module shares (imported by each: a conftest.py here
would take the module name `conftest` from tests/conftest.py, whose helpers tests import)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cafe_tf import TF_DIR


@pytest.fixture(autouse=True)
def offline_terraform(monkeypatch):
    # No version check-point call, no CLI config lookups that could reach the network.
    monkeypatch.setenv("CHECKPOINT_DISABLE", "1")
    monkeypatch.setenv("TF_IN_AUTOMATION", "1")


@pytest.fixture(scope="module")
def variables_only(tmp_path_factory) -> Path:
    """variables.tf alone: a module without resources plans without any provider."""
    directory = tmp_path_factory.mktemp("variables")
    shutil.copy(TF_DIR / "variables.tf", directory / "variables.tf")
    return directory
