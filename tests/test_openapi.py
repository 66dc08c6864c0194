"""Every API's OpenAPI document, for every API in the registry: it is a valid document, and the sandbox's
answers (the docs' examples, live reads of seeded records, errors) validate against it, so the spec cannot
drift from behaviour. A deliberately wrong body must fail, or the checks would prove nothing."""

from __future__ import annotations

import copy
import itertools
import json
import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from sandbox.apis.mittwald import OPENAPI_PATH
from sandbox.core.examples import load_examples, replay
from tests.conftest import api_specs, auth_headers, seeded_values

SPECS = api_specs()
ids = [spec.name for spec in SPECS]
DOCUMENT_URI = "urn:sandbox-openapi"


class Document:
    """One served OpenAPI document, with its operations by operationId and a response validator."""

    def __init__(self, document: dict):
        self.document = document
        self.registry = Registry().with_resource(
            DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012))
        self.operations = {op["operationId"]: (path, method, op)
                           for path, item in document["paths"].items() for method, op in item.items()}

    def response(self, operation_id: str, status: int) -> dict:
        path, method, operation = self.operations[operation_id]
        assert str(status) in operation["responses"], \
            f"{method.upper()} {path} answered {status}, not documented: {sorted(operation['responses'])}"
        return operation["responses"][str(status)]

    def errors(self, operation_id: str, status: int, body) -> list[str]:
        """Every way ``body`` breaks the document's schema for this answer."""
        path, method, _ = self.operations[operation_id]
        response = self.response(operation_id, status)
        if "content" not in response:
            return [] if body is None else [f"{status} documents no body, got {body!r}"]
        pointer = "/".join(p.replace("~", "~0").replace("/", "~1")
                           for p in ("paths", path, method, "responses", str(status), "content",
                                     "application/json", "schema"))
        validator = Draft202012Validator({"$ref": f"{DOCUMENT_URI}#/{pointer}"}, registry=self.registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        return [f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message}" for e in validator.iter_errors(body)]

    def assert_valid(self, operation_id: str, status: int, body) -> None:
        problems = self.errors(operation_id, status, body)
        assert not problems, f"{operation_id} {status}:\n" + "\n".join(problems[:20])


def document_of(client, path: str) -> Document:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return Document(response.get_json())


def operation_id(app, spec, method: str, path: str) -> str:
    """The view (= operationId) that serves ``method path`` below the API's base path."""
    adapter = app.url_map.bind("localhost")
    endpoint, _ = adapter.match(spec.url_prefix + path.split("?")[0], method=method)
    return endpoint.split(".")[-1]


def body_of(response):
    return response.get_json() if response.data else None


# -- the documents -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_each_api_serves_a_valid_openapi_document_at_its_mount(client, spec):
    response = client.get(spec.mount + "/openapi.json")       # no auth: a client reads it first
    assert response.status_code == 200 and response.is_json
    document = response.get_json()
    validate_openapi(document)
    assert document["openapi"].startswith("3.1")
    # The base URL the README gives clients; below it, the vendor's own paths.
    assert document["servers"] == [{"url": "http://localhost" + spec.client_base}]
    assert document["components"]["schemas"]["Error"]["type"] == "object"
    assert document["security"] and document["components"]["securitySchemes"]


def test_the_control_plane_serves_a_valid_openapi_document(client):
    document = document_of(client, "/__sandbox/openapi.json").document
    validate_openapi(document)
    assert document["servers"] == [{"url": "http://localhost/__sandbox"}]
    assert {"/health", "/reset", "/state", "/faults", "/clock"} <= set(document["paths"])


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_every_route_of_the_api_is_in_its_document(app, client, spec):
    document = document_of(client, spec.mount + "/openapi.json")
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(spec.name + "."):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(spec.client_base):])
            assert path in document.document["paths"], rule.rule
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in document.document["paths"][path], (method, rule.rule)


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_security_follows_the_api_auth(client, spec):
    document = document_of(client, spec.mount + "/openapi.json").document
    schemes = document["components"]["securitySchemes"]
    for alternatives in spec.auth.requirements:
        for credential in alternatives:
            assert any(s.get("name") == credential.header or s.get("scheme") == (credential.scheme or "").lower()
                       for s in schemes.values()), credential
    # Each security alternative names one credential per requirement.
    assert all(len(option) == len(spec.auth.requirements) for option in document["security"])


