"""The folded ``Schema._deserialize`` and the fast loader (core/validation.py) against marshmallow's own, on every
documented write's body and on bodies broken in every way a client breaks them."""

from __future__ import annotations

import json
from pathlib import Path

from marshmallow import Schema, ValidationError

from tests.core.unfolded import marshmallow_only

EXAMPLES = sorted(Path(__file__).parents[2].glob("fixtures/*/examples/*.json"))
BROKEN_VALUES = (None, 0, -1, 1.5, 2.0, "2", True, False, "", "x" * 300, [], [{}], {}, {"unknown": 1})


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


def every_write(app, bodies):
    """Send every documented write with each body ``bodies(documented_body)`` gives, from the seeded state."""
    client = app.test_client()
    for path in EXAMPLES:
        request = json.loads(path.read_text())["request"]
        if request["method"] == "GET" or not isinstance(request.get("body"), dict):
            continue
        spec = app.extensions["sandbox"].apis[path.parent.parent.name]
        url = spec.mount + spec.base_path + request["path"]
        for body in bodies(request["body"]):
            client.post("/__sandbox/reset")
            client.open(url, method=request["method"], headers=request.get("headers", {}), data=json.dumps(body),
                        content_type="application/json")


def with_broken(body):
    return (body, *broken_bodies(body))


def test_the_fast_loader_loads_only_what_marshmallow_loads_and_loads_it_alike(monkeypatch):
    from sandbox import create_app
    from sandbox.config import TEST_CONFIG
    from sandbox.core import validation

    seen, built, loaders = [], [], {}

    def recording_loaders(schema):
        # Under a fresh attribute name (below) every schema's loaders are built again, here, in this test.
        validation.compile_deserializer(schema)
        fast = validation.fast_loader(schema)
        built.append((type(schema).__name__, fast is not None))
        loaders[id(schema)] = fast

        def recording(data):
            seen.append((schema, json.loads(json.dumps(data))))
            return fast(data)
        setattr(schema, validation.FAST_LOAD, recording if fast is not None else None)
        return getattr(schema, validation.FAST_LOAD)

    monkeypatch.setattr(validation, "FAST_LOAD", "_sandbox_fast_load_under_test")
    monkeypatch.setattr(validation, "compile_loaders", recording_loaders)
    every_write(create_app(TEST_CONFIG), with_broken)

    fast_loaded, unsure, differing = 0, 0, []
    for schema, data in seen:
        try:
            mine = json.dumps(loaders[id(schema)](data), default=str)
        except validation._Unsure:
            unsure += 1
            continue
        fast_loaded += 1
        with marshmallow_only(validation.COMPILED, "_deserialize"):
            own = outcome(schema, data)
        if own != ("loaded", mine):
            differing.append((type(schema).__name__, data, mine, own))
    assert not differing, differing[0]
    # Every schema that loads a documented write's body has a fast loader, and both of its ways are walked here.
    assert len(built) >= 7 and all(has for _, has in built), built
    assert fast_loaded > 100 and unsure > 300, (fast_loaded, unsure)


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
    # Every body goes through marshmallow's load here: no fast loader (under a fresh attribute name, so that none
    # built by an earlier test is found).
    monkeypatch.setattr(validation, "FAST_LOAD", "_sandbox_fast_load_set_aside")
    monkeypatch.setattr(validation, "compile_loaders", lambda schema: validation.compile_deserializer(schema))
    every_write(create_app(TEST_CONFIG), with_broken)
    kinds = {name for name, _ in checked}
    assert len(kinds) >= 7 and {"loaded", "refused"} <= {result for _, result in checked}, sorted(kinds)
    assert len(checked) > 500, len(checked)
    assert not differing, differing[0]
