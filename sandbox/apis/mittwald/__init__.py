"""mittwald: the v2 customer-orders API of mStudio (docs: seeds/mittwald-customer-orders.txt).

Where the seed is silent, ``openapi.json`` beside this file is the authority: an unchanged excerpt of
mittwald's published spec (mittwald/api-client-js, packages/mittwald/spec/openapi.json, commit in its
``info.x-excerpt-source``), copied from the project's shared/specs so that tests run on a clean clone."""

from pathlib import Path

from sandbox.core.api import ApiSpec, Bench
from sandbox.core.auth import Auth, Credential
from sandbox.core.wire import node_json

from . import errors, states
from .backend import MittwaldBackend
from .factories import FACTORIES
from .routes import bp
from .seed import seed

OPENAPI_PATH = Path(__file__).with_name("openapi.json")

API = ApiSpec(
    name="mittwald",
    mount="/mittwald",
    base_path="/v2",
    public_urls=("https://api.mittwald.de",),   # the clients add /v2
    base_in_client_url=False,   # the docs\' paths (and the clients) include base_path
    blueprint=bp,
    backend=MittwaldBackend,
    render_error=errors.render,
    seed=seed,
    tables={"customers": ("customerNumber",), "orders": ("customerId", "orderNumber")},
    # x-access-token is what the official clients send; Bearer is what the docs' curl sends.
    auth=Auth.of([Credential("x-access-token"), Credential("Authorization", "Bearer")]),
    rules=states.RULES,
    title="mittwald (mStudio v2 customer orders)",
    bench=Bench(one="GET /orders/{orders.id}", list="GET /customers/154219e9-bf4a-4f41-9c72-0449a98db62f/orders"),
    error_schema=errors.MittwaldErrorOut,
    factories=FACTORIES,
    wire_json=node_json,   # Node: JSON.stringify (docs/fidelity.md)
)
