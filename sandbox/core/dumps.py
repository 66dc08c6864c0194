"""Dumping records to the wire, memoised by record identity.

Records are never edited in place (see store.py), so the wire body of a record object never changes: it
depends only on the record, the schema and the URL the client used (links embed its host and mount). A GET that reads
an unchanged record therefore reuses the body dumped for the previous reader instead of running
marshmallow again, which is most of a read's cost. A view a backend composes from several records (a
Slyk order with its user) should come from ``composed`` so that the same records give the same view
object, and so the same cached body. Dumped bodies and composed views are shared: never edit one in place.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable

from flask import request
from marshmallow import Schema, fields, missing
from marshmallow.decorators import POST_DUMP, PRE_DUMP

from sandbox.core.api import PUBLIC_MOUNT
from sandbox.core.openapi import Derived
from sandbox.core.validation import nested_schemas, plain_booleans

CACHE_SIZE = 16384


class IdentityMemo:
    """Values built from objects, remembered while those very objects are the ones asked about (least
    recently used dropped first). An entry holds its objects, so no other object can take their id() while it is
    kept: a key of the same ids is the same objects, and a hit needs no identity check."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, objects: tuple, tag: tuple, build: Callable[[], Any]):
        """The value kept for ``objects`` under ``tag``, or ``build()``'s, kept from now on."""
        return self.get_each([objects], tag, lambda *_: build())[0]

    def get_each(self, parts: list[tuple], tag: tuple, build: Callable[..., Any]) -> list:
        """``get`` for each tuple of objects in ``parts`` (``build(*objects)`` makes a missing value), the lookups
        under one lock: a list page is 15 to 100 records."""
        found: list = [None] * len(parts)
        missing = []
        with self._lock:
            entries = self._entries
            for index, objects in enumerate(parts):
                key = (*tag, *map(id, objects))
                hit = entries.get(key)
                if hit is not None:
                    entries.move_to_end(key)
                    found[index] = hit[1]
                else:
                    missing.append(index)
        if missing:
            built = [(index, build(*parts[index])) for index in missing]
            with self._lock:
                for index, value in built:
                    found[index] = value
                    self._entries[(*tag, *map(id, parts[index]))] = (parts[index], value)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return found


_memo = IdentityMemo()


def dump(schema: Schema, obj, *, many: bool = False):
    """``schema.dump(obj, many=many)``, reusing the body of a record already dumped for this host."""
    if "_serialize" not in schema.__dict__:
        compile_serializer(schema)
    # The host as the environ says it, not req.host (werkzeug parses and checks it on first use, ~1.5% of a create):
    # the same raw values make the same host, so they tell bodies apart as well.
    environ = request.environ
    tag = ("dump", id(schema), environ["wsgi.url_scheme"], environ.get("HTTP_HOST"), environ.get("SERVER_NAME"),
           environ.get("SERVER_PORT"), environ.get(PUBLIC_MOUNT))
    if many:
        return _memo.get_each([(item,) for item in obj], tag, schema.dump)
    return _memo.get((obj,), tag, lambda: schema.dump(obj))


def composed(name: str, parts: tuple, build: Callable[[], Any]):
    """The view ``build()`` makes from the records ``parts``; the same objects give the same view object."""
    return _memo.get(parts, ("view", name), build)


def composed_each(name: str, parts: list[tuple], build: Callable[..., Any]) -> list:
    """``composed`` for each tuple of records in ``parts`` (a page of them): ``build(*records)`` makes a view."""
    return _memo.get_each(parts, ("view", name), build)


# -- marshmallow's Schema._serialize, with the per-field call chain folded ---------------------------------------
# How a field's value is made (``serializer``'s plan): read and kept or converted, computed from the record, a
# nested record or a list of them, or marshmallow's own steps.
_PLAIN, _FUNCTION, _NESTED, _NESTED_LIST, _MARSHMALLOW = range(5)


