"""The live sessions (X-Sandbox-Session), their bound and evictions."""

from __future__ import annotations

from sandbox.control import schemas as S
from sandbox.control.base import box, bp
from sandbox.core import errors
from sandbox.core.openapi import documented


@bp.get("/sessions")
@documented("GET /__sandbox/sessions: the live sessions.", response=S.SessionsOut)
def list_sessions():
    store = box().store
    return {"sessions": store.sessions(), "max_sessions": store.max_sessions, "evicted": list(store.evictions)}


@bp.delete("/sessions/<name>")
@documented("DELETE /__sandbox/sessions/{name}: drop a named session.", response=None, status=204)
def drop_session(name):
    if not box().store.drop_session(name):
        raise errors.NotFound(f"No session named {name!r} (the default session can only be reset).")
    return "", 204
