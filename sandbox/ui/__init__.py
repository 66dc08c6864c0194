"""Pages for people in a browser: the state dashboard at ``/__sandbox/`` and the API docs at ``/__sandbox/docs``.

Server-rendered Jinja with a little vanilla JS and CSS from this package, Swagger UI from the
``flask-swagger-ui`` wheel: no build step, no CDN, so it works offline. Every API comes from the registry
(``describe`` derives what to show), so a new API needs no code here.

The dashboard reads the store directly for the session of ``X-Sandbox-Session`` or ``?session=``; its
buttons call the real API routes and the control plane with ``fetch()``, so what a button does is exactly
what a client's request does (journalled, subject to fault rules). The pages sit behind the control
plane's guard: with ``SANDBOX_ADMIN_TOKEN`` set, only loopback clients (or ones sending the token) see them.

Not provided: editing records, choosing a request body for a transition (buttons send ``{}``), or showing
the wire format of a list: an order's JSON is the stored record, and its ``GET`` button shows the API's reply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, g, render_template, request, send_from_directory

from sandbox.control import _guard as control_plane_guard
from sandbox.core import errors, rules
from sandbox.core.api import session_name
from sandbox.core.store import DEFAULT_SESSION

from . import describe

bp = Blueprint("sandbox_ui", __name__, url_prefix="/__sandbox", template_folder="templates",
               static_folder="static", static_url_path="/assets")
bp.before_request(control_plane_guard)

PER_PAGE, MAX_PER_PAGE = 20, 200
JOURNAL_ROWS = 25
CONTROL_PLANE = "control-plane"   # /__sandbox/docs/control-plane: the control plane's own spec


def _box():
    return current_app.extensions["sandbox"]


@bp.before_request
def _session_from_query():
    """``?session=NAME`` works like ``X-Sandbox-Session`` (a browser cannot set headers on a link)."""
    from sandbox.core.lifecycle import SESSION_HEADER, SESSION_NAME

    name = request.args.get("session")
    if name is None or request.headers.get(SESSION_HEADER):
        return
    if not SESSION_NAME.match(name):
        raise errors.BadRequest("session must be 1-64 letters, digits, '.', '_', ':' or '-'.")
    # Looking must not create: a session is made by a request to an API, and one made here could push
    # a CI job's session out of the least-recently-used cap.
    if name not in _box().store.sessions():
        raise errors.NotFound(f"No session named {name!r} yet; live: {', '.join(_box().store.sessions())}.")
    g.sandbox_session = name


def _int_arg(name: str, default: int, ceiling: int | None = None) -> int:
    raw = request.args.get(name, "")
    value = int(raw) if raw.isascii() and raw.isdigit() and int(raw) > 0 else default
    return min(value, ceiling) if ceiling else value


def _base_url() -> str:
    return request.host_url.rstrip("/")


@dataclass
class OrderRow:
    id: Any
    status: Any
    created: Any
    json: str
    read_url: str | None
    actions: list[tuple[str, str, str]]   # (verb, method, url)


@dataclass
class Panel:
    """One API on the dashboard."""
    spec: Any
    base_url: str
    auth: list[str]
    headers: dict[str, str]
    tokens_restricted: bool
    table: str | None
    total: int = 0
    page: int = 1
    pages: int = 1
    status_field: str | None = None
    verbs: list[str] = field(default_factory=list)
    orders: list[OrderRow] = field(default_factory=list)
    rules: list[dict] = field(default_factory=list)      # core.rules.catalogue: what the API refuses, and why
    machines: list[dict] = field(default_factory=list)


def _panel(spec, page: int, per_page: int) -> Panel:
    url_map = current_app.url_map
    panel = Panel(spec, _base_url() + spec.client_base, describe.auth_description(spec), describe.auth_headers(spec),
                  spec.name in (current_app.config.get("TOKENS") or {}), describe.orders_table(spec),
                  rules=rules.catalogue(spec), machines=rules.machines(spec))
    if panel.table is None or panel.table not in spec.tables:
        return panel
    state = _box().store.state(spec.name, session_name())
    with state.lock:
        records = state[panel.table].all()
    records.reverse()                                  # newest first: what a client just created is on top
    panel.total = len(records)
    panel.pages = max(1, -(-len(records) // per_page))
    panel.page = min(page, panel.pages)
    shown = records[(panel.page - 1) * per_page:panel.page * per_page]
    key = describe.id_field(spec)
    transitions = describe.transitions(url_map, spec)
    read = describe.read_action(url_map, spec)
    panel.verbs = [action.verb for action in transitions]
    panel.status_field = describe.status_field(spec, shown[0]) if shown else None
    for record in shown:
        actions = [(a.verb, a.method, url) for a in transitions if (url := a.url(record, key))]
        panel.orders.append(OrderRow(
            record.get(key), describe.status_of(spec, record), describe.created_of(record),
            json.dumps(record, indent=2, ensure_ascii=False, default=str),
            read.url(record, key) if read else None, actions))
    return panel


def _journal() -> list[dict]:
    entries = _box().journal.entries(session_name())[-JOURNAL_ROWS:]
    rows = []
    for entry in reversed(entries):
        row = entry.as_json()
        row["response_text"] = json.dumps(row["response"], indent=2, ensure_ascii=False, default=str)
        rows.append(row)
    return rows


def _page_context() -> dict:
    session = session_name()
    return {"session": "" if session == DEFAULT_SESSION else session, "base_url": _base_url()}


@bp.get("/")
@bp.get("/dashboard")
def dashboard():
    """GET /__sandbox/[?api=NAME&page=N&per_page=N&session=S]: every API's orders, or one API's, paged."""
    only = request.args.get("api")
    apis = _box().apis
    if only is not None and only not in apis:
        raise errors.NotFound(f"No API named {only!r}; known: {', '.join(apis)}.")
    per_page = _int_arg("per_page", PER_PAGE, MAX_PER_PAGE)
    page = _int_arg("page", 1) if only else 1
    panels = [_panel(spec, page, per_page) for name, spec in apis.items() if only in (None, name)]
    return render_template("sandbox_ui/dashboard.html", panels=panels, only=only, per_page=per_page,
                           journal=_journal(), **_page_context())


def _spec_url(spec) -> str:
    return spec.mount + "/openapi.json"


def _has_route(path: str) -> bool:
    try:
        current_app.url_map.bind("localhost").match(path, method="GET")
    except Exception:   # NotFound, MethodNotAllowed, or a redirect: no plain GET route serves it
        return False
    return True


@bp.get("/docs")
def docs():
    """GET /__sandbox/docs: every API with its base URL, auth headers, a curl example and its Swagger UI."""
    url_map, base = current_app.url_map, _base_url()
    entries = []
    for spec in _box().apis.values():
        table = describe.orders_table(spec)
        state = _box().store.state(spec.name, session_name())
        with state.lock:
            records = state[table].all()[:1] if table in spec.tables else []
        entries.append({"spec": spec, "base_url": base + spec.client_base, "auth": describe.auth_description(spec),
                        "curl": describe.curl_example(spec, base, describe.example_path(
                            url_map, spec, records[0] if records else None)),
                        "spec_url": _spec_url(spec), "has_spec": _has_route(_spec_url(spec))})
    control = {"spec_url": "/__sandbox/openapi.json", "has_spec": _has_route("/__sandbox/openapi.json")}
    return render_template("sandbox_ui/docs.html", entries=entries, control=control,
                           control_name=CONTROL_PLANE, **_page_context())


@bp.get("/docs/<name>")
def swagger(name):
    """GET /__sandbox/docs/<api>: Swagger UI for ``<mount>/openapi.json`` (or a clear "no spec yet")."""
    apis = _box().apis
    if name == CONTROL_PLANE:
        title, spec_url, headers = "Control plane", "/__sandbox/openapi.json", {}
    elif name in apis:
        spec = apis[name]
        title, spec_url, headers = spec.title or spec.name, _spec_url(spec), describe.auth_headers(spec)
    else:
        raise errors.NotFound(f"No API named {name!r}; known: {', '.join(apis)}, {CONTROL_PLANE}.")
    return render_template("sandbox_ui/swagger.html", title=title, spec_url=spec_url, headers=headers,
                           **_page_context())


@lru_cache(maxsize=1)
def _swagger_dist() -> Path:
    import flask_swagger_ui

    return Path(flask_swagger_ui.__file__).parent / "dist"


@bp.get("/docs/assets/<path:filename>")
def swagger_asset(filename):
    """Swagger UI's own files, from the flask-swagger-ui wheel."""
    return send_from_directory(_swagger_dist(), filename, max_age=3600)


def init_app(app) -> None:
    app.register_blueprint(bp)
