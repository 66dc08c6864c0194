"""Memoised dumps and composed views: keyed by record identity, so a changed record is never stale."""

from __future__ import annotations

from flask import Flask
from marshmallow import Schema, fields

from sandbox.core.dumps import composed, dump


class CountingOut(Schema):
    calls = 0
    id = fields.Integer()
    name = fields.Function(lambda record: CountingOut.count(record["name"]))

    @staticmethod
    def count(value):
        CountingOut.calls += 1
        return value


def test_the_same_record_is_dumped_once_per_host_and_a_replaced_one_again():
    app, schema = Flask(__name__), CountingOut()
    record = {"id": 1, "name": "a"}
    with app.test_request_context(base_url="http://one.test"):
        first = dump(schema, record)
        assert dump(schema, record) is first and CountingOut.calls == 1
        replaced = {**record, "name": "b"}          # what Table.update does: a new object
        assert dump(schema, replaced) == {"id": 1, "name": "b"} and CountingOut.calls == 2
        assert dump(schema, [record, replaced], many=True) == [first, {"id": 1, "name": "b"}]
        assert CountingOut.calls == 2
    with app.test_request_context(base_url="http://two.test"):
        dump(schema, record)
        assert CountingOut.calls == 3, "links embed the host, so another host dumps again"


def test_composed_views_are_the_same_object_for_the_same_parts():
    order, user = {"id": 1}, {"id": 9}
    first = composed("order+user", (order, user), lambda: {**order, "user": user})
    assert composed("order+user", (order, user), lambda: {"rebuilt": True}) is first
    other_user = {"id": 9}
    assert composed("order+user", (order, other_user), lambda: {**order, "user": other_user}) is not first


def test_every_documented_read_is_dumped_once_and_then_reused(monkeypatch):
    """A read of unchanged records must not run marshmallow again: each API's documented GET examples, read
    twice, dump nothing the second time (a view composed afresh on each read would, as slyk's order did)."""
    import json
    from pathlib import Path

    from sandbox import create_app
    from sandbox.config import TEST_CONFIG

    app = create_app(TEST_CONFIG)
    client = app.test_client()
    serialized = []
    original = Schema.dump
    monkeypatch.setattr(Schema, "dump", lambda self, obj, *, many=None: (
        serialized.append(type(self).__name__), original(self, obj, many=many))[1])
    checked = []
    for path in sorted(Path(__file__).parents[2].glob("fixtures/*/examples/*.json")):
        request = json.loads(path.read_text())["request"]
        example = json.loads(path.read_text())
        if request["method"] != "GET" or example.get("given"):
            continue
        spec = app.extensions["sandbox"].apis[path.parent.parent.name]
        url = spec.mount + spec.base_path + request["path"]
        assert client.get(url, headers=request.get("headers", {})).status_code == 200, path
        serialized.clear()
        assert client.get(url, headers=request.get("headers", {})).status_code == 200
        assert serialized == [], f"{path.parent.parent.name}/{path.name}: dumped again: {serialized}"
        checked.append(path.name)
    assert len(checked) >= 10


def test_the_folded_serializer_gives_exactly_what_marshmallow_gives(monkeypatch):
    """Every record any documented example (reads and writes) dumps, and every page of some long lists, dumped by
    the folded serializer and by marshmallow's own Schema._serialize: the same JSON, key order included."""
    import json
    from pathlib import Path

    from sandbox import create_app
    from sandbox.config import TEST_CONFIG
    from sandbox.core import dumps as dumps_module
    from tests.core.unfolded import marshmallow_only

    checked, differing, comparing = [], [], [False]
    original_dump = Schema.dump

    def comparing_dump(self, obj, *, many=None):
        result = original_dump(self, obj, many=many)
        if not comparing[0] and "_serialize" in self.__dict__:
            comparing[0] = True
            try:
                with marshmallow_only(dumps_module.COMPILED, "_serialize"):
                    own = original_dump(self, obj, many=many)
            finally:
                comparing[0] = False
            checked.append(type(self).__name__)
            if json.dumps(result, default=str) != json.dumps(own, default=str):
                differing.append((type(self).__name__, result, own))
        return result

    monkeypatch.setattr(Schema, "dump", comparing_dump)
    monkeypatch.setattr(dumps_module, "_memo", dumps_module.IdentityMemo())   # earlier tests' dumps would hit
    app = create_app(TEST_CONFIG)
    client = app.test_client()
    for path in sorted(Path(__file__).parents[2].glob("fixtures/*/examples/*.json")):
        request = json.loads(path.read_text())["request"]
        spec = app.extensions["sandbox"].apis[path.parent.parent.name]
        client.open(spec.mount + spec.base_path + request["path"], method=request["method"],
                    headers=request.get("headers", {}),
                    data=None if request.get("body") is None else json.dumps(request["body"]))
    for path in ("/slyk/orders?page[size]=100", "/formations/orders", "/appx/api/v1/customers/1/orders",
                 "/shop/api/v1/shop/orders", "/mittwald/v2/customers/154219e9-bf4a-4f41-9c72-0449a98db62f/orders"):
        client.get(path, headers={"apikey": "k", "Authorization": "Bearer t", "x-access-token": "t",
                                  "X-API-Key": "k"})
    # A schema nested in another (shop's items, Slyk's lines) is dumped inside its parent's fold: compared with it.
    assert len(checked) > 50 and len(set(checked)) >= 7, sorted(set(checked))
    assert not differing, differing[0]


def test_each_way_the_folded_serializer_makes_a_value_is_marshmallows():
    """Function fields, Nested and List(Nested) fields (None, missing and empty included), a nested schema with a
    post-dump hook (left to marshmallow), a dump default: the folded ``_serialize`` and marshmallow's agree."""
    from marshmallow import post_dump

    from sandbox.core import dumps as dumps_module
    from tests.core.unfolded import marshmallow_only

    class LineOut(Schema):
        sku = fields.String()
        quantity = fields.Integer()

    class HookedOut(Schema):
        sku = fields.String()

        @post_dump
        def shout(self, data, **kwargs):
            return {**data, "sku": data["sku"].upper()}

    class OrderOut(Schema):
        id = fields.Integer()
        total = fields.Function(lambda order: f"{order['cents'] / 100:.2f}")
        first = fields.Nested(LineOut)
        lines = fields.List(fields.Nested(LineOut))
        hooked = fields.List(fields.Nested(HookedOut))
        more = fields.Nested(LineOut, many=True)
        status = fields.String(dump_default="pending")
        note = fields.String(allow_none=True)

    schema = OrderOut()
    dumps_module.compile_serializer(schema)
    line = {"sku": "a-1", "quantity": 2}
    orders = [
        {"id": 1, "cents": 5600, "first": line, "lines": [line, None, {"sku": "b"}], "hooked": [line], "note": None,
         "more": [line]},
        {"id": 2, "cents": 0, "first": None, "lines": [], "hooked": []},
        {"id": 3, "cents": 1, "lines": None, "hooked": None, "status": "paid"},
    ]
    folded = [schema.dump(order) for order in orders]
    with marshmallow_only(dumps_module.COMPILED, "_serialize"):
        own = [schema.dump(order) for order in orders]
    assert [list(order) for order in folded] == [list(order) for order in own]
    assert folded == own
    assert folded[0]["hooked"] == [{"sku": "A-1"}] and folded[0]["lines"][1] is None
