"""The docs' examples of slyk, each replayed against a fresh app (after its ``given`` steps, if any)."""

from __future__ import annotations

import pytest

from sandbox.core.examples import load_examples
from tests.conftest import Examples, assert_same_json

NAMES = [e["name"].split("/", 1)[1] for e in load_examples("slyk")]


@pytest.mark.parametrize("name", NAMES)
def test_docs_examples_are_reproduced_exactly(client, name):
    examples = Examples(client, "slyk")
    example = next(e for e in examples.all() if e["name"] == f"slyk/{name}")
    response, expected = examples.replay(example)
    assert response.status_code == example["response"]["status"], response.get_data(as_text=True)
    if expected is None:
        assert response.get_data() == b""
    else:
        assert_same_json(expected, response.get_json())


def test_every_documented_endpoint_has_an_example():
    assert len(NAMES) == 12
