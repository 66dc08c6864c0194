"""slyk: Slyk's store orders (docs: seeds/slyk-orders.txt; client: the official Node SDK slykio/slyk-sdk-node)."""

from sandbox.core.api import ApiSpec, Bench
from sandbox.core.auth import Auth, Credential
from sandbox.core.wire import node_json

from . import dashboard, errors, states
from .backend import SlykBackend
from .factories import FACTORIES
from .routes import bp
from .schemas import SlykErrorOut
from .seed import seed

API = ApiSpec(
    name="slyk",
    mount="/slyk",
    base_path="",
    public_urls=("https://api.slyk.io", "http://api.slyk.io"),   # the docs write both schemes
    blueprint=bp,
    backend=SlykBackend,
    render_error=errors.render,
    seed=seed,
    tables={"categories": (), "products": (), "users": (), "orders": ("userId",), "lines": ("orderId",)},
    auth=Auth.of(Credential("apikey")),
    rules=states.RULES,
    machines={"orderStatus": states.ORDER_FLOW, "paymentStatus": states.PAYMENT_FLOW},
    events=states.EVENTS,
    title="Slyk (store orders)",
    bench=Bench(one="get-order", list="GET /orders", create="create-order"),
    error_schema=SlykErrorOut,
    extra={"dashboard": {"offers": dashboard.offers}},   # a payment also needs an open order
    factories=FACTORIES,
    wire_json=node_json,   # Node: JSON.stringify (docs/fidelity.md)
)
