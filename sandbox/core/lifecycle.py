"""A request's lifecycle: one step before the view, one after (STYLE.md "Where a request's lifecycle lives").

``begin`` (before): timer, journal sequence, API and session from the raw WSGI environ, the body limit, the
fault rules (so they hit before auth too), then the API's auth for its own routes. ``finish`` (after): the journal entry, built from the raw
environ (header names are made readable only when someone reads the journal), and the access log line,
which is queued, never written here. What can be known at start (the API of a path's first segment, each
API's secret headers) is computed once, in ``Lifecycle.__init__``.

The server (sandbox/server.py) fires the fault rules itself before a request enters a thread, so that a delay
is an ``asyncio.sleep`` and not a sleeping thread; ``begin`` then applies the rule it finds in the environ.
"""

from __future__ import annotations

import re
import socket
import time
from datetime import timedelta
from functools import partial

from flask import current_app, g, request
from werkzeug import exceptions as http
from werkzeug.sansio.utils import get_content_length

from sandbox.core import errors, openapi
from sandbox.core.afterwards import later
from sandbox.core.api import DROP_CONNECTION
from sandbox.core.faults import FaultRule
from sandbox.core.journal import SECRET_HEADERS
from sandbox.core.replay import REPLAYABLE, Answer, Replayable
from sandbox.core.store import DEFAULT_SESSION

SESSION_HEADER = "X-Sandbox-Session"
SESSION_ENVIRON = "HTTP_X_SANDBOX_SESSION"
SESSION_NAME = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
SESSION_NAME_RULE = "1-64 letters, digits, '.', '_', ':' or '-'"     # what SESSION_NAME matches, for messages
FORCED_ERRORS = {400: errors.BadRequest, 401: errors.Unauthorized, 403: errors.Forbidden, 404: errors.NotFound,
                 409: errors.Conflict, 413: errors.PayloadTooLarge, 422: errors.Invalid, 429: errors.RateLimited,
                 500: errors.InternalError}
FAULT_RETRY_SECONDS = 1
DROPPED_STATUS = 499   # what the journal shows for a request whose connection a fault rule dropped

# Set by sandbox/server.py in the environ: the rule it fired (and whose delay it waited) before the thread,
# and a callable that closes the client's socket.
FIRED_FAULT = "sandbox.fault"


class DroppedConnection(Exception):
    """Raised after a fault rule closed the socket; deliberately not rendered as a response."""


class Lifecycle:
    """What ``begin``/``finish`` need, prepared once per app: ``app.extensions["sandbox"].lifecycle``."""

    def __init__(self, box, control_max_body: int):
        self.box = box
        self.control_max_body = control_max_body
        self._by_segment = {spec.mount.strip("/").split("/")[0]: spec for spec in box.apis.values()}
        self._specs = tuple(box.apis.values())
        self.secret = {spec: SECRET_HEADERS | {header.lower() for header in spec.auth.headers()}
                       for spec in self._specs}

    def api_for_path(self, path: str):
        spec = self._by_segment.get(path[1:].partition("/")[0])
        if spec is not None and spec.owns(path):
            return spec
        return next((spec for spec in self._specs if spec.owns(path)), None)

    def early_fault(self, path: str, method: str, session: str | None) -> FaultRule | None:
        """The fault rule a request fires, taken by the server before the app runs (server.py); counted once.
        ``path`` as the WSGI environ holds it, ``session`` the X-Sandbox-Session header (None: not sent)."""
        spec = self.api_for_path(path)
        if spec is None:
            return None
        if session is None:
            session = DEFAULT_SESSION
        elif not SESSION_NAME.match(session):
            return None                 # begin() answers 400 for it
        return self.fire(spec, session, method, path)

    def fire(self, spec, session: str, method: str, path: str) -> FaultRule | None:
        """The fault rule this request to ``spec`` fires (counted), matched on the full path and the API's own."""
        return self.box.faults.fire(session, spec.name, method, (path, path[len(spec.mount):]))


