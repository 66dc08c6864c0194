"""The control plane under ``/__sandbox/``: health and reset (later: snapshots, journal, faults, clock)."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from sandbox import __version__
from sandbox.core import errors

bp = Blueprint("control", __name__, url_prefix="/__sandbox")


def _box():
    return current_app.extensions["sandbox"]


def _api_names() -> list[str]:
    """The APIs named by ``?api=`` (all when absent); an unknown name is a 404."""
    name = request.args.get("api")
    if name is None:
        return list(_box().apis)
    if name not in _box().apis:
        raise errors.NotFound(f"No API named {name!r}; known: {', '.join(_box().apis)}.")
    return [name]


@bp.get("/health")
def health():
    """GET /__sandbox/health: 200 once the app exists, which is after seeding."""
    box = _box()
    return {"status": "ok", "version": __version__,
            "apis": {name: spec.url_prefix for name, spec in box.apis.items()}}


@bp.post("/reset")
def reset():
    """POST /__sandbox/reset[?api=NAME]: back to exactly the seeded state."""
    names = _api_names()
    for name in names:
        _box().store.reset(name)
    return {"reset": names}


def render_error(err: errors.SandboxError) -> tuple[dict, int]:
    """The control plane's own shape, also used for paths that belong to no API."""
    return {"error": type(err).__name__, "message": err.message}, err.status


def init_app(app) -> None:
    app.register_blueprint(bp)
