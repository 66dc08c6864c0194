"""sandbox.mock(): calls to the vendors' own hosts answered in process (the wheel's side: test_mock_wheel.py).

The rules that map a called URL into the sandbox are plain unit tests; everything else goes through the
clients (requests, httpx) exactly as code under test calls the real services."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys

import httpx
import pytest
import requests

import sandbox
from sandbox.core.examples import expected_body, load_examples
from sandbox.mocking import HostBlocked, Mock, clients
from sandbox.mocking.hosts import ApiPlace, VendorHosts, hosts_from_environment
from tests.conftest import APIS, api_specs, assert_same_json

SHOP, FORMATIONS = "https://shop.example.test", "https://formations.example.test"
SLYK_ORDER = "fc78d28f-a8dd-49de-a22f-722fe3bd26c8"

APPX = ApiPlace("appx", "/appx", "/api/v1", ("https://appx-api.mysticky.co.uk/api/v1",))
SHOP_PLACE = ApiPlace("shop", "/shop", "/api/v1/shop")
SLYK = ApiPlace("slyk", "/slyk", "", ("https://api.slyk.io",))


@pytest.fixture(scope="module")
def mock():
    """One mock for the module, every API served (shop and formations on hosts named here)."""
    handle = sandbox.mock(hosts={"shop": SHOP, "formations": FORMATIONS})
    with handle:
        yield handle


@pytest.fixture
def clean_mock(mock):
    mock.clean()
    return mock


# -- the rules: which URL goes where ---------------------------------------------------------------
def test_a_documented_host_maps_onto_the_sandbox_mount():
    hosts = VendorHosts.build([APPX, SLYK], environ={})
    target = hosts.resolve("https://appx-api.mysticky.co.uk/api/v1/orders/15?x=1")
    assert (target.api, target.origin, target.path, target.query, target.public_mount) == \
        ("appx", "https://appx-api.mysticky.co.uk", "/appx/api/v1/orders/15", "x=1", "")
    assert hosts.resolve("https://API.SLYK.IO:443/orders").path == "/slyk/orders"
    for other in ("https://api.slyk.io:8443/orders", "http://appx-api.mysticky.co.uk/api/v1/orders/15",
                  "https://slyk.io/orders", "http://127.0.0.1:8080/slyk/orders", "not a url"):
        assert hosts.resolve(other) is None, other


def test_a_base_url_path_beyond_the_apis_own_is_where_the_vendor_mounts_it():
    hosts = VendorHosts.build([APPX, SHOP_PLACE], {"appx": "https://gw.test/legacy/api/v1",
                                                   "shop": ["https://gw.test/api/v1", "https://gw.test/shop"]},
                              environ={})
    assert hosts.resolve("https://gw.test/legacy/api/v1/orders/15").path == "/appx/api/v1/orders/15"
    assert hosts.resolve("https://gw.test/legacy/api/v1/orders/15").public_mount == "/legacy"
    assert hosts.resolve("https://gw.test/shop/api/v1/shop/orders").path == "/shop/api/v1/shop/orders"
    # the shop at the root of gw.test takes everything the longer /legacy and /shop mounts do not
    assert hosts.resolve("https://gw.test/api/v1/shop/orders").path == "/shop/api/v1/shop/orders"
    assert hosts.resolve("https://gw.test/legacyx").api == "shop"


def test_hosts_come_from_the_docs_then_the_environment_then_the_argument():
    environ = {"SANDBOX_MOCK_HOSTS": "shop=https://env-shop.test, slyk=https://env-slyk.test"}
    hosts = VendorHosts.build([APPX, SHOP_PLACE, SLYK], {"slyk": "https://arg-slyk.test"}, environ)
    assert hosts.urls("appx") == APPX.public_urls
    assert hosts.urls("shop") == ("https://env-shop.test",)
    assert hosts.urls("slyk") == ("https://arg-slyk.test",)
    assert VendorHosts.build([APPX], {"appx": ()}, {}).resolve("https://appx-api.mysticky.co.uk/api/v1/x") is None
    assert hosts_from_environment("shop=https://a.test shop=https://b.test") == {"shop": ["https://a.test",
                                                                                       "https://b.test"]}


@pytest.mark.parametrize("hosts,environ,message", [
    ({"nope": "https://x.test"}, {}, "no API named 'nope'"),
    ({"shop": "ftp://x.test"}, {}, "must be an http(s) URL"),
    ({"shop": "https://x.test/?a=1"}, {}, "without query"),
    ({"shop": "https://api.slyk.io"}, {}, "given for both"),
    (None, {"SANDBOX_MOCK_HOSTS": "shop"}, "each entry is api=URL"),
])
def test_a_bad_host_setting_is_refused_with_a_clear_message(hosts, environ, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        VendorHosts.build([APPX, SHOP_PLACE, SLYK], hosts, environ)


# -- answers through the clients -------------------------------------------------------------------
def base_url(mock: Mock, spec) -> str:
    """The URL the API's documented paths (its examples) are below, on its first served host."""
    url = mock.url(spec.name)
    return url if url.endswith(spec.base_path) else url + spec.base_path


