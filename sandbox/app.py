"""The application factory: config -> store -> each API from the registry -> control plane -> error dispatch."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from functools import partial
from typing import Mapping

from flask import Flask, current_app, g, request
from werkzeug import exceptions as http

from sandbox import control
from sandbox.config import DEFAULTS, from_environment
from sandbox.core import errors
from sandbox.core.api import ApiSpec
from sandbox.core.clock import Clock
from sandbox.core.fake import faker_for
from sandbox.core.fixtures import load_fixtures
from sandbox.core.store import Store
from sandbox.registry import load_apis

access_log = logging.getLogger("sandbox.access")
log = logging.getLogger("sandbox")


@dataclass
class Sandbox:
    """What every part of a running sandbox shares; ``app.extensions["sandbox"]``."""
    config: Mapping
    store: Store
    clock: Clock
    apis: dict[str, ApiSpec]

    def api_for_path(self, path: str) -> ApiSpec | None:
        return next((spec for spec in self.apis.values() if spec.owns(path)), None)


def create_app(config: Mapping | None = None) -> Flask:
    app = Flask("sandbox")
    app.config.update(DEFAULTS)
    app.config.update(from_environment(os.environ))
    app.config.update(config or {})
    app.json.sort_keys = False          # the docs' key order is part of the wire format
    app.url_map.strict_slashes = False  # /orders and /orders/ both answer, never with a redirect
    app.url_map.merge_slashes = False

    specs = load_apis(app.config.get("APIS"))
    store = Store(
        schemas={spec.name: spec.tables for spec in specs},
        seeders={spec.name: partial(_seed, spec, int(app.config["SEED"])) for spec in specs},
        data_dir=app.config["DATA_DIR"],
    )
    app.extensions["sandbox"] = Sandbox(app.config, store, Clock(), {spec.name: spec for spec in specs})
    for spec in specs:
        app.register_blueprint(spec.blueprint, url_prefix=spec.url_prefix)
    control.init_app(app)
    app.register_error_handler(Exception, _render_error)
    app.before_request(_start_timer)
    app.after_request(_log_access)
    return app


def _seed(spec: ApiSpec, seed: int):
    return spec.seed(faker_for(spec.name, seed), load_fixtures(spec.name))


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
    box: Sandbox = current_app.extensions["sandbox"]
    spec = box.api_for_path(request.path)
    err = _as_sandbox_error(exc, spec)
    body, status = spec.render_error(err) if spec else control.render_error(err)
    response = current_app.json.response(body) if body is not None else current_app.response_class(status=status)
    response.status_code = status
    response.headers.update(err.headers)
    if isinstance(err, errors.MethodNotAllowed):
        response.headers["Allow"] = ", ".join(err.allowed)
    if err.rule:
        response.headers["X-Sandbox-Rule"] = f"{spec.name}.{err.rule}" if spec else err.rule
    return response


def _start_timer():
    g.started = time.perf_counter()
    # Refuse an oversized body before any route runs, so every path answers 413 the same way.
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit and (request.content_length or 0) > limit:
        raise http.RequestEntityTooLarge()


def _log_access(response):
    if access_log.isEnabledFor(logging.INFO):
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        query = f"?{request.query_string.decode('latin-1')}" if request.query_string else ""
        access_log.info("%s %s%s %s %.1fms", request.method, request.path, query, response.status_code, elapsed)
    return response
