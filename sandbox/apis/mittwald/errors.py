"""mittwald's error bodies: ``{"type": ..., "message": ...}`` (``de.mittwald.v1.commons.Error``) for every
status, and ``de.mittwald.v1.commons.ValidationErrors`` for invalid input.

The spec fixes the shapes, not the ``type`` words for each status; the words chosen are in
docs/fidelity.md. mittwald's clients parse every non-200 body as ``{type, message}``, so even the
validation body keeps a ``message``."""

from __future__ import annotations

from dataclasses import dataclass, field

from marshmallow import Schema, fields

from sandbox.core import errors

from .states import QUERY_MATCHES_SPEC

VALIDATION_MESSAGE = "Validation failed"


@dataclass(frozen=True)
class Violation:
    """One entry of ``validationErrors``: an ajv-style error (message, JS-notation path, keyword, context)."""
    message: str
    path: str
    type: str
    context: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        body = {"message": self.message, "path": self.path, "type": self.type}
        if self.context:
            body["context"] = dict(self.context)
        return body


class ValidationFailed(errors.Invalid):
    """Invalid request parameters, carrying ajv-style violations; rendered as 400 ValidationError."""

    def __init__(self, violations: list[Violation]):
        super().__init__(VALIDATION_MESSAGE, rule=QUERY_MATCHES_SPEC,
                         details={v.path: [v.message] for v in violations})
        self.violations = violations


# Checked in order: the first class the error is an instance of gives status and type.
_TYPES = (
    (errors.Unauthorized, 401, "Unauthorized"),
    (errors.Forbidden, 403, "PermissionDenied"),
    (errors.NotFound, 404, "NotFound"),
    (errors.BadRequest, 400, "BadRequest"),
    (errors.Conflict, 409, "Conflict"),
    (errors.PayloadTooLarge, 413, "PayloadTooLarge"),
    (errors.RateLimited, 429, "RateLimitError"),
)
INTERNAL_ERROR = {"type": "InternalServerError", "message": "Something went wrong"}   # the spec's example values


def render(err: errors.SandboxError) -> tuple[dict, int]:
    if isinstance(err, errors.Invalid):
        violations = getattr(err, "violations", None) or [
            Violation(message, path if path.startswith(".") else f".{path}", "invalid")
            for path, messages in err.details.items() for message in messages]
        return {"type": "ValidationError", "message": VALIDATION_MESSAGE,
                "validationErrors": [v.as_json() for v in violations]}, 400
    if isinstance(err, errors.RouteNotFound):
        return {"type": "NotFound", "message": f"no route for {err.method} {err.path}"}, 404
    if isinstance(err, errors.MethodNotAllowed):
        return {"type": "MethodNotAllowed",
                "message": f"method {err.method} not allowed for {err.path}; allowed: {', '.join(err.allowed)}"}, 405
    if isinstance(err, errors.InternalError):
        return dict(INTERNAL_ERROR), 500
    for kind, status, word in _TYPES:
        if isinstance(err, kind):
            return {"type": word, "message": err.message}, status
    return {"type": "Error", "message": err.message}, err.status


class ViolationOut(Schema):
    message = fields.String()
    path = fields.String()
    type = fields.String()
    context = fields.Dict(keys=fields.String(), values=fields.String())

    class Meta:
        optional = ("context",)


class MittwaldErrorOut(Schema):
    """``render``'s bodies: ``commons.Error``, and ``commons.ValidationErrors`` with ``validationErrors``."""
    type = fields.String()
    message = fields.String()
    validationErrors = fields.List(fields.Nested(ViolationOut))

    class Meta:
        optional = ("validationErrors",)