EXAMPLES = [(spec, example) for spec in api_specs() for example in load_examples(spec.name)]


@pytest.mark.parametrize("spec,example", EXAMPLES, ids=[example["name"] for _, example in EXAMPLES])
def test_every_documented_example_answers_through_the_vendors_host_as_documented(clean_mock, spec, example):
    """The docs print their answers with the vendor's host in every link: through the mock, at that very
    host, the answer is the docs' body as it stands."""
    root = example["hosts"][0] if example.get("hosts") else base_url(clean_mock, spec)
    if example.get("clock"):
        clean_mock.freeze(example["clock"])
    request = example["request"]
    for step in [*example.get("given", ()), request]:
        body = step.get("body")
        response = requests.request(step["method"], root + step["path"], headers=request.get("headers", {}),
                                    data=None if body is None else body if isinstance(body, str) else json.dumps(body),
                                    timeout=10)
    assert response.status_code == example["response"]["status"], response.text
    expected = expected_body(example, root)
    if expected is None:
        assert response.content == b""
    else:
        assert_same_json(expected, response.json())


def test_a_paginator_follows_next_links_through_the_mock(clean_mock):
    """appx's Laravel links carry the host called (both documented hosts), so following them stays mocked."""
    for host in sandbox.mock().hosts.urls("appx"):
        ids, url = [], f"{host}/customers/1/orders"
        with httpx.Client(headers={"Authorization": "Bearer t"}) as client:
            while url:
                page = client.get(url).raise_for_status().json()
                assert page["meta"]["path"] == f"{host}/customers/1/orders"
                ids += [order["id"] for order in page["data"]]
                url = page["links"]["next"]
        assert len(ids) == page["meta"]["total"] > 15 and len(set(ids)) == len(ids)


def test_links_keep_the_path_a_vendor_is_mounted_under():
    with sandbox.mock(hosts={"appx": "https://gw.example.test/legacy/api/v1"}):
        page = requests.get("https://gw.example.test/legacy/api/v1/customers/1/orders",
                            headers={"Authorization": "Bearer t"}, timeout=10).json()
    assert page["links"]["next"] == "https://gw.example.test/legacy/api/v1/customers/1/orders?page=2"


def test_bad_input_gets_the_vendors_own_error_and_changes_nothing(clean_mock):
    before = clean_mock.state("slyk")
    missing = requests.get("https://api.slyk.io/nope", headers={"apikey": "k"}, timeout=10)
    invalid = httpx.post(f"https://api.slyk.io/orders/{SLYK_ORDER}/pay", headers={"apikey": "k"},
                         content=b"{not json")
    unauthenticated = httpx.get("https://api.mittwald.de/v2/customers/x/orders")
    assert missing.status_code == 404 and set(missing.json()) == {"code", "message"}
    assert 400 <= invalid.status_code < 500 and "code" in invalid.json()
    assert unauthenticated.status_code == 401 and set(unauthenticated.json()) >= {"type", "message"}
    assert clean_mock.state("slyk") == before


def test_async_httpx_keeps_state_across_calls_until_reset(clean_mock):
    async def fulfil_and_read():
        async with httpx.AsyncClient(base_url="https://api.slyk.io", headers={"apikey": "k"}) as client:
            (await client.post(f"/orders/{SLYK_ORDER}/fulfill")).raise_for_status()
            return (await client.get(f"/orders/{SLYK_ORDER}")).json()["data"]["orderStatus"]

    assert asyncio.run(fulfil_and_read()) == "fulfilled"
    assert [(e["method"], e["path"]) for e in clean_mock.requests(api="slyk")] == [
        ("POST", f"/slyk/orders/{SLYK_ORDER}/fulfill"), ("GET", f"/slyk/orders/{SLYK_ORDER}")]
    clean_mock.reset()
    order = requests.get(f"https://api.slyk.io/orders/{SLYK_ORDER}", headers={"apikey": "k"}, timeout=10).json()
    assert order["data"]["orderStatus"] != "fulfilled"


