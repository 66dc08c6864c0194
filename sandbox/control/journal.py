"""The request journal: every API call of a session, oldest first."""

from __future__ import annotations

from flask import current_app, request

from sandbox import __version__
from sandbox.control import schemas as S
from sandbox.control.base import box, bp
from sandbox.core import har
from sandbox.core.api import session_name
from sandbox.core.openapi import documented
from sandbox.core.validation import load


@bp.get("/requests")
@documented(response=S.RequestsOut, query=S.RequestsQueryIn, errors=(400,))
def list_requests():
    """GET /__sandbox/requests?api=&method=&path=<glob>&status=&since=<seq|ISO time>&limit=: oldest first."""
    entries = _journal_entries()
    return {"requests": [entry.as_json() for entry in entries], "total": len(entries)}


@bp.get("/requests.har")
@documented(response=S.HarOut, query=S.RequestsQueryIn, errors=(400,))
def requests_har():
    """GET /__sandbox/requests.har?<the filters of /requests>: the journal as HAR 1.2, for devtools and HAR viewers."""
    document = har.archive(_journal_entries(), request.host_url, version=__version__, session=session_name())
    response = current_app.json.response(document)
    response.headers["Content-Disposition"] = f'attachment; filename="order-sandbox-{session_name()}.har"'
    return response


def _journal_entries():
    """This session's journal entries by the filters of ``/requests`` (``S.RequestsQueryIn``)."""
    query = load(S.RequestsQueryIn(), request.args.to_dict())
    entries = box().journal.entries(session_name(), api=query.get("api"), method=query.get("method"),
                                    path=query.get("path"), status=query.get("status"), since=query.get("since"))
    return entries[-query["limit"]:] if "limit" in query else entries


@bp.delete("/requests")
@documented("DELETE /__sandbox/requests: clear the journal.", response=S.DeletedOut)
def clear_requests():
    return {"deleted": box().journal.clear(session_name())}
