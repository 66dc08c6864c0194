"""Health, reset, and the whole state as JSON: export and all-or-nothing import."""

from __future__ import annotations

from sandbox import __version__
from sandbox.control import schemas as S
from sandbox.control.base import api_names, box, bp, request_json
from sandbox.core import errors
from sandbox.core.api import session_name
from sandbox.core.fixtures import FixtureError, check_records
from sandbox.core.openapi import documented


@bp.get("/health")
@documented(response=S.HealthOut)
def health():
    """GET /__sandbox/health: 200 once the app exists, which is after seeding."""
    running = box()
    body = {"status": "ok", "version": __version__,
            "apis": {name: spec.client_base for name, spec in running.apis.items()}}
    failure = running.store.persistence_failure()
    if failure:     # writes are refused until a restart: a health check must say so
        return {**body, "status": "degraded", "message": f"the data directory stopped keeping changes: {failure}"}, 503
    return body


@bp.post("/reset")
@documented(response=S.ResetOut, query=S.ApiQueryIn, errors=(404,))
def reset():
    """POST /__sandbox/reset[?api=NAME]: back to exactly the seeded state."""
    names = api_names()
    for name in names:
        box().store.reset(name, session_name())
        box().webhooks.clear(session_name(), name)
    return {"reset": names, "session": session_name()}


@bp.get("/state")
@documented(response=S.StateOut, query=S.ApiQueryIn, errors=(404,))
def export_state():
    """GET /__sandbox/state[?api=NAME]: the whole state as JSON, importable with PUT."""
    store = box().store
    return {"session": session_name(),
            "apis": {name: store.state(name, session_name()).export() for name in api_names()}}


@bp.put("/state")
@documented(response=S.ReplacedOut, body=S.StateDocument, errors=(400,), example={"apis": {"shop": {"carts": []}}})
def import_state():
    """PUT /__sandbox/state: replace the state of every API in the document; all or nothing."""
    document = request_json()
    store = box().store
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
    store.imported(sum(len(records) for tables in apis.values() for records in tables.values()))
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
