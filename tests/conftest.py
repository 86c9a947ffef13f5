"""Shared fixtures. Tests never touch the network or ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The committed Exempelkommun sample data."""
    return SAMPLE
