"""What an emulated API is to the rest of the sandbox, and the request-time helpers its routes use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from faker import Faker
from flask import Blueprint, current_app, g, request

from sandbox.core.auth import Auth
from sandbox.core.clock import Clock
from sandbox.core.errors import SandboxError
from sandbox.core.store import DEFAULT_SESSION, ApiState
from sandbox.core.validation import parse_json_body

Seeder = Callable[[Faker, Mapping[str, list[dict]]], Mapping[str, list[dict]]]
Renderer = Callable[[SandboxError], tuple[object, int]]


@dataclass(frozen=True)
class Bench:
    """What ``make bench`` sends to an API (bench/run.py): each target names one of the API's documented
    examples (``fixtures/<api>/examples/<name>.json``, sent verbatim) or is ``"GET /path"`` below the base
    path, with the headers of the API's examples; ``{table.field}`` in a path is filled from the table's
    first seeded record. None: the API has no such endpoint.

    ``create_setup`` is for creates that use up state (shop's cart): ``(fixtures, count) -> CreateSetup``."""
    one: str | None = None
    list: str | None = None
    create: str | None = None
    create_setup: Callable[[Mapping[str, list[dict]], int], "CreateSetup"] | None = None


@dataclass(frozen=True)
class CreateSetup:
    """Lets ``count`` creates in a row succeed: environment for the server, records to add to the seeded
    state (table -> records) before each run, and the headers of each create in turn."""
    environment: Mapping[str, str]
    records: Mapping[str, list[dict]]
    headers: list[Mapping[str, str]]


@dataclass(frozen=True, eq=False)   # hashed by identity: one spec per API
class ApiSpec:
    """One emulated API.

    ``mount`` is where the sandbox puts it (``/shop``); ``base_path`` is the real API's own prefix below
    that (``/api/v1/shop``), so the blueprint serves ``mount + base_path``. Every path under ``mount`` is
    this API's, routing errors included. ``tables`` maps each table to its indexed fields; ``seed`` gets
    the API's Faker and fixtures and returns table -> records; ``render_error`` gives the vendor's shape
    (``error_schema`` describes it).
    """
    name: str
    mount: str
    base_path: str
    blueprint: Blueprint
    backend: type
    render_error: Renderer
    seed: Seeder
    tables: Mapping[str, tuple[str, ...]]
    auth: Auth
    rules: tuple = ()                                   # core.rules.Rule: what this API refuses, and why
    machines: Mapping[str, object] = field(default_factory=dict)   # name -> core.transitions.Transitions
    events: tuple[str, ...] = ()                       # webhook event names the API emits
    retry_after: Callable | None = None   # datetime -> the API's Retry-After value; None: delta-seconds
    base_in_client_url: bool = True   # False when the vendor's clients add base_path to every path themselves
    public_urls: tuple[str, ...] = ()   # the vendor's own base URLs, as its docs give them (sandbox.mock() serves them)
    title: str = ""
    docs: str = ""
    bench: Bench = Bench()
    error_schema: object = None   # the marshmallow schema of ``render_error``'s bodies, for the OpenAPI document
    wire_json: Callable[[object], bytes] | None = None   # core.wire: the vendor stack's JSON bytes; None: Flask's
    extra: Mapping[str, object] = field(default_factory=dict)
    factories: object = None   # core.factories.Factories: the tables a test can make, and named scenarios

    @property
    def url_prefix(self) -> str:
        return self.mount + self.base_path

    @property
    def client_base(self) -> str:
        """The path a client's base URL ends in: the mount, plus ``base_path`` when the vendor's documented
        paths leave it out (appx documents ``/orders/{id}`` below ``/api/v1``; mittwald's clients add ``/v2``)."""
        return self.url_prefix if self.base_in_client_url else self.mount

    def owns(self, path: str) -> bool:
        return path == self.mount or path.startswith(self.mount + "/")


class Backend:
    """Base of every API's backend: the API's state in this request's session, the clock, and where
    its events go (the webhooks outbox; nowhere outside a running sandbox)."""

    events: Callable[[str, dict], None] | None = None

    def __init__(self, state: ApiState, clock: Clock):
        self.state = state
        self.clock = clock

    def emit(self, event: str, payload: dict) -> None:
        """Emit a vendor event (``store.order.paid``) once the current transaction commits."""
        if self.events is not None:
            sink = self.events
            self.state.after_commit(lambda: sink(event, payload))


def sandbox():
    """The running sandbox (store, clock, config, registry) of the current app."""
    return current_app.extensions["sandbox"]


def session_name() -> str:
    return g.get("sandbox_session", DEFAULT_SESSION)


def backend_for(spec: ApiSpec):
    box, session = sandbox(), session_name()
    backend = spec.backend(box.store.state(spec.name, session), box.clock)
    backend.events = box.webhooks.sink(spec.name, session)
    return backend


def json_body(*, required: bool = False):
    """The request body as JSON, whatever the Content-Type says (some SDKs send none)."""
    return parse_json_body(request.get_data(cache=True), required=required)


# Set in the WSGI environ by sandbox.mock(), which calls the app in process as the vendor's own host: what
# stands in for the API's mount in that host's URLs ("" for https://api.slyk.io/orders, not /slyk/orders).
PUBLIC_MOUNT = "sandbox.public_mount"
# Also set by sandbox.mock(): called when a fault rule drops the connection, in place of closing a socket.
DROP_CONNECTION = "sandbox.drop_connection"
# Set by sandbox/server.py: the request body, read whole before the app runs (app.SandboxRequest reads it there).
RAW_BODY = "sandbox.raw_body"


def link_base(spec: ApiSpec) -> str:
    """Scheme, host and mount of the URL the client called: every link in an answer starts with it."""
    # Not request.host_url: it rebuilds and IRI-decodes the whole URL on every call.
    req = request._get_current_object()
    return f"{req.scheme}://{req.host}{req.environ.get(PUBLIC_MOUNT, spec.mount)}"


def external_url(spec: ApiSpec, path: str = "") -> str:
    """An absolute URL under the API's prefix on the host the client called, for links in responses."""
    return f"{link_base(spec)}{spec.base_path}{path}"


def current_api() -> ApiSpec:
    """The API whose blueprint serves this request (found once per request from its path)."""
    spec = g.get("sandbox_api")
    return spec if spec is not None else sandbox().apis[request.blueprint]


def current_backend():
    return backend_for(current_api())


def api_blueprint(name: str) -> Blueprint:
    """The blueprint of the API ``name``. The API's documented auth headers are checked before every one of
    its routes by the request's single before-step (core/lifecycle.py ``begin``), after the fault rules.

    Routing 404s and 405s never reach a blueprint, so an unknown path answers 404 before auth, as the
    real frameworks do."""
    return Blueprint(name, f"sandbox.apis.{name}")
