"""What every control-plane module shares: the blueprint and the request helpers its views use."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from sandbox.core import errors
from sandbox.core.validation import parse_json_body

bp = Blueprint("control", "sandbox.control", url_prefix="/__sandbox")


def box():
    return current_app.extensions["sandbox"]


def api_names() -> list[str]:
    """The APIs named by ``?api=`` (all when absent); an unknown name is a 404."""
    name = request.args.get("api")
    if name is None:
        return list(box().apis)
    return [api_spec(name).name]


def api_spec(name: str):
    """The API called ``name``; an unknown name is a 404 that lists the known ones."""
    spec = box().apis.get(name)
    if spec is None:
        raise errors.NotFound(f"No API named {name!r}; known: {', '.join(box().apis)}.")
    return spec


def request_json():
    raw = request.get_data(cache=True)
    # Parsed JSON takes up to ~50x its text (small arrays and numbers): bound the values before parsing.
    limit = int(current_app.config["CONTROL_MAX_JSON_VALUES"])
    if json_values(raw) > limit:
        raise errors.PayloadTooLarge(f"The body holds more than {limit} JSON values "
                                     "(SANDBOX_CONTROL_MAX_JSON_VALUES); import large states as fixtures "
                                     "(sandbox serve --fixtures DIR) instead.")
    return parse_json_body(raw, required=True)


def json_values(raw: bytes) -> int:
    """An upper bound on the JSON values in ``raw``: every value but the first follows a ``,`` or opens
    an array or object (commas inside strings only raise the bound). C-speed counts, no parsing."""
    return raw.count(b",") + raw.count(b"[") + raw.count(b"{") + 1


def now_iso() -> str:
    return box().clock.now().isoformat().replace("+00:00", "Z")
