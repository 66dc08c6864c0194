"""JSON on the wire, byte for byte as each vendor's stack writes it (docs/fidelity.md, "JSON encoding").

- ``php_json``: Laravel's ``response()->json()`` is PHP's ``json_encode`` with flags 0: ``/`` escaped as ``\\/``,
  every non-ASCII character as ``\\uXXXX`` (surrogate pairs beyond the BMP), no spaces, no trailing newline.
- ``node_json``: Express' ``res.json()`` is ``JSON.stringify``: raw UTF-8, ``/`` as is, no trailing newline.

Both use orjson (about 5x Python's ``json`` on these bodies) where its bytes are exactly those: always for
``node_json``; for ``php_json`` when the body is ASCII (then only ``/`` needs escaping), else Python's ``json``
with ``ensure_ascii``, whose ``\\uXXXX`` escapes are PHP's. What orjson refuses (integers beyond 64 bits, lone
surrogates) goes to Python's ``json`` as well. The control plane keeps Flask's own encoder.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import orjson
from flask import g
from flask.json.provider import DefaultJSONProvider

_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
_default = DefaultJSONProvider.default      # dates, decimals, dataclasses: as Flask renders them


def _python_json(obj: Any, *, ascii_only: bool) -> bytes:
    return json.dumps(obj, ensure_ascii=ascii_only, separators=(",", ":"), default=_default).encode("utf-8")


def node_json(obj: Any) -> bytes:
    """``JSON.stringify(obj)``."""
    try:
        return orjson.dumps(obj, default=_default, option=_ORJSON_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):
        try:
            return _python_json(obj, ascii_only=False)
        except UnicodeEncodeError:          # a lone surrogate: JSON.stringify escapes it, so does ensure_ascii
            return _python_json(obj, ascii_only=True)


def php_json(obj: Any) -> bytes:
    """``json_encode($obj)`` (flags 0)."""
    try:
        body = orjson.dumps(obj, default=_default, option=_ORJSON_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):
        body = None
    if body is None or not body.isascii():
        body = _python_json(obj, ascii_only=True)
    # "/" occurs only inside strings in JSON text, so escaping every one of them is exact.
    return body.replace(b"/", b"\\/")


class WireJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, answering each API's requests in that API's encoding (``ApiSpec.wire_json``)."""

    sort_keys = False                       # the docs' key order is part of the wire format

    def response(self, *args, **kwargs):
        spec = g.get("sandbox_api")
        encode: Callable[[Any], bytes] | None = getattr(spec, "wire_json", None)
        if encode is None:
            return super().response(*args, **kwargs)
        return self._app.response_class(encode(self._prepare_response_obj(args, kwargs)), mimetype=self.mimetype)
