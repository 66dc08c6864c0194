"""Reading request input: JSON bodies and marshmallow ``*In`` schemas, failing as the sandbox's errors."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, Callable

from marshmallow import EXCLUDE, INCLUDE, RAISE, Schema, ValidationError, fields, missing
from marshmallow.utils import set_value

from sandbox.core.errors import BadRequest, Invalid


# An auto-increment column holds at most a 64-bit integer (19 digits): a longer id names no record, and
# is never handed to int(), which refuses strings over 4300 digits.
MAX_ID_DIGITS = 19


def int_id(raw: str) -> int | None:
    """A path id that only an auto-increment column could hold: ASCII digits, else None (a 404 later)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw.lstrip("0")) <= MAX_ID_DIGITS else None


# PHP's json_decode refuses input nested deeper than this by default; no API's body comes close, and code
# that walks a body recursively (Laravel's TrimStrings, marshmallow) must never meet Python's recursion limit.
MAX_JSON_DEPTH = 512


class _NotJson(ValueError):
    pass


def _no_constant(name: str):
    """``NaN``, ``Infinity`` and ``-Infinity`` are not JSON (RFC 8259); Python's json module accepts them."""
    raise _NotJson(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    """A JSON number too large for a double (``1e999``) would be read as infinity: refused instead."""
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"the number {text[:40]} is out of range")
    return value


# A lone surrogate can only arrive as a \ud800-\udfff escape, or as the bytes ED A0..BF that Python's
# json module decodes with surrogatepass; a body without either is never walked for one.
_SURROGATE_HINT = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)


def parse_json_body(raw: bytes, *, required: bool = False) -> Any:
    """The body as JSON; an empty body is ``{}`` (clients such as Slyk's SDK send none on some POSTs).

    Refused (BadRequest) like malformed JSON: ``NaN``/``Infinity``, numbers beyond a double (``1e999``),
    integers over 4300 digits (Python's conversion limit), and strings holding a lone UTF-16 surrogate
    (``"\ud800"``: no UTF-8 encodes it, so no answer could hold it)."""
    if not raw or not raw.strip():
        if required:
            raise BadRequest("The request body is empty; a JSON object is required.")
        return {}
    try:
        # What json.loads does with bytes, with one decoder built once instead of one per call.
        value = _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None
    # Nesting deeper than MAX_JSON_DEPTH takes more opening brackets than a shorter body has bytes.
    if len(raw) > MAX_JSON_DEPTH and json_depth(value) > MAX_JSON_DEPTH:
        raise BadRequest(f"The request body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels.")
    if _SURROGATE_HINT.search(raw) and _holds_lone_surrogate(value):
        raise BadRequest("The request body is not valid JSON: a string holds a lone UTF-16 surrogate.")
    return value


