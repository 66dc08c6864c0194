"""The bad-input catalogue, against every endpoint of every API in the registry.

Each bad request must be either refused (a 4xx in the API's own error shape that changes no state of any
API) or ignored: a read answers 2xx and changes nothing; a write answers exactly as the same request
without the bad part does (same status, body and resulting state). Never a 5xx."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from sandbox import create_app
from sandbox.config import TEST_CONFIG
from tests.robustness.endpoints import (Endpoint, Request, endpoints, export_all, in_error_shape, isolated,
                                        prepare)

APP = create_app(TEST_CONFIG)
ENDPOINTS = endpoints(APP)
LIMIT = APP.config["MAX_CONTENT_LENGTH"]

# Raw JSON tokens put in place of a field's value, chosen by the type of the documented value so that each is
# wrong for it: other types, negative and huge numbers, the non-standard literals Python's json module
# accepts (NaN, Infinity, 1e999 -> inf), strings that are no number where a number is expected.
WRONG_CONTAINERS = ["[]", "{}", '[{"x": 1}]']
BAD_NUMBERS = ["-1", "0", "-99999999999999999999", "99999999999999999999999999999", "1e999", "-1e999", "NaN",
               "-Infinity"]
BAD_NUMERIC_STRINGS = ['"-1"', '"0"', '"abc"', '"1e999"', '"NaN"', '"-Infinity"', '"99999999999999999999999"',
                       '"-99999999999999999999"', '""', '"\\u0000"', '"ü✓💥"', json.dumps("9" * 5_000)]


def bad_values(documented) -> list[str]:
    if isinstance(documented, bool):
        return ['"abc"', "2", "1.5", *WRONG_CONTAINERS]
    if isinstance(documented, (int, float)):
        return [*BAD_NUMBERS, "1.5", "true", '"abc"', *WRONG_CONTAINERS]
    if isinstance(documented, str) and _is_decimal(documented):
        return [*BAD_NUMERIC_STRINGS, *BAD_NUMBERS, "true", *WRONG_CONTAINERS]
    if isinstance(documented, dict):
        return ['"abc"', "1", "true"]    # a list may be what an object field takes (PHP arrays)
    if isinstance(documented, list):
        return ['"abc"', "1", "true", "{}", '{"0": 1}']
    return ["true", "0", "-1", "1e999", "NaN", *WRONG_CONTAINERS]     # a string (or null) field


def _is_decimal(text: str) -> bool:
    """An amount sent as a string ("7.00000000"); digits alone may be a code such as a postcode."""
    try:
        float(text)
    except ValueError:
        return False
    return "." in text


BAD_QUERY_VALUES = ["-1", "0", "abc", "99999999999999999999", "1e999", "NaN", "", "\x00", "[]", "ü✓💥",
                    "x" * 5_000]
GENERIC_QUERY_KEYS = ["page", "limit", "skip", "sort", "page[size]", "page[number]", "filter[status]"]
UNKNOWN_QUERY = [[("nope", "1")], [("__proto__", "x"), ("constructor", "y")], [("filter[nope]", "1")],
                 [("ü✓", "💥")], [("a" * 2_000, "b")], [("", "")], [("page[size][x]", "1")]]
BAD_IDS = ["999999999", "0", "-1", "00000000-0000-0000-0000-000000000000", "nope", "..%2F..%2Fetc%2Fpasswd",
           "..%2F{value}", "%2e%2e", "%00", "{value}%00", "a" * 5_000, "%C3%BC%E2%9C%93", "%F0%9F%92%A5",
           "%FF%FE", "1%20OR%201%3D1", "1.0", "%2B1", "%20{value}", "{value}%20", "{value}%2Fx", "%7B%7D"]


@dataclass
class Case:
    label: str
    request: Request
    baselines: tuple[Request, ...] = ()   # what a write may equal if it ignores the bad part


def body_cases(endpoint: Endpoint):
    def raw(label, data, content_type="application/json"):
        return Case(label, endpoint.request(body=data, content_type=content_type), base)

    base = (endpoint.base_request(), endpoint.request(body=None))
    documented = json.dumps(endpoint.body if endpoint.body is not None else {}).encode()
    yield from (raw(f"malformed JSON {data!r}", data)
                for data in (b'{"a": ', b'{"a": 1,}', b"{'a': 1}", b"\xff\xfe\x00", b"nul", b"[1, 2", b"}"))
    yield raw("text/plain content type", documented, "text/plain")
    yield raw("form content type", b"a=b&c=d", "application/x-www-form-urlencoded")
    yield raw("multipart content type", b"--x\r\n\r\n", "multipart/form-data; boundary=x")
    yield raw("empty body", b"")
    yield raw("whitespace body", b" \n ")
    yield from (raw(f"JSON that is no object {data!r}", data) for data in (b"[]", b"null", b"42", b'"s"', b"true"))
    yield from (raw(f"nested {depth} deep", b"[" * depth + b"]" * depth) for depth in (100, 900, 5_000, 100_000))
    yield from (raw(f"objects nested {depth} deep", b'{"a":' * depth + b"1" + b"}" * depth)
                for depth in (100, 900, 5_000))
    documented_body = endpoint.body if isinstance(endpoint.body, dict) else None
    for path, documented, without in _field_paths(documented_body, _api_body_fields(endpoint)):
        removed = endpoint.request(body=json.dumps(without).encode())
        for value in bad_values(documented):
            data = _with_raw_value(documented_body or {}, path, value)
            yield Case(f"{'.'.join(map(str, path))} = {value[:40]}", endpoint.request(body=data), (*base, removed))


def query_cases(endpoint: Endpoint):
    base = (endpoint.base_request(), endpoint.request(query=[]))
    keys = list(dict.fromkeys([k for k, _ in endpoint.query] + GENERIC_QUERY_KEYS))
    for key in keys:
        yield Case(f"repeated ?{key}", endpoint.request(query=[*endpoint.query, (key, "1"), (key, "2")]), base)
        yield Case(f"?{key}[]", endpoint.request(query=[*endpoint.query, (key + "[]", "1")]), base)
        others = [(k, v) for k, v in endpoint.query if k != key]
        for value in BAD_QUERY_VALUES:
            yield Case(f"?{key}={value[:20]!r}", endpoint.request(query=[*others, (key, value)]),
                       (*base, endpoint.request(query=others)))
    for pairs in UNKNOWN_QUERY:
        yield Case(f"unknown query {pairs[0][0][:20]!r}", endpoint.request(query=[*endpoint.query, *pairs]), base)


def path_cases(endpoint: Endpoint):
    for param in endpoint.params:
        for bad in BAD_IDS:
            value = bad.replace("{value}", endpoint.args.get(param, "1"))
            yield Case(f"<{param}> = {value[:40]}", endpoint.request(args={param: value},
                                                                      body=_base_body(endpoint)))


def oversized_case(endpoint: Endpoint):
    yield Case("body over the limit", endpoint.request(body=b'{"a": "' + b"x" * LIMIT + b'"}'))


def _base_body(endpoint):
    return None if endpoint.body is None else json.dumps(endpoint.body).encode()


def _api_body_fields(endpoint: Endpoint) -> dict:
    """Fields (with a documented value) of the API's write bodies, to try on endpoints the docs give no
    body for."""
    found = {}
    for other in ENDPOINTS:
        if other.spec is endpoint.spec and isinstance(other.body, dict):
            found.update({k: v for k, v in other.body.items() if k not in found})
    return found or {"id": 1, "quantity": 1, "amount": "1.00", "status": "x"}


def _field_paths(body: dict | None, fallback: dict):
    """(path, documented value, body without that field) for every field down to the first element of
    lists, two levels deep; without a documented body, each field the API uses elsewhere on its own."""
    if body is None:
        for key, value in fallback.items():
            yield (key,), value, {}
        return

    def walk(node, prefix, depth):
        items = node.items() if isinstance(node, dict) else list(enumerate(node))[:1]
        for key, value in items:
            path = (*prefix, key)
            yield path, value
            if isinstance(value, (dict, list)) and value and depth < 2:
                yield from walk(value, path, depth + 1)

    for path, value in walk(body, (), 0):
        yield path, value, _without(body, path)


def _without(body, path):
    copy = json.loads(json.dumps(body))
    node = copy
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return copy


MARK = "\u2603RAW\u2603"


def _with_raw_value(body: dict, path, raw: str) -> bytes:
    copy = json.loads(json.dumps(body))
    node = copy
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = MARK
    return json.dumps(copy).replace(json.dumps(MARK), raw).encode()


# -- judging ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    status: int
    body: bytes
    state: dict


def outcome(box, client, request: Request) -> Outcome:
    def send():
        response = request.send(client)
        return Outcome(response.status_code, response.get_data(), export_all(box))
    return isolated(box, send)


def judge(endpoint: Endpoint, case: Case, got: Outcome, seeded: dict, box, client) -> str | None:
    """None if the answer is acceptable, else why not."""
    if got.status >= 500:
        return f"{got.status}: {got.body[:200]!r}"
    if 400 <= got.status < 500:
        try:
            body = json.loads(got.body)
        except ValueError:
            return f"{got.status} without a JSON body: {got.body[:200]!r}"
        if not in_error_shape(endpoint.spec, got.status, body):
            return f"{got.status} not in the API's error shape: {body!r}"[:300]
        if got.state != seeded:
            return f"{got.status} but the state changed"
        return None
    if endpoint.safe:
        return None if got.state == seeded else f"{got.status} and a read changed the state"
    if any(outcome(box, client, baseline) == got for baseline in case.baselines):
        return None
    return f"{got.status} for a write, unlike the same request without the bad part: {got.body[:200]!r}"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_every_bad_input_is_refused_in_the_api_shape_or_ignored(endpoint):
    app = create_app(TEST_CONFIG)
    endpoint = prepare(app, endpoint)
    box, client = app.extensions["sandbox"], app.test_client()
    seeded = export_all(box)
    # Filled path parameters must find a record, or the body and query cases would only ever meet a 404.
    assert not endpoint.params or outcome(box, client, endpoint.base_request()).status != 404, endpoint.path()
    failures = []
    for cases in (body_cases, query_cases, path_cases, oversized_case):
        for case in cases(endpoint):
            problem = judge(endpoint, case, outcome(box, client, case.request), seeded, box, client)
            if problem:
                failures.append(f"{case.label}: {problem}")
    assert not failures, f"{endpoint.name} {endpoint.path()}:\n  " + "\n  ".join(failures)


def test_every_api_and_every_write_endpoint_is_covered():
    """The catalogue comes from the url_map through the registry, so each API contributes its endpoints."""
    names = {e.spec.name for e in ENDPOINTS}
    assert names == set(APP.extensions["sandbox"].apis)
    assert any(not e.safe for e in ENDPOINTS)


# -- issue 14 finding 5: values that used to be stored (and broke every later read) or answered 500 ----------
NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"]
LONE_SURROGATES = ['"\\ud800"', '"a\\udfffb"', '"\\udc00\\ud800"']
SLYK = {"apikey": "k"}
SHOP = {"Authorization": "Bearer t", "X-API-Key": "k", "Content-Type": "application/json"}
SLYK_ORDER = "/slyk/orders/fc78d28f-a8dd-49de-a22f-722fe3bd26c8"


def _spec(name):
    return APP.extensions["sandbox"].apis[name]


def _refused_unchanged(client, box, send, api: str, status: int):
    before = export_all(box)
    response = send()
    assert response.status_code == status, response.get_data(as_text=True)
    assert in_error_shape(_spec(api), status, response.get_json())
    assert export_all(box) == before
    return response


@pytest.mark.parametrize("raw", NON_FINITE + LONE_SURROGATES)
def test_slyk_refuses_non_finite_numbers_and_lone_surrogates_in_any_body_value(client, box, raw):
    for path, body in ((SLYK_ORDER, '{"customData": {"x": %s}}'), (SLYK_ORDER, '{"userNotes": %s}'),
                       ("/slyk/orders", '{"userId": null, "lines": [{"productId": "x"}], "customData": {"y": [%s]}}')):
        method = client.patch if path == SLYK_ORDER else client.post
        response = _refused_unchanged(client, box, lambda: method(path, data=body % raw, headers={
            **SLYK, "Content-Type": "application/json"}), "slyk", 400)
        assert response.get_json()["code"] == "bad_request"
    listed = client.get("/slyk/orders?page[size]=100", headers=SLYK)
    assert listed.status_code == 200 and json.loads(listed.get_data())   # every record still valid JSON


@pytest.mark.parametrize("raw", NON_FINITE + LONE_SURROGATES)
def test_shop_reads_non_finite_numbers_and_lone_surrogates_as_no_input(client, box, raw):
    """PHP's json_decode fails on them (or, for 1e999, gives INF that json_encode cannot write)."""
    for body in ('{"items": [{"product_sku": "EH-1", "quantity": 1, "options": {"x": %s}}]}',
                 '{"items": [{"product_sku": "EH-1", "quantity": 1}], "notes": %s}'):
        response = _refused_unchanged(client, box, lambda: client.put("/shop/api/v1/shop/orders/7", data=body % raw,
                                                                      headers=SHOP), "shop", 422)
        assert response.get_json()["errors"] == {"items": ["The items field is required."]}


