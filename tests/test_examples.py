"""Every documented example of every API in the registry, replayed against a fresh app: exact status,
values, types and key order (or an empty body where the docs show none). A sixth API's examples are
covered as soon as its fixtures/<api>/examples/ exist."""

from __future__ import annotations

import pytest

from sandbox.core.examples import load_examples
from tests.conftest import APIS, Examples, assert_same_json

EXAMPLES = [(api, example["name"]) for api in APIS for example in load_examples(api)]


def test_every_api_documents_examples():
    assert {api for api, _ in EXAMPLES} == set(APIS)


@pytest.mark.parametrize("api,name", EXAMPLES, ids=[name for _, name in EXAMPLES])
def test_docs_examples_are_reproduced_exactly(client, api, name):
    examples = Examples(client, api)
    example = next(e for e in examples.all() if e["name"] == name)
    response, expected = examples.replay(example)
    assert response.status_code == example["response"]["status"], response.get_data(as_text=True)
    if expected is None:
        assert response.get_data() == b""
    else:
        assert_same_json(expected, response.get_json())