def _holds_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node if isinstance(child, (dict, list)))
    return deepest


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict -> {"shipping_address.city": ["..."], "items.0.quantity": [...]}."""
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": messages}
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key) if not prefix else f"{prefix}.{key}"
            if key == "_schema" and prefix:
                name = prefix
            flat.update(flatten_messages(value, name))
    elif isinstance(messages, list):
        for value in messages:
            flat.update(flatten_messages(value, prefix))
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def load(schema: Schema, data: Any) -> dict:
    """Validate ``data`` with ``schema``; a failure raises Invalid with field -> [messages]."""
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    fast = schema.__dict__.get(FAST_LOAD, _UNBUILT)
    if fast is _UNBUILT:
        fast = compile_loaders(schema)
    if fast is not None:
        try:
            return fast(data)
        except _Unsure:
            pass            # marshmallow's own load decides, and words the errors
    try:
        return schema.load(data)
    except ValidationError as exc:
        details = flatten_messages(exc.messages)
        first = next(iter(details.values()))[0]
        raise Invalid(first, details=details) from None


# -- marshmallow's Schema._deserialize, with the per-field call chain folded ---------------------------------------
def deserializer(schema: Schema) -> Callable:
    """A function doing exactly what ``schema._deserialize`` does (marshmallow 4: Schema._deserialize,
    Schema._call_and_store and their per-field closure) for one object without ``partial``, with the field list,
    names and messages worked out once instead of for every field of every body (a create's body loads 25-45%
    faster). Hooks, field validation and the errors (same messages, same order) are marshmallow's own; ``many``
    and ``partial`` go through marshmallow's method."""
    plan = tuple((field.data_key if field.data_key is not None else attr, field, field.attribute or attr)
                 for attr, field in schema.load_fields.items())
    plan = tuple((name, field, key, "." in key) for name, field, key in plan)
    names = {name for name, _, _, _ in plan}
    general = type(schema)._deserialize.__get__(schema)
    dict_class, index_errors = schema.dict_class, schema.opts.index_errors
    type_error, unknown_error = schema.error_messages["type"], schema.error_messages["unknown"]

    def _deserialize(data, *, error_store, many=False, partial=None, unknown=RAISE, index=None):
        if many or partial is not None:
            return general(data, error_store=error_store, many=many, partial=partial, unknown=unknown, index=index)
        index = index if index_errors else None
        ret = dict_class()
        if not isinstance(data, Mapping):
            error_store.store_error([type_error], index=index)
            return ret
        get = data.get
        for name, field, key, dotted in plan:
            try:
                value = field.deserialize(get(name, missing), name, data)
            except ValidationError as error:
                error_store.store_error(error.messages, name, index=index)
                value = error.valid_data or missing
            if value is not missing:
                if dotted:
                    set_value(ret, key, value)
                else:
                    ret[key] = value
        if unknown != EXCLUDE:
            for key in set(data) - names:
                if unknown == INCLUDE:
                    ret[key] = data[key]
                elif unknown == RAISE:
                    error_store.store_error([unknown_error], key, index)
        return ret
    return _deserialize


COMPILED: list[Schema] = []     # what compile_deserializer changed (tests compare them with marshmallow's own)


def nested_schemas(schema_fields: Mapping[str, fields.Field]) -> list[Schema]:
    """The schemas of the Nested fields, and of lists of them, among a schema's load or dump fields."""
    found = []
    for field in schema_fields.values():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested) and isinstance(inner.schema, Schema):
            found.append(inner.schema)
    return found


def compile_deserializer(schema: Schema) -> None:
    """Give ``schema`` (and the schemas nested in it) the folded ``_deserialize``; Schema.load calls it. A schema
    whose class has its own ``_deserialize`` keeps it."""
    if "_deserialize" in schema.__dict__ or type(schema)._deserialize is not Schema._deserialize:
        return
    schema._deserialize = deserializer(schema)
    COMPILED.append(schema)
    for nested in nested_schemas(schema.load_fields):
        compile_deserializer(nested)


# -- a body that loads cleanly, loaded without marshmallow's machinery --------------------------------------------
# A create's body spends most of its load in marshmallow's per-field steps (Field.deserialize, _validate,
# Integer's isinstance against numbers.Integral, a nested Schema.load with its ErrorStore and hook lookups). The
# fast loader below does what those steps do for input they accept, and gives up (``_Unsure``) on anything else:
# a value of an unexpected type, a missing required key, a failed validator, an unknown key under RAISE. Then
# marshmallow's load runs from the start, so every refusal, its messages and their order stay marshmallow's own.
FAST_LOAD = "_sandbox_fast_load"
_UNBUILT = object()


class _Unsure(Exception):
    """The fast loader cannot vouch for this input. Raised as a new instance each time: one shared instance
    kept every refused body's traceback, its frames and their locals, chained onto the last (a leak of ~20 KB
    per refused request, tests/robustness/test_bounds.py)."""


# Field classes whose ``_deserialize`` returns a value of these exact types unchanged (subclasses say so with
# ``loads_as_is``): for those values the field's work is only the checks around it.
_AS_IS = {fields.String: (str,), fields.Integer: (int,), fields.Raw: None}     # None: any value
_UNLISTED = object()


def compile_loaders(schema: Schema):
    """Build (once) the folded ``_deserialize`` of ``schema`` and its nested schemas, and its fast loader."""
    compile_deserializer(schema)
    fast = fast_loader(schema)
    setattr(schema, FAST_LOAD, fast)
    return fast


