"""The application factory: config -> store -> each API from the registry -> control plane -> error dispatch."""

from __future__ import annotations

import contextvars
import logging
import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable, Mapping

from flask import Flask, Request, current_app, request, signals
from flask.ctx import RequestContext
from flask.globals import _cv_app, _cv_request
from flask.sansio.scaffold import _sentinel as _NO_EXCEPTION_GIVEN   # what Flask's teardown takes for "look it up"
from flask.sessions import SecureCookieSessionInterface
from flask_cors import CORS
from werkzeug import exceptions as http

from sandbox import control, trust, ui
from sandbox.ui import login
from sandbox.config import DEFAULTS, from_environment
from sandbox.core import collector, errors, lifecycle, openapi
from sandbox.core.afterwards import later
from sandbox.core.accesslog import AccessLog
from sandbox.core.api import RAW_BODY, ApiSpec
from sandbox.core.faults import Faults
from sandbox.core.journal import Journal
from sandbox.core.lifecycle import SESSION_HEADER, DroppedConnection, Lifecycle
from sandbox.core.rules import observed as observed_rules
from sandbox.core.rules import rule_of
from sandbox.core.clock import Clock
from sandbox.core.fake import faker_for
from sandbox.core.fixtures import load_fixtures, load_layer, overlay
from sandbox.core.progress import Progress
from sandbox.core.replay import Replays
from sandbox.core.store import Store
from sandbox.core.webhooks import Webhooks
from sandbox.core.wire import WireJSONProvider
from sandbox.registry import load_apis

log = logging.getLogger("sandbox")

class SandboxRequest(Request):
    """Flask's request, reading a body the server has already read whole (``RAW_BODY`` in the environ, within
    the size limit that ``lifecycle.begin`` checks first) from there: the same bytes as through werkzeug's
    limited stream, without it (a create reads its body twice: the view, then the journal)."""

    def get_data(self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False):
        raw = self.environ.get(RAW_BODY)
        if raw is None or parse_form_data:
            return super().get_data(cache, as_text, parse_form_data)
        if cache:
            self._cached_data = raw
        return raw.decode(errors="replace") if as_text else raw


ROUTES_KEPT = 4096     # (method, path) pairs whose route is remembered; beyond, all are forgotten and found again


class _RouteAdapter:
    """A request's URL adapter, routing each (method, path) once: werkzeug binds the URL map to the environ
    (the host, three WSGI strings) and walks its matcher for every request, ~5% of a create. A match depends
    on nothing else here (no SERVER_NAME, host or subdomain matching, no redirects: strict_slashes is off), so
    the rule and arguments found are kept; a routing error is raised as werkzeug raises it and never kept.
    Anything else asked of the adapter (url_for, OPTIONS' allowed methods) goes to werkzeug's own, built then."""
    __slots__ = ("_app", "_request", "_bound")

    def __init__(self, app: "SandboxFlask", request):
        self._app, self._request, self._bound = app, request, None

    def match(self, path_info=None, method=None, return_rule=False, query_args=None, websocket=None):
        if not return_rule or path_info is not None or method is not None or query_args is not None \
                or websocket is not None:
            return self._werkzeug().match(path_info, method, return_rule, query_args, websocket)
        environ = self._request.environ
        key = (environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""))
        routes = self._app._routes
        found = routes.get(key)
        if found is None:
            found = self._werkzeug().match(return_rule=True)
            if len(routes) >= ROUTES_KEPT:
                routes.clear()
            routes[key] = found
        rule, arguments = found
        return rule, dict(arguments)            # a request's view_args are its own

    def _werkzeug(self):
        if self._bound is None:
            self._bound = Flask.create_url_adapter(self._app, self._request)
        return self._bound

    def __getattr__(self, name):
        return getattr(self._werkzeug(), name)


