"""The request journal: every API call of a session, oldest first."""

from __future__ import annotations

from flask import request

from sandbox.control import schemas as S
from sandbox.control.base import box, bp
from sandbox.core.api import session_name
from sandbox.core.openapi import documented
from sandbox.core.validation import load


@bp.get("/requests")
@documented(response=S.RequestsOut, query=S.RequestsQueryIn, errors=(400,))
def list_requests():
    """GET /__sandbox/requests?api=&method=&path=<glob>&status=&since=<seq|ISO time>&limit=: oldest first."""
    query = load(S.RequestsQueryIn(), request.args.to_dict())
    entries = box().journal.entries(session_name(), api=query.get("api"), method=query.get("method"),
                                     path=query.get("path"), status=query.get("status"), since=query.get("since"))
    if "limit" in query:
        entries = entries[-query["limit"]:]
    return {"requests": [entry.as_json() for entry in entries], "total": len(entries)}


@bp.delete("/requests")
@documented("DELETE /__sandbox/requests: clear the journal.", response=S.DeletedOut)
def clear_requests():
    return {"deleted": box().journal.clear(session_name())}
