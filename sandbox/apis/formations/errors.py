"""eFiling's error shape: "All json end-points return an `error` value; 0 means success" (`_rest/1-introduction`).

What a failure looks like is not public; the sandbox answers ``{"error": 1, "message": "..."}`` with the
HTTP status that fits (400, 401, 404, 405, 413, 429, 500), recorded in docs/fidelity.md."""

from __future__ import annotations

from sandbox.core import errors


def render(err: errors.SandboxError) -> tuple[dict, int]:
    # Input that breaks a rule is a 400: eFiling is no Laravel application with a 422 convention.
    status = 400 if isinstance(err, errors.Invalid) else err.status
    message = err.message
    if isinstance(err, errors.RouteNotFound):
        message = f"Unknown end-point: {err.method} {err.path}."
    return {"error": 1, "message": message}, status
