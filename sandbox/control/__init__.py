"""The control plane under ``/__sandbox/``: JSON in, JSON out, for every API through the registry.

One module per resource, each owning its routes: ``state`` (health, reset, state export/import),
``rules``, ``snapshots``, ``journal`` (the request journal), ``faults``, ``webhooks``, ``clock``,
``sessions``, ``factories`` (factories and named scenarios). Every call honours ``X-Sandbox-Session`` like the APIs do, so a CI job drives only its own
copy; ``base`` holds the blueprint and the helpers the modules share.

Who may call it, from which host name and which browser origin: ``sandbox/trust.py`` (its ``guard`` runs
before every view here). Health is open to all (health checks).
"""

from __future__ import annotations

from sandbox import __version__, trust
from sandbox.control.base import bp
from sandbox.control.schemas import ControlErrorOut
from sandbox.core import errors
from sandbox.core.openapi import build

ADMIN_HEADER = trust.ADMIN_HEADER


# Each module registers its routes on ``bp`` when imported; the order is the OpenAPI document's order.
from sandbox.control import state, rules, snapshots, journal, faults, webhooks, clock, sessions  # noqa: E402,F401,I001
from sandbox.control import factories  # noqa: E402,I001


def render_error(err: errors.SandboxError) -> tuple[dict, int]:
    """The control plane's own shape, also used for paths that belong to no API."""
    body = {"error": type(err).__name__, "message": err.message}
    if err.details:
        body["details"] = err.details
    status = 400 if isinstance(err, errors.Invalid) else err.status
    return body, status


def openapi_document(app, base_url: str) -> dict:
    """The control plane's OpenAPI document (served at /__sandbox/openapi.json)."""
    document = build(app, blueprint=bp.name, prefix=bp.url_prefix, title="order-sandbox control plane",
                     version=__version__, description="Reset, inspect and steer the sandbox; JSON in, JSON out.",
                     servers=[{"url": base_url + bp.url_prefix}], error_schema=ControlErrorOut)
    return factories.document_examples(document, app.extensions["sandbox"].apis)


def init_app(app) -> None:
    app.register_blueprint(bp)
