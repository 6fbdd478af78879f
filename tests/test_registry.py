"""Registries are read-only mappings of names to factories with one clear error for unknown names."""

from __future__ import annotations

import doctest
from collections.abc import Mapping

import pytest

import netal.registry
from netal.errors import UnknownNameError
from netal.models import LEARNERS, MCDropoutMLP
from netal.registry import Registry
from netal.strategies import STRATEGIES


@pytest.fixture
def fruit() -> Registry:
    registry: Registry = Registry("fruit")
    registry.register("pear")(dict)
    registry.register("apple")(list)
    return registry


def test_a_registry_is_a_mapping_of_names_to_factories(fruit: Registry) -> None:
    assert isinstance(fruit, Mapping)
    assert fruit["apple"] is list and len(fruit) == 2
    assert "pear" in fruit and "plum" not in fruit and ["unhashable"] not in fruit
    assert list(fruit) == ["apple", "pear"] == list(fruit.keys()) == fruit.names()
    assert list(fruit.values()) == [list, dict]
    assert dict(fruit.items()) == {"apple": list, "pear": dict} == dict(fruit)
    assert fruit == {"apple": list, "pear": dict}
    assert repr(fruit) == "Registry('fruit', names=['apple', 'pear'])"


def test_unknown_names_raise_the_one_line_error(fruit: Registry) -> None:
    for lookup in (lambda: fruit["plum"], lambda: fruit.get("plum"), lambda: fruit.create("plum")):
        with pytest.raises(UnknownNameError) as info:
            lookup()
        assert str(info.value) == "unknown fruit 'plum'; known: apple, pear"
        assert isinstance(info.value, KeyError)
    assert fruit.get("plum", None) is None and fruit.get("apple", None) is list


def test_a_registry_is_read_only(fruit: Registry) -> None:
    with pytest.raises(TypeError, match="read-only"):
        fruit["plum"] = tuple
    with pytest.raises(TypeError, match="read-only"):
        del fruit["apple"]
    assert fruit.names() == ["apple", "pear"]
    with pytest.raises(ValueError, match="already registered"):
        fruit.register("apple")(tuple)
    assert fruit.register("apple")(list) is list  # registering the same factory again is fine


def test_the_strategy_and_learner_registries_behave_as_mappings() -> None:
    assert "lcmd" in STRATEGIES and len(STRATEGIES) == len(STRATEGIES.names()) > 5
    assert STRATEGIES["lcmd"] is STRATEGIES.get("lcmd")
    assert set(STRATEGIES.keys()) == set(STRATEGIES.names())
    assert LEARNERS["mc_dropout_mlp"] is MCDropoutMLP
    assert isinstance(LEARNERS.create("mc_dropout_mlp", n_passes=3), MCDropoutMLP)
    with pytest.raises(TypeError):
        STRATEGIES["mine"] = object  # type: ignore[index]
    with pytest.raises(UnknownNameError, match=r"^unknown strategy 'lcdm'; known: .*lcmd"):
        STRATEGIES["lcdm"]


def test_the_docstring_examples_run() -> None:
    assert doctest.testmod(netal.registry, raise_on_error=True).attempted > 0
