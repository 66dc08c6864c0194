"""Pages for people in a browser: the state dashboard at ``/__sandbox/`` and the API docs at ``/__sandbox/docs``.

Server-rendered Jinja with a little vanilla JS and CSS from this package, Swagger UI from the
``flask-swagger-ui`` wheel: no build step, no CDN, so it works offline. Every API comes from the registry
(``describe`` derives what to show), so a new API needs no code here.

The dashboard reads the store directly for the session of ``X-Sandbox-Session`` or ``?session=``; its
buttons call the real API routes and the control plane with ``fetch()``, so what a button does is exactly
what a client's request does (journalled, subject to fault rules). The pages sit behind the control
plane's guard: with ``SANDBOX_ADMIN_TOKEN`` set, only loopback clients (or ones sending the token) see them.

Each API's records are listed newest first by their creation time, with the fields a developer scans for;
a record's page shows the API's own rendering, the records pointing at it and its history in the journal.
Only the transitions the API's state machines allow on a record are offered, sent with credentials the API
accepts for that record (shop: the token of the order's user). The controls (session, faults, clock,
snapshots, reset) call the control plane, always same-origin and with ``Content-Type: application/json``.

Not provided: editing records in place, or a request body for a transition (buttons send ``{}``; the create
form and Swagger UI take bodies).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, send_from_directory, url_for

from sandbox.core import errors, openapi, rules
from sandbox.core.api import session_name
from sandbox.core.store import DEFAULT_SESSION
from sandbox.core.validation import int_id

from . import describe

bp = Blueprint("sandbox_ui", __name__, url_prefix="/__sandbox", template_folder="templates",
               static_folder="static", static_url_path="/assets")

PER_PAGE, MAX_PER_PAGE = 20, 200
JOURNAL_ROWS = 25
CONTROL_PLANE = "control-plane"   # /__sandbox/docs/control-plane: the control plane's own spec


def _box():
    return current_app.extensions["sandbox"]


@bp.before_request
def _session_from_query():
    """``?session=NAME`` works like ``X-Sandbox-Session`` (a browser cannot set headers on a link)."""
    from sandbox.core.lifecycle import SESSION_HEADER, SESSION_NAME, SESSION_NAME_RULE

    name = request.args.get("session")
    if not name or request.headers.get(SESSION_HEADER):
        return
    if not SESSION_NAME.match(name):
        raise errors.BadRequest(f"session must be {SESSION_NAME_RULE}.")
    g.sandbox_session = name


def _session_exists() -> bool:
    """Looking must not create: a session made by a look could push a CI job's session out of the
    least-recently-used cap. The page offers to create a missing one (PUT /__sandbox/sessions/NAME)."""
    session = session_name()
    return session == DEFAULT_SESSION or session in _box().store.sessions()


def _int_arg(name: str, default: int, ceiling: int | None = None) -> int:
    value = int_id(request.args.get(name, "")) or default     # not a positive number (or over 19 digits)
    return min(value, ceiling) if ceiling else value


def _base_url() -> str:
    return request.host_url.rstrip("/")


@dataclass
class Button:
    verb: str
    method: str
    url: str
    headers: dict[str, str]

    @property
    def label(self) -> str:
        return f"{self.method} {self.url}"


@dataclass
class OrderRow:
    id: Any
    status: str
    more_statuses: list[tuple[str, Any]]
    number: Any
    customer: Any
    total: Any
    created: Any
    json: str
    detail_url: str
    read: Button | None
    actions: list[Button]


@dataclass
class Panel:
    """One API on the dashboard."""
    spec: Any
    base_url: str
    auth: list[str]
    tokens_restricted: bool
    table: str | None
    total: int = 0
    page: int = 1
    pages: int = 1
    order: str = ""
    status_field: str | None = None
    verbs: list[str] = field(default_factory=list)
    orders: list[OrderRow] = field(default_factory=list)
    create: Button | None = None
    create_example: str = ""
    rules: list[dict] = field(default_factory=list)      # core.rules.catalogue: what the API refuses, and why
    machines: list[dict] = field(default_factory=list)


def _records(spec, table: str) -> list[dict]:
    state = _box().store.state(spec.name, session_name())
    with state.lock:
        return state[table].all()


def _row(spec, record: dict, transitions, read) -> OrderRow:
    key = describe.id_field(spec)
    headers = describe.record_headers(spec, record, current_app.config)
    allowed = describe.allowed_verbs(spec, record, [a.verb for a in transitions])
    actions = [Button(a.verb, a.method, url, headers) for a in transitions
               if a.verb in allowed and (url := a.url(record, key))]
    read_url = read.url(record, key) if read else None
    return OrderRow(
        record.get(key), describe.status_words(spec, describe.status_of(spec, record)),
        describe.other_statuses(spec, record), describe.first_of(record, describe.NUMBER_FIELDS),
        describe.first_of(record, describe.CUSTOMER_FIELDS), describe.first_of(record, describe.TOTAL_FIELDS),
        describe.created_of(record), json.dumps(record, indent=2, ensure_ascii=False, default=str),
        url_for("sandbox_ui.record", api=spec.name, record_id=str(record.get(key)), **_session_arg()),
        Button("GET", "GET", read_url, headers) if read_url else None, actions)


def _create(spec) -> tuple[Button | None, str]:
    """The API's create route with the body its OpenAPI document prefills (the documented example)."""
    action = describe.create_action(current_app.url_map, spec)
    if action is None:
        return None, ""
    endpoint = next(rule.endpoint for rule in current_app.url_map.iter_rules() if rule.rule == action.rule
                    and "POST" in (rule.methods or ()))
    example = openapi.documented_examples(current_app, spec).get(endpoint)
    body = example.body if example else getattr(getattr(current_app.view_functions[endpoint], "openapi", None),
                                                 "example", None)
    return (Button("create", "POST", action.rule, describe.auth_headers(spec)),
            json.dumps(body if body is not None else {}, indent=2, ensure_ascii=False))


