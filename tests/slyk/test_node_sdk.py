"""Slyk's official Node SDK runs its documented ``order.create`` example unchanged against a live sandbox.

The SDK (@slyk/slyk-sdk-node, the release on npm) and @babel/runtime, which its build needs beside it, are
installed by npm into ``.cache/slyk-sdk-node`` in the worktree (gitignored) on first use. Without npm the test
is skipped, except under CI, where it must run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.mittwald.conftest import LiveSandbox

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "slyk-sdk-node"
SCRIPT = Path(__file__).with_name("node") / "order_create_example.js"
PACKAGES = ("@slyk/slyk-sdk-node@0.15.0", "@babel/runtime@7")
# The example's product (docs/methods.md); the sandbox's catalogue is the seed's, so the test adds it.
EXAMPLE_PRODUCT = "8c507367-10e9-4b50-8912-d1b8d37d13d8"

NPM, NODE = shutil.which("npm"), shutil.which("node")
pytestmark = pytest.mark.skipif((NPM is None or NODE is None) and not os.environ.get("CI"),
                                reason="npm and node are needed to install and run Slyk's Node SDK")


@pytest.fixture(scope="module")
def sdk() -> Path:
    assert NPM and NODE, "under CI, npm and node must be installed for Slyk's SDK test"
    installed = CACHE / "node_modules" / "@slyk" / "slyk-sdk-node" / "package.json"
    if not installed.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([NPM, "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(CACHE),
                               *PACKAGES], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"npm install failed: {done.stderr[-2000:]}"
    return CACHE / "node_modules"


@pytest.fixture
def live():
    with LiveSandbox() as server:
        yield server


def add_example_product(live) -> None:
    """A copy of a seeded product under the example's id, through the control plane."""
    state = requests.get(f"{live.url}/__sandbox/state", timeout=10).json()["apis"]["slyk"]
    products = state["products"]
    products.append({**products[0], "id": EXAMPLE_PRODUCT, "name": "The SDK example's product"})
    response = requests.put(f"{live.url}/__sandbox/state", json={"apis": {"slyk": {"products": products}}}, timeout=10)
    assert response.status_code == 200, response.text


def test_the_sdk_order_create_example_runs_unchanged(sdk, live):
    add_example_product(live)
    done = subprocess.run([NODE, str(SCRIPT)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NODE_PATH": str(sdk), "SLYK_APIKEY": "any-key",
                               "SLYK_HOST": f"{live.url}/slyk"})
    assert done.returncode == 0, done.stderr[-2000:]
    order = json.loads(done.stdout)
    # What the example's documented answer shows, field by field where the sandbox can match it.
    assert order["userId"] is None and order["chosenPaymentMethod"] == "wallet"
    assert order["walletId"] == "5cabbc16-d845-418f-9ecc-7a9fcab99b49" and order["customData"] == {"qux": "quux"}
    assert (order["deliveryMethod"], order["orderStatus"], order["paymentStatus"]) == ("pickup", "unfulfilled", "unpaid")
    assert order["reference"] and order["netAmount"] and order["paidAmount"] == "0.00000000"
    stored = requests.get(f"{live.url}/slyk/orders/{order['id']}", headers={"apikey": "k"}, timeout=10).json()["data"]
    assert [line["productId"] for line in stored["lines"]] == [EXAMPLE_PRODUCT]