def test_documents_list_the_vendor_paths_below_the_client_base_url(client):
    """A client generated from the sandbox's document reaches the real API by changing only its base URL."""
    shop = document_of(client, "/shop/openapi.json").document
    assert shop["servers"] == [{"url": "http://localhost/shop"}] and "/api/v1/shop/orders" in shop["paths"]
    mittwald = document_of(client, "/mittwald/openapi.json").document
    assert mittwald["servers"] == [{"url": "http://localhost/mittwald"}]
    assert "/v2/customers/{customerId}/orders" in mittwald["paths"]
    theirs = {path.rstrip("/") for path in MITTWALD_SPEC["paths"]}
    assert set(mittwald["paths"]) <= theirs


# -- "Try it out": every documented write runs as its document prefills it -----------------------------
# A write that needs another one first: the state it needs cannot be in the seed without changing the docs' records.
NEEDS_FIRST = {"refund_order": "pay_order", "restore_snapshot": "save_snapshot", "delete_snapshot": "save_snapshot",
               "remove_fault": "add_fault", "unsubscribe_webhook": "subscribe_webhook",
               "drop_session": "create_session"}


def documents():
    yield "control-plane", "/__sandbox/openapi.json", {}
    for spec in SPECS:
        yield spec.name, spec.mount + "/openapi.json", auth_headers(spec)


def prefilled(document: dict, path: str, operation: dict) -> tuple[str, object]:
    """The URL and body Swagger UI's "Try it out" sends unchanged: path examples filled in, the body example."""
    for parameter in operation.get("parameters", ()):
        if parameter["in"] == "path":
            assert "example" in parameter, f"{operation['operationId']}: no example for {parameter['name']}"
            path = path.replace("{" + parameter["name"] + "}", parameter["example"])
    body = None
    if "requestBody" in operation:
        media = operation["requestBody"]["content"]["application/json"]
        assert "example" in media, f"{operation['operationId']} has a request body without an example"
        body = media["example"]
    return document["servers"][0]["url"].removeprefix("http://localhost") + path, body


@pytest.mark.parametrize("name,url,headers", list(documents()), ids=[d[0] for d in documents()])
def test_every_documented_write_runs_as_prefilled(name, url, headers):
    from sandbox import create_app
    from sandbox.config import TEST_CONFIG

    template = create_app(TEST_CONFIG).test_client().get(url).get_json()
    writes = {op["operationId"]: (path, method, op) for path, item in template["paths"].items()
              for method, op in item.items() if method != "get"}
    assert writes or name in ("appx", "mittwald", "formations")
    for operation_id, (path, method, op) in writes.items():
        client = create_app(TEST_CONFIG).test_client()      # each from the seeded state
        steps = [NEEDS_FIRST[operation_id]] if operation_id in NEEDS_FIRST else []
        for step in [*steps, operation_id]:
            step_path, step_method, step_op = writes[step]
            target, body = prefilled(template, step_path, step_op)
            response = client.open(target, method=step_method.upper(), headers=headers, json=body)
            assert response.status_code < 300, (step, target, body, response.get_data(as_text=True)[:300])
            Document(template).assert_valid(step, response.status_code, body_of(response))


# -- answers against the documents -------------------------------------------------------------------------
EXAMPLES = [(spec, example) for spec in SPECS for example in load_examples(spec.name)]


@pytest.mark.parametrize("spec,example", EXAMPLES, ids=[example["name"] for _, example in EXAMPLES])
def test_every_documented_example_answers_as_its_document_says(app, client, box, spec, example):
    document = document_of(client, spec.mount + "/openapi.json")
    response, _ = replay(client, spec, example, box.clock)
    op = operation_id(app, spec, example["request"]["method"], example["request"]["path"])
    document.assert_valid(op, response.status_code, body_of(response))


