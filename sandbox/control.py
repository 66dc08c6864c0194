"""The control plane under ``/__sandbox/``: JSON in, JSON out, for every API through the registry.

health, reset, state export/import, named snapshots, the request journal, fault rules, the clock and
sessions. Every call honours ``X-Sandbox-Session`` like the APIs do, so a CI job drives only its own copy.

Who may call it, from which host name and which browser origin: ``sandbox/trust.py`` (its ``guard`` runs
before every view here). Health is open to all (health checks).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Blueprint, current_app, request

from sandbox import __version__
from sandbox import control_schemas as S
from sandbox import trust
from sandbox.core import errors, har
from sandbox.core.api import session_name
from sandbox.core.faults import FaultIn, parse_rule
from sandbox.core.fixtures import FixtureError, check_records
from sandbox.core.openapi import build, documented
from sandbox.core.rules import catalogue, machines
from sandbox.core.validation import load, parse_json_body

bp = Blueprint("control", __name__, url_prefix="/__sandbox")
ADMIN_HEADER = trust.ADMIN_HEADER
CLOCK_RANGE = (datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(9000, 12, 31, tzinfo=timezone.utc))


def _box():
    return current_app.extensions["sandbox"]


def _api_names() -> list[str]:
    """The APIs named by ``?api=`` (all when absent); an unknown name is a 404."""
    name = request.args.get("api")
    if name is None:
        return list(_box().apis)
    if name not in _box().apis:
        raise errors.NotFound(f"No API named {name!r}; known: {', '.join(_box().apis)}.")
    return [name]


def _body():
    raw = request.get_data(cache=True)
    # Parsed JSON takes up to ~50x its text (small arrays and numbers): bound the values before parsing.
    limit = int(current_app.config["CONTROL_MAX_JSON_VALUES"])
    if json_values(raw) > limit:
        raise errors.PayloadTooLarge(f"The body holds more than {limit} JSON values "
                                     "(SANDBOX_CONTROL_MAX_JSON_VALUES); import large states as fixtures "
                                     "(sandbox serve --fixtures DIR) instead.")
    return parse_json_body(raw, required=True)


def json_values(raw: bytes) -> int:
    """An upper bound on the JSON values in ``raw``: every value but the first follows a ``,`` or opens
    an array or object (commas inside strings only raise the bound). C-speed counts, no parsing."""
    return raw.count(b",") + raw.count(b"[") + raw.count(b"{") + 1


_guard = trust.guard       # also guards the pages (sandbox/ui imports it by this name)
bp.before_request(_guard)


@bp.get("/health")
@documented(response=S.HealthOut)
def health():
    """GET /__sandbox/health: 200 once the app exists, which is after seeding."""
    box = _box()
    body = {"status": "ok", "version": __version__,
            "apis": {name: spec.client_base for name, spec in box.apis.items()}}
    failure = box.store.persistence_failure()
    if failure:     # writes are refused until a restart: a health check must say so
        return {**body, "status": "degraded", "message": f"the data directory stopped keeping changes: {failure}"}, 503
    return body


@bp.post("/reset")
@documented(response=S.ResetOut, query=S.ApiQueryIn, errors=(404,))
def reset():
    """POST /__sandbox/reset[?api=NAME]: back to exactly the seeded state."""
    names = _api_names()
    for name in names:
        _box().store.reset(name, session_name())
        _box().webhooks.clear(session_name(), name)
    return {"reset": names, "session": session_name()}


@bp.get("/rules")
@documented(response=S.RulesOut, query=S.ApiQueryIn, errors=(404,))
def list_rules():
    """GET /__sandbox/rules[?api=NAME]: every rule the APIs enforce, with its source and state tables."""
    specs = [_box().apis[name] for name in _api_names()]
    return {"rules": [rule for spec in specs for rule in catalogue(spec)],
            "machines": [machine for spec in specs for machine in machines(spec)]}


# -- state export / import ------------------------------------------------------------------------
@bp.get("/state")
@documented(response=S.StateOut, query=S.ApiQueryIn, errors=(404,))
def export_state():
    """GET /__sandbox/state[?api=NAME]: the whole state as JSON, importable with PUT."""
    store = _box().store
    return {"session": session_name(),
            "apis": {name: store.state(name, session_name()).export() for name in _api_names()}}


@bp.put("/state")
@documented(response=S.ReplacedOut, body=S.StateDocument, errors=(400,), example={"apis": {"shop": {"carts": []}}})
def import_state():
    """PUT /__sandbox/state: replace the state of every API in the document; all or nothing."""
    document = _body()
    store = _box().store
    apis = document.get("apis") if isinstance(document, dict) else None
    if not isinstance(apis, dict) or not apis:
        raise errors.Invalid("The document needs an object 'apis': {api: {table: [records]}}.",
                             details={"apis": ["Required: an object of API name -> tables."]})
    built, problems = {}, {}
    for api, tables in apis.items():
        if api not in store.apis:
            problems[f"apis.{api}"] = [f"Unknown API; known: {', '.join(store.apis)}."]
            continue
        problem = _check_tables(tables, store.tables(api))
        if problem is None:
            try:
                current = store.state(api, session_name())
                for name, records in tables.items():
                    # Records the API renders today (seeded or written) say what it can render.
                    known = store.seeded(api)[name].all() + current[name].all()
                    check_records(f"apis.{api}.{name}", records, known, strict=False)
            except FixtureError as exc:
                problem = str(exc)
        if problem:
            problems[f"apis.{api}"] = [problem]
            continue
        try:
            # Tables the document leaves out keep their records: a test can replace just the carts.
            built[api] = store.build(api, {**store.state(api, session_name()).export(), **tables})
        except (KeyError, TypeError, ValueError) as exc:
            problems[f"apis.{api}"] = [str(exc).strip('"')]
    if problems:
        raise errors.Invalid(next(iter(problems.values()))[0], details=problems)
    store.restore(built, session_name())
    return {"replaced": list(built), "session": session_name()}


def _check_tables(tables, known: dict) -> str | None:
    if not isinstance(tables, dict):
        return "Expected an object of table name -> records."
    for name, records in tables.items():
        if name not in known:
            return f"Unknown table {name!r}; known: {', '.join(known)}."
        if not isinstance(records, list) or not all(isinstance(r, dict) and "id" in r for r in records):
            return f"Table {name!r} must be a list of objects, each with an 'id'."
    return None


# -- named snapshots ------------------------------------------------------------------------------
def _snapshots() -> dict:
    return _box().snapshots.setdefault(session_name(), {})


@bp.get("/snapshots")
@documented("GET /__sandbox/snapshots: the named snapshots of this session.", response=S.SnapshotsOut)
def list_snapshots():
    return {"snapshots": [{"name": name, "apis": list(saved["states"]), "created_at": saved["created_at"]}
                          for name, saved in _snapshots().items()]}


@bp.post("/snapshots/<name>")
@documented(response=S.SavedSnapshotOut, status=201, query=S.ApiQueryIn, params={"name": "before-checkout"})
def save_snapshot(name):
    """POST /__sandbox/snapshots/{name}[?api=NAME]: keep the current state under a name (in memory)."""
    names = _api_names()
    snapshots, limit = _snapshots(), int(current_app.config["MAX_SNAPSHOTS"])
    if name not in snapshots and len(snapshots) >= limit:
        raise errors.Conflict(f"Session {session_name()!r} holds {limit} snapshots, the most it may "
                              "(SANDBOX_MAX_SNAPSHOTS); delete one first.")
    snapshots[name] = {"states": _box().store.snapshot(names, session_name()), "created_at": _now_iso()}
    return {"name": name, "apis": names}, 201


@bp.post("/snapshots/<name>/restore")
@documented("POST /__sandbox/snapshots/{name}/restore: back to a named snapshot.", response=S.RestoredSnapshotOut,
            params={"name": "before-checkout"})
def restore_snapshot(name):
    saved = _snapshots().get(name)
    if saved is None:
        raise errors.NotFound(f"No snapshot named {name!r} in session {session_name()!r}.")
    _box().store.restore(saved["states"], session_name())
    return {"restored": name, "apis": list(saved["states"])}


@bp.delete("/snapshots")
@documented("DELETE /__sandbox/snapshots: forget every named snapshot of this session.", response=None, status=204)
def delete_snapshots():
    _box().snapshots.pop(session_name(), None)
    return "", 204


@bp.delete("/snapshots/<name>")
@documented("DELETE /__sandbox/snapshots/{name}: forget a named snapshot.", response=None, status=204,
            params={"name": "before-checkout"})
def delete_snapshot(name):
    if _snapshots().pop(name, None) is None:
        raise errors.NotFound(f"No snapshot named {name!r} in session {session_name()!r}.")
    return "", 204


# -- request journal ------------------------------------------------------------------------------
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
    entries = _box().journal.entries(session_name(), api=query.get("api"), method=query.get("method"),
                                     path=query.get("path"), status=query.get("status"), since=query.get("since"))
    return entries[-query["limit"]:] if "limit" in query else entries


@bp.delete("/requests")
@documented("DELETE /__sandbox/requests: clear the journal.", response=S.DeletedOut)
def clear_requests():
    return {"deleted": _box().journal.clear(session_name())}


# -- faults ---------------------------------------------------------------------------------------
@bp.post("/faults")
@documented(response=S.FaultOut, status=201, body=FaultIn, errors=(400,),
            example={"api": "slyk", "method": "POST", "path": "/orders", "status": 503, "times": 1})
def add_fault():
    """POST /__sandbox/faults {api, method, path, status, body, message, delay_ms, drop, times, probability}."""
    rule = _box().faults.add(session_name(), parse_rule(_body(), list(_box().apis)))
    return rule.as_json(), 201


@bp.get("/faults")
@documented("GET /__sandbox/faults: the fault rules with how often each fired.", response=S.FaultsOut)
def list_faults():
    return {"faults": [rule.as_json() for rule in _box().faults.rules(session_name())]}


@bp.delete("/faults")
@documented("DELETE /__sandbox/faults: remove every fault rule.", response=None, status=204)
def clear_faults():
    _box().faults.clear(session_name())
    return "", 204


@bp.delete("/faults/<int:fault_id>")
@documented("DELETE /__sandbox/faults/{id}: remove one fault rule.", response=None, status=204, params={"fault_id": "1"})
def remove_fault(fault_id):
    if not _box().faults.remove(session_name(), fault_id):
        raise errors.NotFound(f"No fault rule {fault_id} in session {session_name()!r}.")
    return "", 204


# -- webhooks -------------------------------------------------------------------------------------
@bp.post("/webhooks")
@documented(response=S.WebhookOut, status=201, body=S.WebhookIn, errors=(400,),
            example={"api": "slyk", "url": "http://127.0.0.1:9000/hook", "events": ["store.order.paid"]})
def subscribe_webhook():
    """POST /__sandbox/webhooks {"api": "slyk", "url": "http://127.0.0.1:9000/hook", "events": [...]}."""
    body = load(S.WebhookIn(), _body())
    box = _box()
    spec = box.apis.get(body["api"])
    if spec is None or not spec.events:
        with_events = [name for name, s in box.apis.items() if s.events]
        raise errors.Invalid("Unknown API.", details={"api": [f"Must name an API that emits webhooks: "
                                                               f"{', '.join(with_events)}."]})
    unknown = sorted(set(body["events"]) - set(spec.events))
    if unknown:
        raise errors.Invalid("Unknown events.", details={"events": [f"Unknown events {unknown}; known: "
                                                                     f"{', '.join(spec.events)}."]})
    return box.webhooks.subscribe(session_name(), spec.name, body["url"], body["events"]).as_json(), 201


@bp.get("/webhooks")
@documented("GET /__sandbox/webhooks: the subscriptions of this session.", response=S.WebhooksOut)
def list_webhooks():
    return {"webhooks": [s.as_json() for s in _box().webhooks.subscriptions(session_name())]}


@bp.delete("/webhooks")
@documented("DELETE /__sandbox/webhooks: remove every subscription of this session.", response=None, status=204)
def clear_webhooks():
    _box().webhooks.unsubscribe(session_name())
    return "", 204


@bp.delete("/webhooks/<int:subscription_id>")
@documented("DELETE /__sandbox/webhooks/{id}: remove one subscription.", response=None, status=204,
            params={"subscription_id": "1"})
def unsubscribe_webhook(subscription_id):
    if not _box().webhooks.unsubscribe(session_name(), subscription_id):
        raise errors.NotFound(f"No webhook subscription {subscription_id} in session {session_name()!r}.")
    return "", 204


@bp.get("/webhooks/outbox")
@documented(response=S.OutboxOut, query=S.OutboxQueryIn)
def webhook_outbox():
    """GET /__sandbox/webhooks/outbox[?api=&event=]: every event emitted, with its delivery attempts."""
    events = _box().webhooks.outbox(session_name(), api=request.args.get("api"), event=request.args.get("event"))
    return {"events": [event.as_json() for event in events], "total": len(events)}


@bp.post("/webhooks/flush")
@documented(response=S.OutboxOut)
def flush_webhooks():
    """POST /__sandbox/webhooks/flush: attempt every pending delivery now, then answer with the outbox."""
    events = _box().webhooks.flush(session_name())
    return {"events": [event.as_json() for event in events], "total": len(events)}


# -- clock ----------------------------------------------------------------------------------------
def _now_iso() -> str:
    return _box().clock.now().isoformat().replace("+00:00", "Z")


def _clock_state():
    return {"now": _now_iso(), "frozen": _box().clock.frozen}


@bp.get("/clock")
@documented("GET /__sandbox/clock: the time every timestamp comes from.", response=S.ClockOut)
def get_clock():
    return _clock_state()


@bp.put("/clock")
@documented(response=S.ClockOut, body=S.ClockIn, errors=(400,), example={"now": "2025-03-31T09:00:00Z"})
def set_clock():
    """PUT /__sandbox/clock {"now": "2025-03-31T09:00:00Z"} freezes; {"advance_seconds": N} moves it."""
    body = load(S.ClockIn(), _body())
    clock = _box().clock
    moment, seconds = body.get("now"), body.get("advance_seconds", 0)
    # Every timestamp an API writes must stay a valid RFC 3339 / Ymd date: keep the clock within 1970-9000.
    try:
        target = (moment or clock.now()) + timedelta(seconds=seconds)
    except OverflowError:
        target = None
    if target is None or not CLOCK_RANGE[0] <= target <= CLOCK_RANGE[1]:
        raise errors.Invalid("The clock must stay between 1970-01-01 and 9000-12-31.",
                             details={"now": ["The resulting time must be between 1970-01-01 and 9000-12-31."]})
    if moment is not None:
        clock.freeze(moment)
    if seconds:
        clock.advance(seconds)
    return _clock_state()


@bp.delete("/clock")
@documented("DELETE /__sandbox/clock: back to the real time.", response=S.ClockOut)
def real_clock():
    _box().clock.unfreeze()
    return _clock_state()


# -- sessions -------------------------------------------------------------------------------------
@bp.get("/sessions")
@documented("GET /__sandbox/sessions: the live sessions.", response=S.SessionsOut)
def list_sessions():
    return _sessions_view()


def _sessions_view() -> dict:
    store = _box().store
    return {"sessions": store.sessions(), "max_sessions": store.max_sessions, "evicted": list(store.evictions)}


@bp.put("/sessions/<name>")
@documented(response=S.SessionsOut, params={"name": "job-1"}, errors=(400,))
def create_session(name):
    """PUT /__sandbox/sessions/{name}: make a session (a copy of the seeded state) on purpose; idempotent."""
    from sandbox.app import SESSION_NAME   # the app module imports this one

    if not SESSION_NAME.match(name):
        raise errors.Invalid("Invalid session name.", details={"name": [
            "1-64 letters, digits, '.', '_', ':' or '-'."]})
    _box().store.touch_session(name)       # a copy of each API's seeded state is made on its first use
    return _sessions_view()


@bp.delete("/sessions/<name>")
@documented("DELETE /__sandbox/sessions/{name}: drop a named session.", response=None, status=204,
            params={"name": "job-1"})
def drop_session(name):
    if not _box().store.drop_session(name):
        raise errors.NotFound(f"No session named {name!r} (the default session can only be reset).")
    return "", 204


def render_error(err: errors.SandboxError) -> tuple[dict, int]:
    """The control plane's own shape, also used for paths that belong to no API."""
    body = {"error": type(err).__name__, "message": err.message}
    if err.details:
        body["details"] = err.details
    status = 400 if isinstance(err, errors.Invalid) else err.status
    return body, status


def openapi_document(app, base_url: str) -> dict:
    """The control plane's OpenAPI document (served at /__sandbox/openapi.json)."""
    return build(app, blueprint=bp.name, prefix=bp.url_prefix, title="order-sandbox control plane",
                 version=__version__, description="Reset, inspect and steer the sandbox; JSON in, JSON out.",
                 servers=[{"url": base_url + bp.url_prefix}], error_schema=S.ControlErrorOut)


def init_app(app) -> None:
    app.register_blueprint(bp)
