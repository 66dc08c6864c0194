"""shop is a Laravel application: errors are Laravel's JSON bodies.

One addition: a rule refusing an order in its current status (``Conflict``, e.g. cancelling a processing
order) answers 422 ``{"message": "..."}``, as ``abort(422, $message)`` does; Laravel itself has no
convention for it (API-NOTES CHOICE)."""

from __future__ import annotations

from sandbox.core import laravel
from sandbox.core.errors import Conflict, SandboxError

REFUSED_STATUS = 422


def render(err: SandboxError) -> tuple[dict, int]:
    if isinstance(err, Conflict):
        return {"message": err.message}, REFUSED_STATUS
    return laravel.render_error(err)