def seeded_reads(app, client, spec):
    """(operationId, response) for every GET route of the API, its path parameters naming seeded records."""
    values = seeded_values(app, spec)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith(spec.name + ".") or "GET" not in rule.methods:
            continue
        names = sorted(rule.arguments)
        assert all(name in values for name in names), f"no seeded value for a parameter of {rule.rule}"
        for combination in itertools.product(*(dict.fromkeys(values[name]) for name in names)):
            path = rule.rule
            for name, value in zip(names, combination):
                path = re.sub(rf"<(?:[^:>]+:)?{name}>", value, path)
            response = client.get(path, headers=auth_headers(spec))
            if response.status_code == 200:
                break
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        yield rule.endpoint.split(".")[-1], response


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_every_get_route_with_seeded_ids_answers_as_documented(app, client, spec):
    document = document_of(client, spec.mount + "/openapi.json")
    checked = 0
    for op, response in seeded_reads(app, client, spec):
        document.assert_valid(op, 200, body_of(response))
        checked += 1
    assert checked


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_reads_of_many_seeded_records_answer_as_documented(app, client, spec):
    """Regression: Faker-seeded records hold values the docs' records do not (formations lines with a null
    package name or officer names, found by the fuzzer), so the reads of many records are checked."""
    document = document_of(client, spec.mount + "/openapi.json")
    values = seeded_values(app, spec, per_table=40)
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(spec.name + ".") or "GET" not in rule.methods or len(rule.arguments) != 1:
            continue
        (name,) = rule.arguments
        for value in dict.fromkeys(values.get(name, ())):
            response = client.get(re.sub(rf"<(?:[^:>]+:)?{name}>", value, rule.rule), headers=auth_headers(spec))
            if response.status_code == 200:
                document.assert_valid(rule.endpoint.split(".")[-1], 200, body_of(response))


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_errors_answer_in_the_documented_error_shape(app, client, spec):
    document = document_of(client, spec.mount + "/openapi.json")
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(spec.name + ".") or "GET" not in rule.methods:
            continue
        op = rule.endpoint.split(".")[-1]
        path = re.sub(r"<[^>]+>", "no-such-record", rule.rule)
        unauthenticated = client.get(path)
        document.assert_valid(op, unauthenticated.status_code, body_of(unauthenticated))
        if rule.arguments:
            unknown = client.get(path, headers=auth_headers(spec))
            assert unknown.status_code in (403, 404), (path, unknown.status_code)
            document.assert_valid(op, unknown.status_code, body_of(unknown))


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_a_wrong_body_fails_its_document(app, client, box, spec):
    """The validation above would prove nothing if it accepted anything: an unknown key, a missing key and a
    value of the wrong type must each fail."""
    document = document_of(client, spec.mount + "/openapi.json")
    op, response = next((op, r) for op, r in seeded_reads(app, client, spec) if _first_object(body_of(r)))
    body = body_of(response)
    record = _first_object(body)

    with_extra = copy.deepcopy(body)
    _first_object(with_extra)["not_in_the_spec"] = 1
    assert document.errors(op, response.status_code, with_extra)

    without_key = copy.deepcopy(body)
    del _first_object(without_key)[next(iter(record))]
    assert document.errors(op, response.status_code, without_key)

    wrong_type = copy.deepcopy(body)
    obj = _first_object(wrong_type)
    key = next(k for k, v in obj.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool))
    obj[key] = [obj[key]]
    assert document.errors(op, response.status_code, wrong_type), key


def _first_object(body):
    """The first record in a body: the body itself, its ``data``/``order`` or the first item of a list."""
    if isinstance(body, list):
        return _first_object(body[0]) if body else None
    if isinstance(body, dict):
        for key in ("data", "order", "orders"):
            if isinstance(body.get(key), (dict, list)) and body[key]:
                return _first_object(body[key])
        return body
    return None


