from __future__ import annotations

from pathlib import Path

import pytest

from lagesbild_geo.errors import InputError, LagesbildError, ValidationError
from lagesbild_geo.settings import Settings, load_settings


def test_defaults() -> None:
    s = Settings()
    assert (s.resolution, s.metric_crs, s.min_count, s.min_respondents) == (9, "EPSG:3006", 3, 5)


def test_load_from_toml(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text("[settings]\nresolution = 8\nmin_count = 5\nbounds_wgs84 = [16, 59, 18, 60]\n")
    s = load_settings(p)
    assert (s.resolution, s.min_count, s.bounds_wgs84) == (8, 5, (16, 59, 18, 60))


def test_unknown_key_is_named(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text("resolutoin = 8\n")
    with pytest.raises(InputError, match="resolutoin"):
        load_settings(p)


def test_invalid_values_listed_together() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(resolution=20, alpha=2)
    assert {f for f, _, _ in info.value.problems} == {"resolution", "alpha"}
    assert isinstance(info.value, ValueError) and isinstance(info.value, LagesbildError)
    assert "måste" in info.value.message_sv