class SandboxFlask(Flask):
    """Flask, with ``ensure_sync`` answered once per function: Flask asks it of every hook and view on every
    request (``inspect.iscoroutinefunction``, ~3% of a read), and none of ours is a coroutine function; and
    with each request's route found once per (method, path) (``_RouteAdapter``)."""
    request_class = SandboxRequest

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync: dict = {}
        self._routes: dict = {}

    def create_url_adapter(self, request):
        if request is None or self.config["SERVER_NAME"] is not None or self.config["TRUSTED_HOSTS"] is not None \
                or self.subdomain_matching or self.url_map.host_matching:
            return super().create_url_adapter(request)
        return _RouteAdapter(self, request)

    def ensure_sync(self, func):
        known = self._sync.get(func)
        if known is None:
            known = self._sync[func] = super().ensure_sync(func)
        return known

    # Flask's request flow, step for step, without what the sandbox never uses: a cookie session needs a secret
    # key (it has none, so Flask's own interface would open a null session after building a serializer to find
    # out), and a signal nobody listens to is not sent. 2.5% of a create (bench/instructions.py).
    def request_context(self, environ: dict) -> RequestContext:
        if self.secret_key is None and type(self.session_interface) is SecureCookieSessionInterface:
            return RequestContext(self, environ, session=self.session_interface.make_null_session(self))
        return super().request_context(environ)

    # Flask's wsgi_app and full_dispatch_request, in two steps, so that the server can take the first while a
    # request's body is still on its way (sandbox/server.py ``Server.begin_here``): ``begin`` pushes the contexts
    # and runs the before-step (session, fault, auth), ``end`` runs the view and everything after it. Together
    # they are Flask's flow step for step: the same hooks, error handlers, teardown and test-client context
    # preservation, in the same order. The contexts are popped by ``later`` (core/afterwards.py): at once, as
    # Flask does, unless the server answers the request on its own thread, then once the answer has gone out.
    def wsgi_app(self, environ: dict, start_response):
        if signals.request_started.receivers:
            return super().wsgi_app(environ, start_response)
        begun = self._begin(environ)
        try:
            return self._end(begun, start_response)
        finally:
            later(partial(self._pop_ended, begun))

    def begin_request(self, environ: dict) -> "Begun | None":
        """The first step, in a ``contextvars.Context`` of its own: the request's contexts stay pushed there, not
        in the caller's, until ``end_request``. None when Flask's own flow is needed (a signal has receivers)."""
        if signals.request_started.receivers:
            return None
        context = contextvars.Context()
        begun = context.run(self._begin, environ)
        begun.context = context
        return begun

    def end_request(self, begun: "Begun", start_response):
        """The second step, in the first one's context; the request's body is in its environ by now."""
        try:
            return begun.context.run(self._end, begun, start_response)
        finally:
            later(partial(begun.context.run, self._pop_ended, begun))

    def _begin(self, environ: dict) -> "Begun":
        begun = Begun(self.request_context(environ))
        try:
            try:
                begun.ctx.push()
                self._got_first_request = True
                try:
                    begun.answer = self.preprocess_request()
                except Exception as e:
                    begun.answer = self.handle_user_exception(e)
                    begun.handled = True
            except Exception as e:
                begun.error = e
                begun.response = self.handle_exception(e)
        except BaseException:
            self._pop(begun, begun.error or sys.exc_info()[1])
            raise
        return begun

    def _end(self, begun: "Begun", start_response):
        error = begun.error
        try:
            try:
                response = begun.response
                if response is None:
                    rv = begun.answer
                    if rv is None and not begun.handled:
                        try:
                            rv = self.dispatch_request()
                        except Exception as e:
                            rv = self.handle_user_exception(e)
                    response = self.finalize_request(rv)
            except Exception as e:
                error = e
                response = self.handle_exception(e)
            except BaseException:
                error = sys.exc_info()[1]
                raise
            environ = begun.ctx.request.environ
            headers = _plain_headers(response, environ)
            if headers is None:
                return response(environ, start_response)
            start_response(response.status, headers)
            return response.response
        finally:
            begun.error = error         # what the contexts are popped with, by the caller (core/afterwards.py)

    def abandon_request(self, begun: "Begun", error: BaseException) -> None:
        """A begun request whose body never came (the client went away): its contexts are popped, nothing runs."""
        begun.context.run(self._pop, begun, error)

    def _pop_ended(self, begun: "Begun") -> None:
        self._pop(begun, begun.error)

    def _pop(self, begun: "Begun", error: BaseException | None) -> None:
        environ = begun.ctx.request.environ
        preserve = environ.get("werkzeug.debug.preserve_context")
        if preserve is not None:
            preserve(_cv_app.get())
            preserve(_cv_request.get())
        if error is not None and self.should_ignore_error(error):
            error = None
        begun.ctx.pop(error)

    def finalize_request(self, rv, from_error_handler: bool = False):
        if signals.request_finished.receivers:
            return super().finalize_request(rv, from_error_handler)
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response

    def do_teardown_request(self, exc=_NO_EXCEPTION_GIVEN):
        if not self.teardown_request_funcs and not signals.request_tearing_down.receivers:
            return
        super().do_teardown_request(exc)


