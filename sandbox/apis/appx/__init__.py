"""appx: mysticky's trade-in orders, a Laravel API of JSON resources (docs: seeds/appx-orders.txt)."""

from sandbox.core.api import ApiSpec, Bench
from sandbox.core.auth import Auth, Credential
from sandbox.core.wire import php_json
from sandbox.core.laravel import LaravelErrorOut

from . import errors
from .backend import AppxBackend
from .factories import FACTORIES
from .routes import bp
from .seed import seed

API = ApiSpec(
    name="appx",
    mount="/appx",
    base_path="/api/v1",
    public_urls=("https://appx-api.mysticky.co.uk/api/v1", "https://appx-api2.mysticky.co.uk/api/v1"),  # the docs'
    blueprint=bp,
    backend=AppxBackend,
    render_error=errors.render,
    seed=seed,
    tables={"customers": (), "orders": ("customer_id",)},
    auth=Auth.of(Credential("Authorization", "Bearer")),
    title="appx (mysticky trade-in orders)",
    bench=Bench(one="get-order", list="GET /customers/1/orders"),
    error_schema=LaravelErrorOut,
    factories=FACTORIES,
    wire_json=php_json,   # Laravel: PHP's json_encode (docs/fidelity.md)
)
