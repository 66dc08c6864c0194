"""The sandbox's error vocabulary.

Backends and routes raise these; they carry meaning, never a wire format. Each API's ``errors.render``
turns one into that API's own body and status, so a Slyk client sees Slyk's shape and a Laravel client
Laravel's. ``code`` is the vendor's machine-readable code where the API has one; ``rule`` names the rule
that refused the request (``shop.update-only-pending``) for introspection.
"""

from __future__ import annotations


class SandboxError(Exception):
    status = 500

    def __init__(self, message: str, *, code: str | None = None, rule=None,
                 details: dict | None = None, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.rule = getattr(rule, "id", rule)   # a core.rules.Rule or its id
        self.details = details or {}
        self.headers = headers or {}


class BadRequest(SandboxError):
    """The request could not be read at all (malformed JSON, a body that is not an object)."""
    status = 400


class Unauthorized(SandboxError):
    status = 401


class Forbidden(SandboxError):
    status = 403


class NotFound(SandboxError):
    """A resource the API does not know."""
    status = 404


class RouteNotFound(NotFound):
    """No route matches the path (the router's 404, not a missing record).

    ``path`` is the request path below the API's mount, as the real service would see it."""

    def __init__(self, message: str, *, method: str, path: str, **kwargs):
        super().__init__(message, **kwargs)
        self.method = method
        self.path = path


class MethodNotAllowed(SandboxError):
    status = 405

    def __init__(self, message: str, *, method: str, path: str, allowed: list[str], **kwargs):
        super().__init__(message, **kwargs)
        self.method = method
        self.path = path
        self.allowed = allowed


class Conflict(SandboxError):
    """A transition the API's rules refuse in the record's current state."""
    status = 409


class PayloadTooLarge(SandboxError):
    status = 413


class Invalid(SandboxError):
    """Input that was read but breaks the endpoint's rules; ``details`` maps field -> [messages]."""
    status = 422


class RateLimited(SandboxError):
    status = 429


class InternalError(SandboxError):
    """Anything unexpected: a bug in the sandbox, rendered in the API's shape instead of a traceback."""
    status = 500


class Unavailable(SandboxError):
    """The sandbox could not keep a change (its data directory failed): nothing changed, retry later."""
    status = 503
