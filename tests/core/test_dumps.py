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