def _panel(spec, page: int, per_page: int) -> Panel:
    url_map = current_app.url_map
    panel = Panel(spec, _base_url() + spec.client_base, describe.auth_description(spec),
                  spec.name in (current_app.config.get("TOKENS") or {}), describe.orders_table(spec),
                  rules=rules.catalogue(spec), machines=rules.machines(spec))
    panel.create, panel.create_example = _create(spec)
    if panel.table is None or panel.table not in spec.tables or not _session_exists():
        return panel
    records, panel.order = describe.newest_first(_records(spec, panel.table))
    panel.total = len(records)
    panel.pages = max(1, -(-len(records) // per_page))
    panel.page = min(page, panel.pages)
    shown = records[(panel.page - 1) * per_page:panel.page * per_page]
    transitions = describe.transitions(url_map, spec)
    read = describe.read_action(url_map, spec)
    panel.verbs = [action.verb for action in transitions]
    panel.status_field = describe.status_field(spec, shown[0]) if shown else None
    panel.orders = [_row(spec, record, transitions, read) for record in shown]
    return panel


JOURNAL_FILTERS = ("api", "method", "path", "status")


def _journal() -> tuple[list[dict], dict[str, str]]:
    """The latest journal rows of the session, filtered by ``j_<filter>`` query arguments (those of
    /__sandbox/requests), with request and response bodies pretty-printed."""
    filters = {name: request.args.get("j_" + name, "").strip() for name in JOURNAL_FILTERS}
    status = filters["status"]
    entries = _box().journal.entries(
        session_name(), api=filters["api"] or None, method=filters["method"] or None, path=filters["path"] or None,
        status=int_id(status))
    return _journal_rows(entries), filters


def _journal_rows(entries) -> list[dict]:
    """The latest entries, newest first, as the journal table shows them."""
    rows = []
    for entry in reversed(entries[-JOURNAL_ROWS:]):
        row = entry.as_json()
        for part in ("body", "response"):
            row[part + "_text"] = "" if row[part] is None else \
                json.dumps(row[part], indent=2, ensure_ascii=False, default=str)
        rows.append(row)
    return rows


def _session_arg() -> dict:
    session = session_name()
    return {} if session == DEFAULT_SESSION else {"session": session}


def _page_context() -> dict:
    session = session_name()
    return {"session": "" if session == DEFAULT_SESSION else session, "base_url": _base_url(),
            "sessions": _box().store.sessions(), "session_exists": _session_exists()}


def _controls() -> dict:
    """What the control plane holds for this session: faults, clock, snapshots."""
    box = _box()
    session = session_name()
    return {"faults": [rule.as_json() for rule in box.faults.rules(session)],
            "clock": {"now": box.clock.now().isoformat().replace("+00:00", "Z"), "frozen": box.clock.frozen},
            "snapshots": [{"name": name, "apis": list(saved["states"]), "created_at": saved["created_at"]}
                          for name, saved in box.snapshots.get(session, {}).items()]}


@bp.get("/")
@bp.get("/dashboard")
def dashboard():
    """GET /__sandbox/[?api=NAME&page=N&per_page=N&session=S&j_api=&j_method=&j_path=&j_status=]: every API's
    records (or one API's, paged), the controls of the session and its journal."""
    only = request.args.get("api")
    apis = _box().apis
    if only is not None and only not in apis:
        raise errors.NotFound(f"No API named {only!r}; known: {', '.join(apis)}.")
    per_page = _int_arg("per_page", PER_PAGE, MAX_PER_PAGE)
    page = _int_arg("page", 1) if only else 1
    panels = [_panel(spec, page, per_page) for name, spec in apis.items() if only in (None, name)]
    journal, filters = _journal()
    return render_template("sandbox_ui/dashboard.html", panels=panels, only=only, per_page=per_page,
                           journal=journal, filters=filters, controls=_controls(), apis=list(apis),
                           journal_query={name: value for name, value in filters.items() if value},
                           **_page_context())


@bp.get("/records/<api>/<record_id>")
def record(api, record_id):
    """GET /__sandbox/records/<api>/<id>: one record: its fields, the API's own rendering (fetched by the
    page from the API's read route), the records that point at it, its transitions and its history."""
    spec = _box().apis.get(api)
    table = describe.orders_table(spec) if spec else None
    if table is None or table not in spec.tables:
        raise errors.NotFound(f"No API named {api!r} with records; known: {', '.join(_box().apis)}.")
    if not _session_exists():
        raise errors.NotFound(f"No session named {session_name()!r} yet.")
    key = describe.id_field(spec)
    found = next((r for r in _records(spec, table) if str(r.get(key)) == record_id), None)
    if found is None:
        raise errors.NotFound(f"No record {record_id!r} in {api}'s {table}.")
    url_map = current_app.url_map
    row = _row(spec, found, describe.transitions(url_map, spec), describe.read_action(url_map, spec))
    tables = {name: _records(spec, name) for name in spec.tables}
    related = {name: [json.dumps(r, indent=2, ensure_ascii=False, default=str) for r in records]
               for name, records in describe.related(spec, found, tables).items()}
    segment = f"/{record_id}/"                       # entry.path is decoded, as the route saw it
    history = _journal_rows([entry for entry in _box().journal.entries(session_name(), api=api)
                             if segment in entry.path + "/"])
    return render_template("sandbox_ui/record.html", spec=spec, table=table, row=row, related=related,
                           history=history, **_page_context())


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


def root():
    """``/`` from a browser (HTML preferred to JSON) leads to the dashboard; for an API client it stays the
    JSON 404 of a path no API owns. Every method is routed here, so none turns into a 405."""
    from werkzeug.exceptions import NotFound

    wants_html = request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
    if request.method in ("GET", "HEAD") and wants_html:
        return redirect(url_for("sandbox_ui.dashboard"))
    raise NotFound()


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.add_url_rule("/", "sandbox_root", root, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                     provide_automatic_options=False)
