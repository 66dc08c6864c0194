"""Slyk's docs print an example for each of their twelve endpoints; tests/test_examples.py replays them."""

from __future__ import annotations

from sandbox.core.examples import load_examples

NAMES = [e["name"].split("/", 1)[1] for e in load_examples("slyk")]


def test_every_documented_endpoint_has_an_example():
    assert len(NAMES) == 12