def begin():
    """Before any route. Every request pays this: the proxies are resolved once, the environ read directly."""
    app, ctx = current_app._get_current_object(), g._get_current_object()
    environ = request.environ
    box = app.extensions["sandbox"]
    life: Lifecycle = box.lifecycle
    ctx.started = time.perf_counter()
    ctx.journal_seq = box.journal.next_seq()
    box.clock.watch()
    path = environ["PATH_INFO"]
    ctx.sandbox_api = spec = life.api_for_path(path)   # set on every request: g may outlive one in tests
    session = environ.get(SESSION_ENVIRON)
    if session is None:
        ctx.sandbox_session = DEFAULT_SESSION
    elif SESSION_NAME.match(session):
        ctx.sandbox_session = session
        box.store.touch_session(session)    # counted under the one session cap before anything is kept
    else:
        ctx.sandbox_session = DEFAULT_SESSION
        raise errors.BadRequest(f"{SESSION_HEADER} must be {SESSION_NAME_RULE}.")
    req = request._get_current_object()
    if spec is None:
        # The control plane imports whole states, far larger than any API request.
        req.max_content_length = limit = life.control_max_body
    else:
        limit = app.config["MAX_CONTENT_LENGTH"]    # req.max_content_length: nothing has set one for this request
    # req.content_length, from the environ: werkzeug's property reads it through the headers object (~2% of a create)
    length = get_content_length(environ.get("CONTENT_LENGTH"), environ.get("HTTP_TRANSFER_ENCODING"))
    if limit and (length or 0) > limit:
        raise http.RequestEntityTooLarge()
    if spec is None:
        return None
    method = environ["REQUEST_METHOD"]
    if FIRED_FAULT in environ:
        rule = environ[FIRED_FAULT]         # fired and waited for by the server
        waited = True
    else:
        rule = life.fire(spec, ctx.sandbox_session, method, path)
        waited = False
    if rule is not None:
        answer = _apply_fault(rule, spec, waited)
        if answer is not None:
            return answer
    # Auth last, and only for the API's own routes: a routing 404 answers before auth, as the real frameworks
    # do, and so does <mount>/openapi.json; a CORS preflight carries no credentials, by design.
    if method != "OPTIONS" and req.blueprint == spec.name:
        ctx.credentials = spec.auth.authenticate(req.headers, app.config["TOKENS"].get(spec.name))
    return None


def _apply_fault(rule: FaultRule, spec, waited: bool):
    if rule.delay_ms and not waited:
        time.sleep(rule.delay_ms / 1000)
    if rule.drop:
        return _drop_connection()
    if rule.status is None:
        return None                     # a pure delay: the request then goes on as usual
    app = current_app._get_current_object()
    if rule.has_body:
        response = app.json.response(rule.body) if rule.body is not None else app.response_class()
    else:
        error_class = FORCED_ERRORS.get(rule.status, errors.SandboxError)
        body, _ = spec.render_error(error_class(rule.message))
        response = app.json.response(body) if body is not None else app.response_class()
    response.status_code = rule.status
    response.headers["X-Sandbox-Fault"] = str(rule.id)
    if rule.status == 429 and "Retry-After" not in response.headers:
        # A client's back-off reads it: in the API's own format, one second ahead.
        retry = app.extensions["sandbox"].clock.now() + timedelta(seconds=FAULT_RETRY_SECONDS)
        response.headers["Retry-After"] = spec.retry_after(retry) if spec.retry_after else str(FAULT_RETRY_SECONDS)
    return response


def _drop_connection():
    """Close the client's socket without a response: the sandbox's server puts a callable for it in the
    environ, waitress (the pytest plugin's server) exposes its channel through ``waitress.client_disconnected``.

    The response returned afterwards is never delivered; the journal records it as status 499. Under no
    real server (the in-process test client), ``DroppedConnection`` is raised instead."""
    environ = request.environ
    close = environ.get(DROP_CONNECTION)
    if close is not None:
        close()
        return current_app.response_class(status=DROPPED_STATUS)
    channel = getattr(environ.get("waitress.client_disconnected"), "__self__", None)
    if channel is None:
        raise DroppedConnection("connection dropped by a sandbox fault rule")
    try:
        channel.socket.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    return current_app.response_class(status=DROPPED_STATUS)