def _plain_headers(response, environ: dict) -> list | None:
    """The WSGI header list of a response that werkzeug's ``Response.__call__`` would send as it stands, or None
    for any other (werkzeug then answers it). As it stands: a body of bytes in a list with its Content-Length set
    (what ``set_data`` makes), no Location or Content-Location to rewrite, a status with a body, not HEAD, nothing
    to run on close. For those, get_wsgi_headers copies the headers unchanged and get_app_iter gives the list's
    chunks, so the list itself is the answer (a create's answer: ~7 us of werkzeug in process)."""
    body = response.response
    if (type(body) is not list or response.direct_passthrough or response._on_close
            or environ["REQUEST_METHOD"] == "HEAD"):
        return None
    status = response.status_code
    if status < 200 or status == 204 or status == 304:
        return None
    length = False
    for key, _ in response.headers._list:
        lowered = key.lower()
        if lowered == "content-length":
            length = True
        elif lowered == "location" or lowered == "content-location":
            return None
    if not length or any(type(chunk) is not bytes for chunk in body):
        return None
    return response.headers.to_wsgi_list()


class Begun:
    """A request between ``SandboxFlask.begin_request`` and ``end_request``: what its first step left for the
    second. ``answer``: what the before-step returned or its error handler made (None: run the view);
    ``response``: the final one, when the first step failed as Flask's ``wsgi_app`` catches it; ``error``: what
    failed it, then (once the second step has run) what the contexts are popped with."""
    __slots__ = ("ctx", "context", "answer", "handled", "response", "error")

    def __init__(self, ctx: RequestContext):
        self.ctx, self.context = ctx, None
        self.answer = self.response = self.error = None
        self.handled = False


@dataclass
class Sandbox:
    """What every part of a running sandbox shares; ``app.extensions["sandbox"]``."""
    config: Mapping
    store: Store
    clock: Clock
    apis: dict[str, ApiSpec]
    journal: Journal
    faults: Faults
    webhooks: Webhooks
    snapshots: dict[str, dict[str, dict]] = field(default_factory=dict)   # session -> name -> snapshot
    access_log: AccessLog | None = None     # set by `sandbox serve` unless --quiet
    lifecycle: Lifecycle | None = None      # core/lifecycle.py: the before- and after-request steps
    replays: Replays | None = None          # core/replay.py: answers the server may give again

    def forget_session(self, session: str) -> None:
        """A session evicted or dropped takes its journal, faults and snapshots with it."""
        self.journal.clear(session)
        self.faults.clear(session)
        self.webhooks.clear(session)
        self.snapshots.pop(session, None)


