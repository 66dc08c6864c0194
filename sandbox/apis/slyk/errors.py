"""Slyk's error body: ``{"code": "snake_case", "message": "..."}`` with the HTTP status as the class.

Source: the official Node SDK's ``src/core/util/error-handler.js`` reads ``code`` (as the error's message),
``data`` and ``errors`` from the body and picks the error class from the status
(``src/core/resolvers/http-error-resolver.js``: 404 NotFoundError, 409 ConflictError ...); its tests reply
e.g. ``404 {"code": "address_not_found"}``. Validation failures are 400 ``validation_failed`` with
``errors``: a list of ``{"field", "message"}`` objects (the SDK's tests pass ``errors`` as a list)."""

from __future__ import annotations

from sandbox.core import errors

# Error classes without a code of their own: (status, code, message).
_GENERIC = [
    (errors.RouteNotFound, 404, "not_found", "Not Found"),
    (errors.MethodNotAllowed, 405, "method_not_allowed", "Method Not Allowed"),
    (errors.Unauthorized, 401, "unauthorized", "Unauthorized"),
    (errors.Invalid, 400, "validation_failed", None),
    (errors.BadRequest, 400, "bad_request", None),
    (errors.PayloadTooLarge, 413, "payload_too_large", "Payload Too Large"),
    (errors.RateLimited, 429, "too_many_requests", "Too Many Requests"),
    (errors.InternalError, 500, "internal_server_error", "Internal Server Error"),
]


def render(err: errors.SandboxError) -> tuple[dict, int]:
    for cls, status, code, message in _GENERIC:
        if isinstance(err, cls):
            body = {"code": err.code or code, "message": message or err.message}
            if isinstance(err, errors.Invalid):
                body["message"] = err.message or message
                body["errors"] = [{"field": field, "message": text}
                                  for field, texts in err.details.items() for text in texts]
            return body, status
    code = err.code or _snake(type(err).__name__)
    return {"code": code, "message": err.message}, err.status


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))