def _request_body(req, environ) -> bytes:
    if not environ.get("CONTENT_LENGTH") and "HTTP_TRANSFER_ENCODING" not in environ:
        return b""                      # nothing was sent: no stream to read
    try:
        return req.get_data(cache=True)
    except http.RequestEntityTooLarge:
        return b"<body over the size limit, not read>"


def _raw_headers(environ: dict) -> list[tuple[str, str]]:
    """The request's headers as the environ holds them (``HTTP_X_API_KEY``); the journal names them when read."""
    return [(key, value) for key, value in environ.items()
            if key[:5] == "HTTP_" or key == "CONTENT_TYPE" or key == "CONTENT_LENGTH"]


def finish(response):
    """After every response: journal it (API requests) and queue its access-log line, both ``later``
    (core/afterwards.py). Neither can fail it. An answer that may be replayed (core/replay.py) is marked in the
    environ for the server to keep."""
    box = current_app.extensions["sandbox"]
    ctx = g._get_current_object()
    now = time.perf_counter()
    elapsed = (now - getattr(ctx, "started", now)) * 1000
    req = request._get_current_object()
    environ = req.environ
    spec = getattr(ctx, "sandbox_api", None)
    method, query = environ["REQUEST_METHOD"], environ.get("QUERY_STRING", "")
    path = environ["PATH_INFO"]
    if not path.isascii():              # WSGI carries the path's bytes as latin-1
        path = path.encode("latin-1").decode("utf-8", "replace")
    status = response.status_code
    if spec is not None and not openapi.is_document_request(req):   # the docs' fetches are not API calls
        secret, headers = box.lifecycle.secret[spec], None
        if (method == "GET" and 200 <= status < 300 and environ.get(FIRED_FAULT, False) is None
                and not response.direct_passthrough and "Set-Cookie" not in response.headers
                and not box.clock.was_read() and not _request_body(req, environ)):
            headers = _raw_headers(environ)
            environ[REPLAYABLE] = Replayable(spec.name, ctx.sandbox_session, path, query, headers, secret)
        later(partial(_journal, box.journal, ctx.sandbox_session, ctx.journal_seq, time.time(), spec.name, method,
                      path, query, headers, secret, req, status, response, elapsed))
    if box.access_log is not None:
        later(partial(box.access_log.write, method, path, query, status, elapsed))
    return response


def _journal(journal, session: str, seq: int, moment: float, api: str, method: str, path: str, query: str,
             headers: list | None, secret: frozenset, req, status: int, response, elapsed_ms: float) -> None:
    """``finish``'s journal entry, which may be made once the answer has gone out (core/afterwards.py): of what
    was kept when the request finished, and of the request and response objects, which nothing changes after."""
    environ = req.environ
    journal.record(session, seq=seq, time=moment, api=api, method=method, path=path, query=query,
                   headers=_raw_headers(environ) if headers is None else headers, secret=secret,
                   request_body=_request_body(req, environ), status=status,
                   response_body=b"" if response.direct_passthrough else response.get_data(),
                   duration_ms=elapsed_ms)


def replayed(box, answer: Answer, started: float) -> None:
    """A request answered by a kept answer (sandbox/server.py): journaled and logged as ``finish`` does."""
    kept, status = answer.request, answer.status
    if kept.session != DEFAULT_SESSION:
        box.store.touch_session(kept.session)
    elapsed = (time.perf_counter() - started) * 1000
    box.journal.record(kept.session, seq=box.journal.next_seq(), time=time.time(), api=kept.api, method="GET",
                       path=kept.path, query=kept.query, headers=kept.headers, secret=kept.secret,
                       request_body=b"", status=status, response_body=answer.body, duration_ms=elapsed)
    if box.access_log is not None:
        box.access_log.write("GET", kept.path, kept.query, status, elapsed)


def init_app(app) -> None:
    """Wire the two steps; the box is ``app.extensions["sandbox"]``, already built."""
    box = app.extensions["sandbox"]
    box.lifecycle = Lifecycle(box, int(app.config["CONTROL_MAX_CONTENT_LENGTH"]))
    app.before_request(begin)
    app.after_request(finish)
