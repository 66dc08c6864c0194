"""Reading request input: JSON bodies and marshmallow ``*In`` schemas, failing as the sandbox's errors."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, ValidationError

from sandbox.core.errors import BadRequest, Invalid


def int_id(raw: str) -> int | None:
    """A path id that only an auto-increment column could hold: ASCII digits, else None (a 404 later)."""
    return int(raw) if raw.isascii() and raw.isdigit() else None


def parse_json_body(raw: bytes, *, required: bool = False) -> Any:
    """The body as JSON; an empty body is ``{}`` (clients such as Slyk's SDK send none on some POSTs)."""
    if not raw or not raw.strip():
        if required:
            raise BadRequest("The request body is empty; a JSON object is required.")
        return {}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None


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