def serializer(schema: Schema) -> Callable:
    """A function doing exactly what ``schema._serialize`` does (marshmallow 4: Schema._serialize, Field.serialize,
    Field.get_value, utils.get_value), with one step per field instead of five calls: a new record's dump (a
    create's answer, a page after a write) spends most of its time in that chain. A ``Function`` field calls its
    function (Function._serialize); a ``Nested`` one, or a ``List`` of them, whose schema has no dump hooks and is
    not ``many``, dumps with that schema's ``_serialize`` (Nested._serialize, List._serialize, Schema.dump). A field
    that customises any of those steps, or a dotted attribute, goes through marshmallow's own ``field.serialize``."""
    plan = []
    for attr, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else attr
        source = attr if field.attribute is None else field.attribute
        reads = (type(field).serialize is fields.Field.serialize and type(field).get_value is fields.Field.get_value
                 and "." not in source and type(schema).get_attribute is Schema.get_attribute)
        how, extra = _MARSHMALLOW, None
        if reads and not field._CHECK_ATTRIBUTE and type(field)._serialize is fields.Function._serialize:
            how, extra = _FUNCTION, field.serialize_func
        elif reads and field._CHECK_ATTRIBUTE:
            how, extra = _PLAIN, _dumps_as_is(field)
            inner = field.inner if type(field) is fields.List and type(field)._serialize is fields.List._serialize \
                else field
            nested = _plain_nested(inner)
            if nested is not None:
                how, extra = (_NESTED_LIST if inner is not field else _NESTED), nested
        plan.append((attr, key, field, source, how, extra))
    plan = tuple(plan)
    dict_class, accessor = schema.dict_class, schema.get_attribute

    def serialize(obj, *, many: bool = False):
        if many and obj is not None:
            return [serialize(item) for item in obj]
        ret = dict_class()
        for attr, key, field, source, how, extra in plan:
            if how is _FUNCTION:
                value = extra(obj)
                if value is missing:
                    continue
                ret[key] = value
            elif how is _MARSHMALLOW:
                value = field.serialize(attr, obj, accessor=accessor)
                if value is missing:
                    continue
                ret[key] = value
            else:
                if type(obj) is dict:
                    value = obj[source] if source in obj else getattr(obj, source, missing)
                else:
                    value = accessor(obj, source, missing)
                if value is missing:
                    default = field.dump_default
                    value = default() if callable(default) else default
                    if value is missing:
                        continue
                if how is _PLAIN:
                    ret[key] = value if extra is not None and (extra is _ANY or type(value) is extra) \
                        else field._serialize(value, attr, obj)
                elif value is None:
                    ret[key] = None
                elif how is _NESTED:
                    ret[key] = extra._serialize(value)
                else:
                    dump_one = extra._serialize
                    ret[key] = [None if each is None else dump_one(each) for each in value]
        return ret
    return serialize


def _plain_nested(field: fields.Field) -> Schema | None:
    """The schema a ``Nested`` field dumps with when its dump is that schema's ``_serialize`` alone: a schema
    instance (not ``many``, no pre- or post-dump hooks) behind a field whose steps are marshmallow's own."""
    if type(field) is not fields.Nested or type(field)._serialize is not fields.Nested._serialize or field.many:
        return None
    schema = field.schema
    if not isinstance(schema, Schema) or schema.many or type(schema).dump is not Schema.dump \
            or any(schema._hooks[hook] for hook in (PRE_DUMP, POST_DUMP)):
        return None
    return schema


_ANY = object()


def _dumps_as_is(field: fields.Field):
    """The type of value that ``field._serialize`` returns unchanged (``_ANY``: every value), or None: a str for a
    String (ensure_text_type), an int for an Integer (int()), a bool for a Boolean, anything for a Raw. Calling it
    is then skipped: ~30 fields an order."""
    kind = type(field)
    if kind is fields.Raw:
        return _ANY
    if kind is fields.String:
        return str
    if kind is fields.Integer and not field.as_string:
        return int
    if kind is fields.Boolean and plain_booleans(field):
        return bool
    return None


COMPILED: list[Schema] = []     # what compile_serializer changed (tests compare them with marshmallow's own)


def compile_serializer(schema: Schema) -> None:
    """Give ``schema`` (and the schemas nested in it) the folded ``_serialize``; Schema.dump calls it."""
    if "_serialize" in schema.__dict__:
        return
    schema._serialize = serializer(schema)
    COMPILED.append(schema)
    for nested in nested_schemas(schema.dump_fields):
        compile_serializer(nested)
    for field in schema.dump_fields.values():
        # A Derived field dumps a computed value with a schema of its own (shop's ``shipping``): that one too
        if isinstance(field, Derived) and isinstance(field.documented_schema, Schema):
            compile_serializer(field.documented_schema)
