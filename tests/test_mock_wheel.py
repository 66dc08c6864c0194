"""sandbox.mock() as a user's project gets it: the built wheel installed into an empty directory, and a
test suite of that project's own, run by a separate pytest, that calls the vendors' real hosts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CLIENT_SUITE = '''
import asyncio, http.server, threading

import httpx, pytest, requests

import sandbox
from mittwald_api_client import AuthenticatedClient
from mittwald_api_client.api.contract import order_list_customer_orders

SHOP = "https://shop.example.test"               # named by hosts= below
FORMATIONS = "https://formations.example.test"   # named by SANDBOX_MOCK_HOSTS, set by the runner
SLYK_ORDER = "fc78d28f-a8dd-49de-a22f-722fe3bd26c8"
FULFILL = f"https://api.slyk.io/orders/{{SLYK_ORDER}}/fulfill"
MITTWALD_CUSTOMER = "154219e9-bf4a-4f41-9c72-0449a98db62f"
SLYK_KEY = {{"apikey": "k"}}

CALLS = {{   # one documented read per vendor host: URL, headers, what the answer must hold
    "appx": ("https://appx-api.mysticky.co.uk/api/v1/orders/15", {{"Authorization": "Bearer t"}},
             lambda body: body["data"]["links"]["self"] == "https://appx-api.mysticky.co.uk/api/v1/orders/15"),
    "appx2": ("https://appx-api2.mysticky.co.uk/api/v1/orders/15", {{"Authorization": "Bearer t"}},
              lambda body: body["data"]["links"]["self"] == "https://appx-api2.mysticky.co.uk/api/v1/orders/15"),
    "slyk": (f"https://api.slyk.io/orders/{{SLYK_ORDER}}", SLYK_KEY, lambda body: body["data"]["id"] == SLYK_ORDER),
    "mittwald": (f"https://api.mittwald.de/v2/customers/{{MITTWALD_CUSTOMER}}/orders", {{"x-access-token": "t"}},
                 lambda body: len(body) == 15),
    "shop": (f"{{SHOP}}/api/v1/shop/orders/7", {{"Authorization": "Bearer t", "X-API-Key": "k"}},
             lambda body: body["order"]["id"] == 7),
    "formations": (f"{{FORMATIONS}}/orders/123/orderlines", {{"Authorization": "Basic k"}},
                   lambda body: isinstance(body, list) and body),
}}


@pytest.fixture
def local_server():
    """An HTTP server of the project's own on loopback: no mock may answer in its place."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"local")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{{server.server_port}}/ping"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_the_package_comes_from_the_wheel():
    import sandbox.mocking
    assert sandbox.__file__.startswith({target!r}) and sandbox.mocking.__file__.startswith({target!r})


@pytest.mark.parametrize("name", CALLS)
def test_requests_and_httpx_reach_each_vendor_host(name):
    url, headers, holds = CALLS[name]
    with sandbox.mock(hosts={{"shop": SHOP}}) as mock:
        via_requests = requests.get(url, headers=headers, timeout=10)
        via_httpx = httpx.get(url, headers=headers)
        via_async = asyncio.run(_async_get(url, headers))
    assert via_requests.status_code == via_httpx.status_code == via_async.status_code == 200, via_requests.text
    assert via_requests.json() == via_httpx.json() == via_async.json() and holds(via_requests.json())
    assert len(mock.requests()) == 3


async def _async_get(url, headers):
    async with httpx.AsyncClient() as client:
        return await client.get(url, headers=headers)


def test_state_is_kept_across_calls_until_reset():
    with sandbox.mock() as mock:
        assert requests.post(FULFILL, headers=SLYK_KEY, timeout=10).status_code == 200
        order = httpx.get(f"https://api.slyk.io/orders/{{SLYK_ORDER}}", headers=SLYK_KEY).json()["data"]
        assert order["orderStatus"] == "fulfilled"
        assert httpx.post(FULFILL, headers=SLYK_KEY).status_code == 409          # the rule sees the new state
        mock.reset()
        assert requests.post(FULFILL, headers=SLYK_KEY, timeout=10).status_code == 200


def test_a_fault_through_the_mock():
    with sandbox.mock(hosts={{"shop": SHOP}}) as mock:
        mock.fault(api="shop", path="*/orders/7", status=503, times=1)
        url, headers, _ = CALLS["shop"]
        assert requests.get(url, headers=headers, timeout=10).status_code == 503
        assert httpx.get(url, headers=headers).status_code == 200
        assert [entry["status"] for entry in mock.requests(api="shop")] == [503, 200]


@sandbox.mock()
def test_the_decorator():
    assert requests.post(FULFILL, headers=SLYK_KEY, timeout=10).status_code == 200


def test_the_fixture_starts_clean(sandbox_mock):
    assert sandbox_mock.requests() == []
    assert requests.post(FULFILL, headers=SLYK_KEY, timeout=10).status_code == 200


def test_the_fixture_was_reset_between_tests(sandbox_mock):
    assert sandbox_mock.requests() == []
    assert httpx.post(FULFILL, headers=SLYK_KEY).status_code == 200              # not 409: a fresh state


def test_another_host_is_left_alone(local_server):
    with sandbox.mock():
        assert requests.get(local_server, timeout=10).text == "local"
        assert httpx.get(local_server).text == "local"


def test_block_other_hosts_refuses_them_naming_the_host(local_server):
    host = local_server.split("/")[2]
    with sandbox.mock(block_other_hosts=True):
        with pytest.raises(requests.ConnectionError, match=f"refused a call to {{host}}"):
            requests.get(local_server, timeout=10)
        with pytest.raises(sandbox.mock.HostBlocked, match=f"refused a call to {{host}}"):
            httpx.get(local_server)
        assert requests.get(CALLS["slyk"][0], headers=SLYK_KEY, timeout=10).status_code == 200


def test_mittwalds_official_client_with_its_default_base_url():
    with sandbox.mock():
        with AuthenticatedClient(base_url="https://api.mittwald.de", token="t") as client:
            response = order_list_customer_orders.sync_detailed(MITTWALD_CUSTOMER, client=client)
        async def listed():
            async with AuthenticatedClient(base_url="https://api.mittwald.de", token="t") as client:
                return await order_list_customer_orders.asyncio_detailed(MITTWALD_CUSTOMER, client=client)
        async_response = asyncio.run(listed())
    assert response.status_code == async_response.status_code == 200
    assert len(response.parsed) == len(async_response.parsed) == 15
    assert {{order.customer_id for order in response.parsed}} == {{MITTWALD_CUSTOMER}}
'''

EXPECTED_PASSES = 1 + 6 + 8


def test_a_project_that_installs_the_wheel_mocks_the_vendors_hosts(installed_wheel, tmp_path):
    installed = installed_wheel             # tests/conftest.py: built once per test session
    (tmp_path / "test_client.py").write_text(CLIENT_SUITE.format(target=str(installed)))
    env = {**os.environ, "PYTHONPATH": str(installed),
           "SANDBOX_MOCK_HOSTS": "formations=https://formations.example.test"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "test_client.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{EXPECTED_PASSES} passed" in result.stdout, result.stdout
