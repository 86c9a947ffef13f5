"""Doctests run from the repository's root: their examples read ``sample_data/`` as a user
of a clone would (``build_lagesbild(example_config("sample_data"))``)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _doctests_in_the_repository(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if type(request.node).__name__ == "DoctestItem":
        monkeypatch.chdir(ROOT)