def test_faults_and_the_clock_through_the_handle(clean_mock):
    clean_mock.fault(api="formations", status=429, times=1)
    clean_mock.fault(api="shop", drop=True, times=1)
    limited = httpx.get(f"{FORMATIONS}/orders/123/orderlines", headers={"Authorization": "Basic k"})
    assert limited.status_code == 429 and limited.headers["Retry-After"].isdigit()   # formations' YmdHis
    with pytest.raises(requests.ConnectionError, match="Connection aborted"):
        requests.get(f"{SHOP}/api/v1/shop/orders/7", headers={"Authorization": "Bearer t"}, timeout=10)
    with pytest.raises(httpx.RemoteProtocolError):
        clean_mock.fault(api="shop", drop=True, times=1)
        httpx.get(f"{SHOP}/api/v1/shop/orders/7", headers={"Authorization": "Bearer t"})
    assert [(e["api"], e["status"]) for e in clean_mock.requests()] == [("formations", 429), ("shop", 499),
                                                                          ("shop", 499)]
    clean_mock.freeze("2025-03-31T09:00:00Z")
    clean_mock.advance(90)
    assert clean_mock.control("GET", "/clock")["now"] == "2025-03-31T09:01:30Z"


def test_the_decorator_gives_each_call_a_clean_sandbox_sync_and_async():
    handle = sandbox.mock()
    fulfill = f"https://api.slyk.io/orders/{SLYK_ORDER}/fulfill"

    @handle
    def fulfil():
        return requests.post(fulfill, headers={"apikey": "k"}, timeout=10).status_code

    @handle
    async def fulfil_async():
        async with httpx.AsyncClient() as client:
            return (await client.post(fulfill, headers={"apikey": "k"})).status_code

    assert fulfil() == 200
    assert asyncio.run(fulfil_async()) == 200     # not a 409: the second call started from the seed
    assert not handle.active
    assert [e["status"] for e in handle.requests()] == [200]   # the last activation's journal, after it


def test_other_hosts_are_refused_only_when_asked(clean_mock):
    with sandbox.mock(block_other_hosts=True) as strict:
        for call in (lambda: requests.get("https://example.test/x", timeout=10),
                     lambda: httpx.get("https://example.test/x"),
                     lambda: asyncio.run(httpx.AsyncClient().get("https://example.test/x"))):
            with pytest.raises(HostBlocked, match=r"refused a call to example\.test"):
                call()
        assert requests.get(strict.url("slyk") + "/orders", headers={"apikey": "k"}, timeout=10).ok
    with pytest.raises(requests.ConnectionError) as refused:
        requests.get("http://127.0.0.1:9/x", timeout=5)   # the module's mock passes it on: nothing listens
    assert not isinstance(refused.value, HostBlocked)


def test_an_activation_is_not_entered_twice_and_hands_back_its_app():
    handle = sandbox.mock()
    with handle:
        with pytest.raises(RuntimeError, match="already active"):
            handle.start()
        assert handle.app.extensions["sandbox"].apis.keys() == set(APIS)
    assert not handle.active


def test_a_client_whose_interception_library_is_missing_is_an_error(monkeypatch):
    monkeypatch.setattr(clients, "installed", lambda module: module != "respx")
    with pytest.raises(ImportError, match=r"respx.*order-sandbox\[mock\]"):
        sandbox.mock().start()


def test_the_in_process_sandbox_leaves_a_data_dir_in_the_environment_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("SANDBOX_DATA_DIR", str(tmp_path))
    with sandbox.mock():
        requests.post(f"https://api.slyk.io/orders/{SLYK_ORDER}/fulfill", headers={"apikey": "k"}, timeout=10)
    assert list(tmp_path.iterdir()) == []


def test_importing_sandbox_loads_no_interception_library():
    probe = "import sys, sandbox; print(sorted({'responses', 'respx'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"



