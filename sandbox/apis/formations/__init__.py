"""formations: eFiling by BD Group's "Orders - JSON API", a UK company-formation service
(docs: seeds/formations-orders.txt; public facts: efiling-documentation.bdgroup.co.uk)."""

from sandbox.core.api import ApiSpec, Bench
from sandbox.core.auth import Auth, Credential
from sandbox.core.wire import php_json

from . import errors, states
from .backend import FormationsBackend
from .factories import FACTORIES
from .ratelimit import uk_ymdhis
from .routes import bp
from .schemas import FormationsErrorOut
from .seed import seed

API = ApiSpec(
    name="formations",
    mount="/formations",
    base_path="",
    blueprint=bp,
    backend=FormationsBackend,
    render_error=errors.render,
    seed=seed,
    tables={"orders": ("status",), "orderlines": ("order_id",)},
    auth=Auth.of(Credential("Authorization", "Basic")),
    rules=states.RULES,
    retry_after=uk_ymdhis,      # eFiling documents Retry-After as a YmdHis timestamp
    title="formations (eFiling by BD Group company-formation orders)",
    bench=Bench(one="get-orderlines", list="GET /orders"),   # no single-order endpoint: one order's lines
    error_schema=FormationsErrorOut,
    extra={"dashboard": {"status_words": states.ORDER_STATUSES}},   # eFiling writes statuses as codes
    factories=FACTORIES,
    wire_json=php_json,   # Laravel: PHP's json_encode (docs/fidelity.md)
)
