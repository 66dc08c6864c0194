"""Named snapshots of a session's state, kept in memory."""

from __future__ import annotations

from flask import current_app

from sandbox.control import schemas as S
from sandbox.control.base import api_names, box, bp, now_iso
from sandbox.core import errors
from sandbox.core.api import session_name
from sandbox.core.openapi import documented


def _snapshots() -> dict:
    return box().snapshots.setdefault(session_name(), {})


@bp.get("/snapshots")
@documented("GET /__sandbox/snapshots: the named snapshots of this session.", response=S.SnapshotsOut)
def list_snapshots():
    return {"snapshots": [{"name": name, "apis": list(saved["states"]), "created_at": saved["created_at"]}
                          for name, saved in _snapshots().items()]}


@bp.post("/snapshots/<name>")
@documented(response=S.SavedSnapshotOut, status=201, query=S.ApiQueryIn, params={"name": "before-checkout"})
def save_snapshot(name):
    """POST /__sandbox/snapshots/{name}[?api=NAME]: keep the current state under a name (in memory)."""
    names = api_names()
    snapshots, limit = _snapshots(), int(current_app.config["MAX_SNAPSHOTS"])
    if name not in snapshots and len(snapshots) >= limit:
        raise errors.Conflict(f"Session {session_name()!r} holds {limit} snapshots, the most it may "
                              "(SANDBOX_MAX_SNAPSHOTS); delete one first.")
    snapshots[name] = {"states": box().store.snapshot(names, session_name()), "created_at": now_iso()}
    return {"name": name, "apis": names}, 201


@bp.post("/snapshots/<name>/restore")
@documented("POST /__sandbox/snapshots/{name}/restore: back to a named snapshot.", response=S.RestoredSnapshotOut,
            params={"name": "before-checkout"})
def restore_snapshot(name):
    saved = _snapshots().get(name)
    if saved is None:
        raise errors.NotFound(f"No snapshot named {name!r} in session {session_name()!r}.")
    box().store.restore(saved["states"], session_name())
    return {"restored": name, "apis": list(saved["states"])}


@bp.delete("/snapshots")
@documented("DELETE /__sandbox/snapshots: forget every named snapshot of this session.", response=None, status=204)
def delete_snapshots():
    box().snapshots.pop(session_name(), None)
    return "", 204


@bp.delete("/snapshots/<name>")
@documented("DELETE /__sandbox/snapshots/{name}: forget a named snapshot.", response=None, status=204,
            params={"name": "before-checkout"})
def delete_snapshot(name):
    if _snapshots().pop(name, None) is None:
        raise errors.NotFound(f"No snapshot named {name!r} in session {session_name()!r}.")
    return "", 204