def fast_loader(schema: Schema) -> Callable[[dict], dict] | None:
    """``load(data)`` for a schema without hooks, ``many`` or ``partial`` (else None): the dict marshmallow's load
    returns for input it accepts, or ``_Unsure``."""
    if FAST_LOAD in schema.__dict__:
        return schema.__dict__[FAST_LOAD]
    if any(schema._hooks.values()) or schema.many or schema.partial or schema.dict_class is not dict:
        return None
    plan = []
    for attr, field in schema.load_fields.items():
        key = field.attribute or attr
        if "." in key:
            return None
        name = field.data_key if field.data_key is not None else attr
        plan.append((name, key, _field_loader(field, name)))
    names, unknown = frozenset(name for name, _, _ in plan), schema.unknown

    def load_fast(data):
        if type(data) is not dict:
            raise _Unsure
        loaded, get = {}, data.get
        for name, key, load_field in plan:
            value = load_field(get(name, missing), data)
            if value is not missing:
                loaded[key] = value
        if unknown != EXCLUDE and not names.issuperset(data):
            if unknown == RAISE:
                raise _Unsure
            for key in set(data) - names:
                set_value(loaded, key, data[key])
        return loaded
    return load_fast


def _field_loader(field: fields.Field, name: str | None) -> Callable:
    """``(raw, data) -> value`` as ``field.deserialize(raw, name, data)`` gives it, or ``_Unsure``."""
    core = _core_loader(field)
    if core is None or field.pre_load or field.post_load:
        def load_generic(raw, data):
            try:
                return field.deserialize(raw, name, data)
            except ValidationError:
                raise _Unsure from None
        return load_generic
    required, allow_none, default, checks = field.required, field.allow_none, field.load_default, tuple(field.validators)

    def load_field(raw, data):
        # Field.deserialize's steps: _validate_missing, load_default, allow_none, _deserialize, _validate.
        if raw is missing:
            if required:
                raise _Unsure
            return default() if callable(default) else default
        if raw is None:
            if allow_none:
                return None
            raise _Unsure
        value = core(raw)
        for check in checks:
            try:
                passed = check(value)
            except ValidationError:
                raise _Unsure from None
            if passed is False:
                raise _Unsure
        return value
    return load_field


def _core_loader(field: fields.Field) -> Callable | None:
    """``raw -> value`` as ``field._deserialize`` gives it for the values it is sure of, for the field kinds a body
    uses; None for any other field (its own deserialize runs)."""
    kind = type(field)
    types = kind.__dict__.get("loads_as_is", _AS_IS.get(kind, _UNLISTED))
    if kind is fields.Boolean and plain_booleans(field):
        types = (bool,)
    if types is None:
        return lambda raw: raw
    if types is not _UNLISTED:
        return lambda raw: raw if type(raw) in types else _unsure()
    if kind is fields.Dict and field.key_field is None and field.value_field is None:
        return lambda raw: dict(raw) if type(raw) is dict else _unsure()
    if kind is fields.List:
        inner = _field_loader(field.inner, None)   # List calls inner.deserialize(each)
        return lambda raw: [inner(each, None) for each in raw] if type(raw) is list else _unsure()
    if kind is fields.Nested and not field.many and isinstance(field.schema, Schema) and not field.schema.many \
            and field.unknown in (None, field.schema.unknown):
        return fast_loader(field.schema)
    return None


def _unsure():
    raise _Unsure


def plain_booleans(field: fields.Boolean) -> bool:
    """Whether ``field`` loads and dumps true and false as themselves (its truthy and falsy sets as marshmallow's
    defaults have them: True only among the truthy values, False only among the falsy)."""
    return True in field.truthy and False in field.falsy and False not in field.truthy and True not in field.falsy


class StrictInteger(fields.Integer):
    """A JSON integer: no strings ("500"), no booleans (true is not 1), no floats."""
    loads_as_is = (int,)

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictNumber(fields.Float):
    """A finite JSON number: no strings, no booleans, no NaN or Infinity."""

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """A JSON boolean: true or false, not "yes" or 1."""
    loads_as_is = (bool,)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
