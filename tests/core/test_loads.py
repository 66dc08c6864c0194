"""The folded ``Schema._deserialize`` (core/validation.py) against marshmallow's own, on every documented write's
body and on bodies broken in every way a client breaks them."""

from __future__ import annotations

import json
from pathlib import Path

from marshmallow import Schema, ValidationError

from tests.core.unfolded import marshmallow_only

EXAMPLES = sorted(Path(__file__).parents[2].glob("fixtures/*/examples/*.json"))
BROKEN_VALUES = (None, 0, -1, 1.5, True, "", "x" * 300, [], [{}], {}, {"unknown": 1})


def broken_bodies(body):
    """``body`` with each key dropped, replaced by each broken value, and one unknown key added; the same one
    level down in objects and in the first element of lists of objects."""
    if not isinstance(body, dict):
        return
    yield {**body, "not_a_field": 1}
    for key, value in body.items():
        yield {k: v for k, v in body.items() if k != key}
        for broken in BROKEN_VALUES:
            yield {**body, key: broken}
        if isinstance(value, dict):
            for inner in broken_bodies(value):
                yield {**body, key: inner}
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for inner in broken_bodies(value[0]):
                yield {**body, key: [inner, *value[1:]]}


def outcome(schema: Schema, data):
    try:
        return "loaded", json.dumps(schema.load(data), default=str)
    except ValidationError as error:
        return "refused", json.dumps([error.messages, error.valid_data], default=str)


def test_the_folded_deserializer_loads_and_refuses_exactly_as_marshmallow_does(monkeypatch):
    from sandbox import create_app
    from sandbox.config import TEST_CONFIG
    from sandbox.core import validation

    checked, differing, comparing = [], [], [False]
    original_load = Schema.load

    def comparing_load(self, data, *args, **kwargs):
        if comparing[0] or "_deserialize" not in self.__dict__ or args or kwargs:
            return original_load(self, data, *args, **kwargs)
        comparing[0] = True
        try:
            folded = outcome(self, data)
            with marshmallow_only(validation.COMPILED, "_deserialize"):
                own = outcome(self, data)
        finally:
            comparing[0] = False
        checked.append((type(self).__name__, folded[0]))
        if folded != own:
            differing.append((type(self).__name__, data, folded, own))
        return original_load(self, data)

    monkeypatch.setattr(Schema, "load", comparing_load)
    app = create_app(TEST_CONFIG)
    client = app.test_client()
    for path in EXAMPLES:
        request = json.loads(path.read_text())["request"]
        if request["method"] == "GET" or not isinstance(request.get("body"), dict):
            continue
        spec = app.extensions["sandbox"].apis[path.parent.parent.name]
        url = spec.mount + spec.base_path + request["path"]
        for body in (request["body"], *broken_bodies(request["body"])):
            client.post("/__sandbox/reset")
            client.open(url, method=request["method"], headers=request.get("headers", {}), data=json.dumps(body),
                        content_type="application/json")
    kinds = {name for name, _ in checked}
    assert len(kinds) >= 7 and {"loaded", "refused"} <= {result for _, result in checked}, sorted(kinds)
    assert len(checked) > 500, len(checked)
    assert not differing, differing[0]
