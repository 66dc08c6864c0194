"""shop: a Laravel shop's orders API (docs: seeds/shop-orders.txt): list, read, create from the cart,
update and cancel while pending."""

from sandbox.core.api import ApiSpec, Bench
from sandbox.core.auth import Auth, Credential
from sandbox.core.wire import php_json
from sandbox.core.laravel import LaravelErrorOut

from . import errors, states, users
from .backend import ShopBackend
from .factories import FACTORIES
from .routes import bp
from .seed import carts_for_bench, seed

API = ApiSpec(
    name="shop",
    mount="/shop",
    base_path="/api/v1/shop",
    base_in_client_url=False,   # the docs\' paths (and the clients) include base_path
    blueprint=bp,
    backend=ShopBackend,
    render_error=errors.render,
    seed=seed,
    tables={"products": ("sku",), "variations": ("sku",), "carts": (), "orders": ("user_id", "order_number"),
            "sequences": ()},
    rules=states.RULES,
    machines={"customer actions by order status": states.CUSTOMER_ACTIONS},
    auth=Auth.of(Credential("Authorization", "Bearer"), Credential("X-API-Key")),
    title="shop (a Laravel shop's orders)",
    bench=Bench(one="get-order", list="list-orders", create="create-order", create_setup=carts_for_bench),
    error_schema=LaravelErrorOut,
    extra={"dashboard": {"token": users.dashboard_token}},   # each order with its owner's token
    factories=FACTORIES,
    wire_json=php_json,   # Laravel: PHP's json_encode (docs/fidelity.md)
)
