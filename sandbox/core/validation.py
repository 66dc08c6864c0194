"""Reading request input: JSON bodies and marshmallow ``*In`` schemas, failing as the sandbox's errors."""

from __future__ import annotations

import json
import math
from typing import Any

from marshmallow import Schema, ValidationError, fields

from sandbox.core.errors import BadRequest, Invalid


def int_id(raw: str) -> int | None:
    """A path id that only an auto-increment column could hold: ASCII digits, else None (a 404 later)."""
    return int(raw) if raw.isascii() and raw.isdigit() else None


# PHP's json_decode refuses input nested deeper than this by default; no API's body comes close, and code
# that walks a body recursively (Laravel's TrimStrings, marshmallow) must never meet Python's recursion limit.
MAX_JSON_DEPTH = 512


def parse_json_body(raw: bytes, *, required: bool = False) -> Any:
    """The body as JSON; an empty body is ``{}`` (clients such as Slyk's SDK send none on some POSTs)."""
    if not raw or not raw.strip():
        if required:
            raise BadRequest("The request body is empty; a JSON object is required.")
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise BadRequest(f"The request body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels.")
    return value


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
    try:
        return schema.load(data)
    except ValidationError as exc:
        details = flatten_messages(exc.messages)
        first = next(iter(details.values()))[0]
        raise Invalid(first, details=details) from None


class StrictInteger(fields.Integer):
    """A JSON integer: no strings ("500"), no booleans (true is not 1), no floats."""

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

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
