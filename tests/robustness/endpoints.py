"""Every endpoint of every API, found through the registry and the app's url_map, with path parameters
filled by records that exist, a base request taken from the docs' examples, and each API's error shape.

Nothing here names an API: a sixth one in the registry is covered as soon as it is mounted."""

from __future__ import annotations

import random
import re
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sandbox.core import errors, fake
from sandbox.core.examples import load_examples
from tests.conftest import auth_headers

FROZEN_AT = datetime(2025, 3, 31, 9, 0, tzinfo=timezone.utc)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@dataclass
class Request:
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None
    headers: dict = field(default_factory=dict)

    def send(self, client):
        return client.open(self.path, method=self.method, data=self.body, content_type=self.content_type,
                           headers=self.headers)


@dataclass
class Endpoint:
    spec: object
    rule: str        # /slyk/orders/<order_id>/lines/<line_id>
    method: str
    params: list[str]
    args: dict[str, str] = field(default_factory=dict)   # url-encoded values that reach a record
    body: object = None                                 # a documented body for this endpoint, if any
    query: list[tuple[str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.spec.name} {self.method} {self.rule}"

    @property
    def safe(self) -> bool:
        return self.method in SAFE_METHODS

    def path(self, **override: str) -> str:
        values = {**self.args, **override}
        return _PARAM.sub(lambda m: values.get(m[1], "1"), self.rule)

    def request(self, *, args: dict | None = None, query: list[tuple[str, str]] | None = None,
                body: bytes | None = None, content_type: str | None = "application/json") -> Request:
        path = self.path(**(args or {}))
        pairs = self.query if query is None else query
        if pairs:
            path += "?" + "&".join(f"{urllib.parse.quote(k, safe='[]')}={urllib.parse.quote(v, safe=',[]')}"
                                   for k, v in pairs)
        return Request(self.method, path, body, content_type if body is not None else None,
                       auth_headers(self.spec))

    def base_request(self) -> Request:
        return self.request(body=None if self.body is None else _dumps(self.body))


def _dumps(value) -> bytes:
    import json
    return json.dumps(value).encode()


# -- discovery --------------------------------------------------------------------------------------------
def endpoints(app) -> list[Endpoint]:
    """One ``Endpoint`` per (route, method) of every registered API, from the app's url_map."""
    box = app.extensions["sandbox"]
    found = []
    for spec in box.apis.values():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if rule.endpoint.partition(".")[0] != spec.blueprint.name:
                continue
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append(Endpoint(spec, rule.rule, method, _PARAM.findall(rule.rule)))
    return found


def prepare(app, endpoint: Endpoint) -> Endpoint:
    """Fill the endpoint's documented body and query, and path arguments that reach a record: the
    first candidate whose base request succeeds (else the first that is no 404)."""
    _attach_example(app, endpoint)
    if not endpoint.params:
        return endpoint
    client, box = app.test_client(), app.extensions["sandbox"]
    fallback = None
    for args in _candidate_args(app, endpoint):
        endpoint.args = args
        status = isolated(box, lambda: endpoint.base_request().send(client).status_code)
        if 200 <= status < 300:
            return endpoint
        if fallback is None and status != 404:
            fallback = args
    endpoint.args = fallback or next(iter(_candidate_args(app, endpoint)), {})
    return endpoint


def _attach_example(app, endpoint: Endpoint) -> None:
    adapter = app.url_map.bind("localhost")
    for example in load_examples(endpoint.spec.name):
        request = example["request"]
        path, _, query = (endpoint.spec.url_prefix + request["path"]).partition("?")
        try:
            rule, args = adapter.match(path, method=request["method"], return_rule=True)
        except Exception:   # an example of another method on the same path, or one the app does not serve
            continue
        if rule.rule == endpoint.rule and request["method"] == endpoint.method:
            endpoint.body = request.get("body")
            endpoint.query = urllib.parse.parse_qsl(query, keep_blank_values=True)
            endpoint.args = {k: urllib.parse.quote(str(v), safe="") for k, v in args.items()}
            return


def _camel(name: str) -> str:
    return re.sub(r"_(\w)", lambda m: m[1].upper(), name)


def _records_for(state: dict, param: str) -> list[tuple[dict, str]]:
    """(record, field) pairs whose field could fill ``param``: the id of table ``<stem>s`` for ``<stem>_id``
    or ``<stem>Id``, else any field spelled like the parameter (``order_number``, ``orderNumber``)."""
    stem = param[:-3] if param.endswith("_id") else param[:-2] if param.endswith("Id") else None
    for table, rows in state.items():
        if stem and table in (f"{stem}s", stem):
            return [(row, "id") for row in rows]
    for rows in state.values():
        for name in (param, _camel(param)):
            if rows and name in rows[0]:
                return [(row, name) for row in rows]
    return []


def _candidate_args(app, endpoint: Endpoint, limit: int = 80):
    """Argument sets from the docs' example first, then from seeded records of the last parameter's table,
    with the other parameters read from that record (a line's ``orderId`` fills ``order_id``)."""
    if endpoint.args:
        yield dict(endpoint.args)
    state = app.extensions["sandbox"].store.state(endpoint.spec.name).export()
    *others, last = endpoint.params
    for row, key in _records_for(state, last)[:limit]:
        args = {last: row[key]}
        for param in others:
            value = row.get(param, row.get(_camel(param)))
            if value is None:
                fallback = _records_for(state, param)
                value = fallback[0][0][fallback[0][1]] if fallback else "1"
            args[param] = value
        yield {k: urllib.parse.quote(str(v), safe="") for k, v in args.items()}


# -- running a request without leaving a trace ------------------------------------------------------------
def isolated(box, action):
    """Run ``action`` on a frozen clock with repeatable uuids, then put every API's state back."""
    saved = box.store.snapshot(box.store.apis)
    box.clock.freeze(FROZEN_AT)
    generator = random.Random(0)
    original = fake.new_uuid
    fake.new_uuid = lambda: str(uuid.UUID(int=generator.getrandbits(128), version=4))
    try:
        return action()
    finally:
        fake.new_uuid = original
        box.store.restore(saved)


def export_all(box) -> dict:
    return {api: box.store.state(api).export() for api in box.store.apis}


# -- each API's error shape --------------------------------------------------------------------------------
def _sample_errors() -> list[errors.SandboxError]:
    """One of every error the sandbox raises; rendering them gives every shape an API may answer in."""
    generic = errors.SandboxError("generic")
    generic.status = 400          # what a werkzeug 4xx becomes in the app's error dispatch
    return [errors.BadRequest("m"), errors.Unauthorized("m"), errors.Forbidden("m"), errors.NotFound("m"),
            errors.NotFound("m", code="some_code"),
            errors.RouteNotFound("m", method="GET", path="/x"),
            errors.MethodNotAllowed("m", method="TRACE", path="/x", allowed=["GET"]),
            errors.Conflict("m", code="some_code", rule="r"), errors.PayloadTooLarge("m"),
            errors.Invalid("m", details={"field": ["message"]}), errors.RateLimited("m"),
            errors.InternalError("m"), generic]


def signature(body) -> tuple:
    """A body's shape: its keys in order and the JSON type of each value."""
    if not isinstance(body, dict):
        return (type(body).__name__,)
    return tuple((key, type(value).__name__) for key, value in body.items())


def error_shapes(spec) -> dict[int, set[tuple]]:
    """status -> the shapes ``spec.render_error`` gives for it."""
    shapes: dict[int, set[tuple]] = {}
    for err in _sample_errors():
        body, status = spec.render_error(err)
        shapes.setdefault(status, set()).add(signature(body))
    return shapes


def in_error_shape(spec, status: int, body) -> bool:
    shapes = error_shapes(spec)
    every = set().union(*shapes.values())
    return signature(body) in shapes.get(status, every)