def create_app(config: Mapping | None = None, *, progress: "Progress | None" = None) -> Flask:
    """``progress`` hears of each API as its seeding starts and ends (``sandbox serve`` shows a counter)."""
    app = SandboxFlask("sandbox")
    app.config.update(DEFAULTS)
    app.config.update(from_environment(os.environ))
    app.config.update(config or {})
    app.json = WireJSONProvider(app)    # each API's JSON bytes as its vendor's stack writes them; keys in order
    app.url_map.strict_slashes = False  # /orders and /orders/ both answer, never with a redirect
    app.url_map.merge_slashes = False

    specs = load_apis(app.config.get("APIS"))
    seed = int(app.config["SEED"])
    orders = app.config["SEED_ORDERS"]
    orders = None if orders is None else int(orders)
    journal = Journal(int(app.config["JOURNAL_SIZE"]), int(app.config["JOURNAL_BYTES"]))
    faults = Faults(seed)
    store = Store(
        schemas={spec.name: spec.tables for spec in specs},
        seeders=_seeders(specs, seed, orders, app.config.get("FIXTURES_DIR"), progress),
        data_dir=app.config["DATA_DIR"],
        max_sessions=int(app.config["MAX_SESSIONS"]),
        compact_bytes=int(app.config["COMPACT_BYTES"]),
        on_evict=lambda session: box.forget_session(session),
        on_seeded=collector.freeze_survivors if app.config["GC_FREEZE"] else None,
        freeze_loaded=bool(app.config["GC_FREEZE"]),
    )
    clock = Clock()
    box = Sandbox(app.config, store, clock, {spec.name: spec for spec in specs}, journal, faults,
                  Webhooks(clock, max_attempts=int(app.config["WEBHOOK_ATTEMPTS"]),
                           backoff_seconds=float(app.config["WEBHOOK_BACKOFF_SECONDS"]),
                           timeout_seconds=float(app.config["WEBHOOK_TIMEOUT_SECONDS"]),
                           targets=app.config["WEBHOOK_HOSTS"], senders=int(app.config["WEBHOOK_SENDERS"]),
                           flush_seconds=float(app.config["WEBHOOK_FLUSH_SECONDS"])))
    box.replays = Replays(store.changes, int(app.config["REPLAY_ENTRIES"]), int(app.config["REPLAY_BYTES"]))
    app.extensions["sandbox"] = box
    for spec in specs:
        app.register_blueprint(spec.blueprint, url_prefix=spec.url_prefix)
    control.init_app(app)
    ui.init_app(app)
    login.init_app(app)
    openapi.init_app(app, control.openapi_document)
    trust.init_app(app)
    _enable_cors(app, specs)
    app.register_error_handler(Exception, _render_error)
    lifecycle.init_app(app)
    _after_request_never_fails(app)
    return app


def _after_request_never_fails(app: Flask) -> None:
    """What runs after a view (journal, access log, CORS) runs after the commit too: if it raised, Flask
    would answer 500 for a change that is kept, and a client that retries would make a duplicate."""
    def guarded(hook):
        def after(response):
            try:
                return hook(response)
            except Exception:
                log.exception("after-request step %s failed; the response goes out as it was", hook.__name__)
                return response
        after.__name__ = hook.__name__
        return after
    for hooks in app.after_request_funcs.values():
        hooks[:] = [guarded(hook) for hook in hooks]


EXPOSED_HEADERS = ["X-Pagination-TotalCount", "X-Pagination-Limit", "X-Pagination-Skip", "X-Pagination-Page",
                   "X-Sandbox-Rule", "X-Sandbox-Fault", "Retry-After", "Allow"]