def test_control_plane_answers_as_its_document_says(client):
    document = document_of(client, "/__sandbox/openapi.json")
    calls = [("get", "/health", None, "health"), ("post", "/reset", None, "reset"),
             ("get", "/state?api=appx", None, "export_state"),
             ("post", "/snapshots/one", None, "save_snapshot"), ("get", "/snapshots", None, "list_snapshots"),
             ("post", "/faults", {"api": "appx", "status": 503, "times": 1}, "add_fault"),
             ("get", "/faults", None, "list_faults"), ("put", "/clock", {"now": "2025-01-01T00:00:00Z"}, "set_clock"),
             ("get", "/requests", None, "list_requests"), ("get", "/sessions", None, "list_sessions"),
             ("put", "/clock", {"now": "not a time"}, "set_clock"), ("post", "/reset?api=nope", None, "reset"),
             ("get", "/rules", None, "list_rules"), ("get", "/rules?api=slyk", None, "list_rules"),
             ("post", "/webhooks", {"api": "slyk", "url": "http://127.0.0.1:9/x"}, "subscribe_webhook"),
             ("post", "/webhooks", {"api": "appx", "url": "x"}, "subscribe_webhook"),
             ("get", "/webhooks", None, "list_webhooks"), ("get", "/webhooks/outbox", None, "webhook_outbox")]
    client.get("/appx/api/v1/orders/15", headers={"Authorization": "Bearer t"})
    client.post("/slyk/orders/fc78d28f-a8dd-49de-a22f-722fe3bd26c8/pay", headers={"apikey": "k"}, json={})
    for method, path, body, op in calls:
        response = client.open("/__sandbox" + path, method=method.upper(), json=body)
        document.assert_valid(op, response.status_code, body_of(response))


# -- mittwald: the generated document agrees with mittwald's own ------------------------------------------
MITTWALD_SPEC = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
MITTWALD_OPERATIONS = {"customer_orders": "order-list-customer-orders", "get_order": "order-get-order"}


def _deref(node, document):
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    if isinstance(node, dict) and "anyOf" in node and len(node["anyOf"]) == 1:
        return _deref(node["anyOf"][0], document)
    return node


def _types(node) -> set[str]:
    kind = node.get("type")
    found = set(kind) if isinstance(kind, list) else {kind} if kind else set()
    return {"number" if t == "integer" else t for t in found}


def narrower(ours, theirs, ours_doc, theirs_doc, path="$") -> list[str]:
    """Where ``ours`` admits a value ``theirs`` refuses: a type, an enum value, a property they do not know,
    or a property they require and we do not (ours may be stricter, never looser)."""
    ours, theirs = _deref(ours, ours_doc), _deref(theirs, theirs_doc)
    problems = []
    if _types(ours) - _types(theirs) and _types(theirs):
        problems.append(f"{path}: type {ours.get('type')} vs {theirs.get('type')}")
    if "enum" in theirs and set(ours.get("enum", ["<any>"])) - set(theirs["enum"]):
        problems.append(f"{path}: enum {ours.get('enum')} vs {theirs['enum']}")
    for key, prop in ours.get("properties", {}).items():
        if key not in theirs.get("properties", {}):
            problems.append(f"{path}.{key}: not in mittwald's spec")
        else:
            problems += narrower(prop, theirs["properties"][key], ours_doc, theirs_doc, f"{path}.{key}")
    missing = set(theirs.get("required", ())) - set(ours.get("required", ()))
    if ours.get("properties") is not None and missing:
        problems.append(f"{path}: mittwald requires {sorted(missing)}")
    if "items" in ours and "items" in theirs:
        problems += narrower(ours["items"], theirs["items"], ours_doc, theirs_doc, f"{path}[]")
    return problems


def test_the_mittwald_document_is_no_looser_than_mittwald_own(client):
    """Every body our document admits for the two emulated operations, mittwald's spec admits too:
    same properties, types within theirs, their required keys required; the same paths below ``/v2``,
    path parameters included."""
    ours = document_of(client, "/mittwald/openapi.json").document
    theirs_by_id = {op["operationId"]: (path, op) for path, item in MITTWALD_SPEC["paths"].items()
                    for op in item.values()}
    for ours_path, item in ours["paths"].items():
        operation = item["get"]
        their_path, theirs = theirs_by_id[MITTWALD_OPERATIONS[operation["operationId"]]]
        assert ours_path == their_path.rstrip("/")   # the same path below the same kind of base URL
        ours_schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        theirs_schema = theirs["responses"]["200"]["content"]["application/json"]["schema"]
        problems = narrower(ours_schema, theirs_schema, ours, MITTWALD_SPEC)
        assert not problems, "\n".join(problems)
        their_query = {p["name"] for p in theirs.get("parameters", ()) if p["in"] == "query"}
        our_query = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "query"}
        assert our_query <= their_query
