"""What mittwald's tests share: the spec excerpt as a strict response validator, request helpers, and a
live sandbox (a real HTTP server in a thread) for mittwald's own Python client."""

from __future__ import annotations

import copy
import json
import threading

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.serving import make_server

from sandbox import create_app
from sandbox.apis.mittwald import OPENAPI_PATH
from sandbox.config import TEST_CONFIG

BASE = "/mittwald/v2"
DOCS_CUSTOMER = "154219e9-bf4a-4f41-9c72-0449a98db62f"
TOKEN = {"x-access-token": "any-token"}
SPEC = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
SPEC_URI = "urn:mittwald-orders-openapi"
OPERATIONS = {"customer_orders": ("/v2/customers/{customerId}/orders", "get"),
              "get_order": ("/v2/orders/{orderId}", "get")}


def _closed(node):
    """The spec with ``additionalProperties: false`` on every object that lists its properties and says
    nothing else, so an extra or misspelt key fails validation (the spec itself allows extras)."""
    if isinstance(node, dict):
        node = {key: _closed(value) for key, value in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_closed(value) for value in node]
    return node


_REGISTRY = Registry().with_resource(SPEC_URI, Resource.from_contents(_closed(copy.deepcopy(SPEC)),
                                                                       default_specification=DRAFT202012))


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def response_schema_ref(operation: str, status: int) -> str:
    """The JSON pointer of the schema the spec gives for ``operation`` answering ``status``.

    A 400 is the spec's ValidationError response (the operations only name ``default``, whose Error
    schema the validation body also satisfies: see test_errors_satisfy_the_default_error_schema)."""
    if status == 400:
        return f"{SPEC_URI}#/components/schemas/de.mittwald.v1.commons.ValidationErrors"
    path, method = OPERATIONS[operation]
    responses = SPEC["paths"][path][method]["responses"]
    key = str(status) if str(status) in responses else "default"
    ref = responses[key].get("$ref")
    if ref:
        return f"{SPEC_URI}{ref}/content/application~1json/schema"
    return f"{SPEC_URI}#/{_pointer('paths', path, method, 'responses', key, 'content', 'application/json', 'schema')}"


def spec_errors(body, operation: str, status: int) -> list[str]:
    """Every way ``body`` breaks the spec's schema for this answer (formats checked: uuid, date-time, email)."""
    validator = Draft202012Validator({"$ref": response_schema_ref(operation, status)}, registry=_REGISTRY,
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


def assert_matches_spec(body, operation: str, status: int) -> None:
    problems = spec_errors(body, operation, status)
    assert not problems, "\n".join(problems[:20])


class MittwaldCalls:
    """Requests through the Flask test client; every answer is checked against the spec before it is returned."""

    def __init__(self, client):
        self.client = client

    def get(self, operation: str, path: str, headers=None, **kwargs):
        response = self.client.get(BASE + path, headers=TOKEN if headers is None else headers, **kwargs)
        assert response.is_json, response.get_data(as_text=True)
        assert_matches_spec(response.get_json(), operation, response.status_code)
        return response

    def orders(self, customer: str = DOCS_CUSTOMER, query: str = "", **kwargs):
        return self.get("customer_orders", f"/customers/{customer}/orders{query}", **kwargs)

    def order(self, order_id: str, **kwargs):
        return self.get("get_order", f"/orders/{order_id}", **kwargs)


@pytest.fixture
def calls(client):
    return MittwaldCalls(client)


class LiveSandbox:
    """A real sandbox server on a free port, served by werkzeug in a thread."""

    def __init__(self):
        self.app = create_app(TEST_CONFIG)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()


@pytest.fixture(scope="module")
def live_sandbox():
    """Module-wide: the client tests only read, so one seeded server serves them all."""
    with LiveSandbox() as live:
        yield live