def _enable_cors(app: Flask, specs: list[ApiSpec]) -> None:
    """Browsers may call every API (each API's auth headers allowed); the control plane: see sandbox/trust.py."""
    allowed = ["Content-Type", "Accept", SESSION_HEADER, control.ADMIN_HEADER,
               *dict.fromkeys(header for spec in specs for header in spec.auth.headers())]
    CORS(app, resources=trust.cors_resources(app.config, [spec.mount for spec in specs]),
         allow_headers=allowed, expose_headers=EXPOSED_HEADERS, max_age=600,
         intercept_exceptions=False)   # errors are responses of our own handler: they pass the hook below
    hooks = app.after_request_funcs[None]
    cors_hook = next(hook for hook in hooks if hook.__module__.startswith("flask_cors"))

    def cors_for_browsers(response):
        """flask-cors' hook, only for requests that carry Origin (every browser's cross-origin call and
        preflight does): without one there is nothing to answer, and its matching costs ~30 us a request."""
        return cors_hook(response) if "HTTP_ORIGIN" in request.environ else response   # the header, unparsed
    hooks[hooks.index(cors_hook)] = cors_for_browsers


def _seeders(specs: list[ApiSpec], seed: int, orders: int | None, fixtures_dir: str | None,
             progress: "Progress | None") -> dict:
    """Each API's seeder: its seeded records, with the user's fixture layer on top when one is given.
    The layer is read and validated here, at start, so a bad file stops the server before it serves."""
    seeders = {spec.name: _tracked(progress, spec.name, partial(_seed, spec, seed, orders)) for spec in specs}
    if not fixtures_dir:
        return seeders
    layer = load_layer(Path(fixtures_dir), {spec.name: _seed(spec, seed, orders) for spec in specs})
    return {name: partial(lambda name: overlay(seeders[name](), layer.get(name, {})), name) for name in seeders}


@lru_cache(maxsize=32)
def _seed(spec: ApiSpec, seed: int, orders: int | None = None):
    """An API's seeded records. Memoised: seeding is deterministic and records are never edited in place,
    so every app in one process (a test suite makes hundreds) can share them. ``orders``: see SEED_ORDERS."""
    sized = {} if orders is None else {"orders": orders}
    return spec.seed(faker_for(spec.name, seed), load_fixtures(spec.name), **sized)


def _tracked(progress: "Progress | None", name: str, seeder: Callable):
    if progress is None:
        return seeder
    return lambda: progress.track(name, seeder)


def _as_sandbox_error(exc: Exception, spec: ApiSpec | None) -> errors.SandboxError:
    if isinstance(exc, errors.SandboxError):
        return exc
    path = request.path[len(spec.mount):] if spec else request.path
    if isinstance(exc, http.NotFound):
        return errors.RouteNotFound(f"No route for {request.method} {request.path}.", method=request.method, path=path)
    if isinstance(exc, http.MethodNotAllowed):
        order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
        allowed = sorted((m for m in exc.valid_methods or () if m in order), key=order.index)
        return errors.MethodNotAllowed(f"The {request.method} method is not allowed for {request.path}.",
                                       method=request.method, path=path, allowed=allowed)
    if isinstance(exc, http.RequestEntityTooLarge):
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        return errors.PayloadTooLarge(f"The request body is larger than the limit of {limit} bytes.")
    if isinstance(exc, http.HTTPException) and exc.code and 400 <= exc.code < 500:
        err = errors.SandboxError(exc.description or exc.name)
        err.status = exc.code
        return err
    log.exception("unexpected error on %s %s", request.method, request.path, exc_info=exc)
    return errors.InternalError("The sandbox failed unexpectedly; this is a bug, see its log.")


def _render_error(exc: Exception):
    if isinstance(exc, DroppedConnection):
        raise exc
    box: Sandbox = current_app.extensions["sandbox"]
    spec = box.lifecycle.api_for_path(request.path)
    err = _as_sandbox_error(exc, spec)
    body, status = spec.render_error(err) if spec else control.render_error(err)
    response = current_app.json.response(body) if body is not None else current_app.response_class(status=status)
    response.status_code = status
    response.headers.update(err.headers)
    if isinstance(err, errors.MethodNotAllowed):
        response.headers["Allow"] = ", ".join(err.allowed)
    rule = rule_of(err)
    if rule:
        full = f"{spec.name}.{rule}" if spec else f"control.{rule}"
        response.headers["X-Sandbox-Rule"] = full
        observed_rules.add(full)
    return response
