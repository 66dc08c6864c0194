"""The live sessions (X-Sandbox-Session), their bound and evictions."""

from __future__ import annotations

from sandbox.control import schemas as S
from sandbox.control.base import box, bp
from sandbox.core import errors
from sandbox.core.openapi import documented


@bp.get("/sessions")
@documented("GET /__sandbox/sessions: the live sessions.", response=S.SessionsOut)
def list_sessions():
    return _sessions_view()


def _sessions_view() -> dict:
    store = box().store
    return {"sessions": store.sessions(), "max_sessions": store.max_sessions, "evicted": list(store.evictions)}


@bp.put("/sessions/<name>")
@documented(response=S.SessionsOut, params={"name": "job-1"}, errors=(400,))
def create_session(name):
    """PUT /__sandbox/sessions/{name}: make a session (a copy of the seeded state) on purpose; idempotent."""
    from sandbox.core.lifecycle import SESSION_NAME, SESSION_NAME_RULE

    if not SESSION_NAME.match(name):
        raise errors.Invalid("Invalid session name.", details={"name": [f"{SESSION_NAME_RULE}."]})
    box().store.touch_session(name)        # a copy of each API's seeded state is made on its first use
    return _sessions_view()


@bp.delete("/sessions/<name>")
@documented("DELETE /__sandbox/sessions/{name}: drop a named session.", response=None, status=204,
            params={"name": "job-1"})
def drop_session(name):
    if not box().store.drop_session(name):
        raise errors.NotFound(f"No session named {name!r} (the default session can only be reset).")
    return "", 204