HUGE = "9" * 4301
HUGE_INTEGER_CASES = [   # (api, path, headers, status): a 4xx or the API's documented fallback, never a 500
    ("appx", f"/appx/api/v1/orders/{HUGE}", {"Authorization": "Bearer t"}, 404),
    ("appx", f"/appx/api/v1/customers/1/orders?page={HUGE}", {"Authorization": "Bearer t"}, 200),   # page 1
    ("shop", f"/shop/api/v1/shop/orders/{HUGE}", SHOP, 404),
    ("formations", f"/formations/orders/{HUGE}/orderlines", {"Authorization": "Basic k"}, 404),
    ("formations", f"/formations/orders?page[number]={HUGE}", {"Authorization": "Basic k"}, 200),  # past the end
    ("formations", f"/formations/orders?filter[statuses]={HUGE}", {"Authorization": "Basic k"}, 200),
    ("mittwald", f"/mittwald/v2/customers/x/orders?limit={HUGE}", {"x-access-token": "t"}, 400),
    ("mittwald", f"/mittwald/v2/customers/x/orders?skip={HUGE}", {"x-access-token": "t"}, 400),
    ("mittwald", f"/mittwald/v2/customers/x/orders?page={HUGE}", {"x-access-token": "t"}, 400),
    ("slyk", f"/slyk/orders?page[number]={HUGE}", SLYK, 400),
    ("slyk", f"/slyk/orders?page[size]={HUGE}", SLYK, 400),
]


