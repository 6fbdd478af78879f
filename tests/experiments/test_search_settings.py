"""``[search]`` settings: the shipped example is the defaults, tiers and space read from TOML."""

from __future__ import annotations

from pathlib import Path

import pytest

from netal.errors import ConfigError
from netal.experiments.search import SearchSettings, SearchStudy, load_search

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "search.toml"


def test_the_example_writes_out_the_defaults() -> None:
    written = SearchStudy(load_search(EXAMPLE), "out").fingerprint()
    assert written == SearchStudy(SearchSettings(), "out").fingerprint()


def test_tiers_and_space_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        "[search]\ntrials = 4\n[search.tiers.phone]\nmax_params = 5000\n"
        "[search.tiers.cloud]\n[search.space.mlp]\nwidths = [8]\n"
    )
    settings = load_search(path)
    assert list(settings.tiers) == ["phone", "cloud"]
    assert settings.tiers["phone"].limits == {"params": 5000.0}
    assert list(settings.space) == ["mlp"] and settings.space["mlp"].widths == (8,)
    assert settings.trials_per_tier() == {"phone": 2, "cloud": 2}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[search.tiers.device]\nmax_latency_ms = 0\n", "[search.tiers]"),
        ("[search.space.cnn]\nwidths = [8]\n", "cnn"),
        ("[search.space.mlp]\nlr = [0.1, 0.01]\n", "lr"),
        ("[search]\ntrials = 2\n", "trials"),
        ("[search]\ntransfer_tasks = ['nowhere']\n", "nowhere"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=named.replace("[", r"\[")) as caught:
        load_search(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)