def test_of_two_mocks_the_one_started_last_answers_and_the_first_answers_again_after(mock):
    """The module's mock is active; an inner one with its own state answers until it stops."""
    fulfill = f"https://api.slyk.io/orders/{SLYK_ORDER}/fulfill"
    mock.clean()
    inner = sandbox.mock()
    with inner:
        assert requests.post(fulfill, headers={"apikey": "k"}, timeout=10).status_code == 200
        assert httpx.post(fulfill, headers={"apikey": "k"}).status_code == 409      # already fulfilled
        assert asyncio.run(httpx.AsyncClient().post(fulfill, headers={"apikey": "k"})).status_code == 409
    assert len(inner.requests()) == 3 and mock.requests() == []
    assert httpx.post(fulfill, headers={"apikey": "k"}).status_code == 200


def test_a_respx_mock_of_the_users_own_still_sees_the_other_hosts(clean_mock):
    import respx

    with respx.mock(assert_all_called=False) as own:
        own.get("https://internal.example.test/ping").respond(json={"pong": True})
        assert httpx.get("https://internal.example.test/ping").json() == {"pong": True}
        assert httpx.get("https://api.slyk.io/orders", headers={"apikey": "k"}).json()["data"]


def test_a_responses_mock_started_before_still_answers_the_other_hosts():
    import responses

    with responses.RequestsMock() as own:
        own.get("https://internal.example.test/ping", json={"pong": True})
        with sandbox.mock():
            assert requests.get("https://internal.example.test/ping", timeout=10).json() == {"pong": True}
            assert requests.get("https://api.slyk.io/orders", headers={"apikey": "k"}, timeout=10).ok


def test_the_journal_takes_every_filter_the_route_takes(clean_mock):
    for method in ("GET", "POST"):
        requests.request(method, f"https://api.slyk.io/orders/{SLYK_ORDER}/fulfill", headers={"apikey": "k"},
                         timeout=10)
    assert [e["method"] for e in clean_mock.requests(api="slyk", method="POST", path="*/fulfill")] == ["POST"]
    assert [e["status"] for e in clean_mock.requests(method="GET", limit=1)] == [405]


@pytest.mark.parametrize("chunks", [lambda: iter([b'{"userId": ', '"u"}']), lambda: io.BytesIO(b'{"userId": "u"}')],
                         ids=["iterable", "file"])
def test_a_streamed_request_body_reaches_the_sandbox_whole(clean_mock, chunks):
    answer = requests.post("https://api.slyk.io/orders", headers={"apikey": "k"}, data=chunks(), timeout=10).json()
    assert [error["field"] for error in answer["errors"]] == ["lines"]     # userId arrived


def test_the_same_record_on_one_host_under_two_mounts_gets_each_its_own_links():
    """Dumped bodies are memoised per record and host: the mount a host puts the API under is part of it."""
    for mount in ("/a", "", "/b"):
        with sandbox.mock(hosts={"appx": f"https://gw.example.test{mount}/api/v1"}):
            order = requests.get(f"https://gw.example.test{mount}/api/v1/orders/15",
                                 headers={"Authorization": "Bearer t"}, timeout=10).json()["data"]
        assert order["links"]["self"] == f"https://gw.example.test{mount}/api/v1/orders/15"


def test_the_handle_names_each_apis_base_url_and_says_when_it_has_none(monkeypatch):
    monkeypatch.delenv("SANDBOX_MOCK_HOSTS", raising=False)
    handle = sandbox.mock(hosts={"formations": ["https://f1.example.test", "https://f2.example.test"]})
    assert handle.url("appx") == "https://appx-api.mysticky.co.uk/api/v1"
    assert handle.url("mittwald") == "https://api.mittwald.de" and handle.url("slyk") == "https://api.slyk.io"
    assert handle.url("formations") == "https://f1.example.test"
    with pytest.raises(LookupError, match="SANDBOX_MOCK_HOSTS"):
        handle.url("shop")


def test_mittwalds_documented_base_url_with_v2_maps_like_the_clients_without_it():
    hosts = VendorHosts.build([ApiPlace("mittwald", "/mittwald", "/v2")],
                              {"mittwald": "https://api.mittwald.de/v2"}, {})
    assert hosts.resolve("https://api.mittwald.de/v2/orders/x").path == "/mittwald/v2/orders/x"


def test_the_mock_handle_makes_records_through_the_factories():
    import requests
    from sandbox import mock

    with mock() as handle:
        made = handle.make("slyk", "orders", orderStatus="fulfilled", paymentStatus="fully_paid")
        answer = requests.get(f"https://api.slyk.io/orders/{made[0]['id']}", headers={"apikey": "k"}).json()
        assert answer["data"]["orderStatus"] == "fulfilled"