@pytest.mark.parametrize("api,path,headers,status", HUGE_INTEGER_CASES, ids=[c[1][:60] for c in HUGE_INTEGER_CASES])
def test_integers_of_4301_digits_are_bounded_before_conversion(client, box, api, path, headers, status):
    before = export_all(box)
    response = client.get(path, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status >= 400:
        assert in_error_shape(_spec(api), status, response.get_json())
    assert export_all(box) == before


def test_the_documented_fallbacks_for_huge_pages(client):
    appx = client.get(f"/appx/api/v1/customers/1/orders?page={HUGE}", headers={"Authorization": "Bearer t"})
    assert appx.get_json()["meta"]["current_page"] == 1
    formations = client.get(f"/formations/orders?page[number]={HUGE}", headers={"Authorization": "Basic k"})
    assert formations.get_json() == []


@pytest.mark.parametrize("raw", ["[" + HUGE + "]", '{"customData": {"n": ' + HUGE + "}}"])
def test_a_json_integer_of_4301_digits_is_malformed_json_not_a_500(client, box, raw):
    _refused_unchanged(client, box, lambda: client.patch(SLYK_ORDER, data=raw, headers={
        **SLYK, "Content-Type": "application/json"}), "slyk", 400)


@pytest.mark.parametrize("path", [f"/__sandbox/requests?since={HUGE}", f"/__sandbox/requests?status={HUGE}",
                                  f"/__sandbox/requests?limit={HUGE}", f"/__sandbox/?j_status={HUGE}",
                                  f"/__sandbox/?page={HUGE}", f"/__sandbox/?per_page={HUGE}"])
def test_huge_integers_on_the_control_plane_and_the_pages_are_no_500(client, path):
    client.get("/slyk/orders", headers=SLYK)             # the journal has an entry to compare with
    response = client.get(path)
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
