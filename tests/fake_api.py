"""A sixth API that exists only in tests: the UI must show it, with its transitions, with no UI code.

It has what shop and Slyk will have (POST ``/orders/<order_id>/cancel`` and ``/pay``), so the dashboard's
buttons are exercised before those APIs are merged. Use ``create_app({"APIS": (*APIS, "fakeshop")})``.
"""

from __future__ import annotations

import sys

from sandbox.core import errors
from sandbox.core.api import ApiSpec, Backend, api_blueprint, current_backend
from sandbox.core.auth import Auth, Credential
from sandbox.core.transitions import Transitions

NAME = "fakeshop"
# load_apis imports sandbox.apis.<name>; Blueprint resolves its root path through sys.modules.
sys.modules.setdefault(f"sandbox.apis.{NAME}", sys.modules[__name__])

FLOW = Transitions({"pending": {"paid", "cancelled"}, "paid": {"cancelled"}, "cancelled": set()})


class FakeShopBackend(Backend):
    def order(self, order_id: str) -> dict:
        order = self.state["orders"].get(int(order_id)) if order_id.isdigit() else None
        if order is None:
            raise errors.NotFound(f"No order {order_id}.")
        return order

    def move(self, order_id: str, target: str) -> dict:
        with self.state.transaction():
            order = self.order(order_id)
            FLOW.check(order["state"], target)
            return self.state["orders"].update(order["id"], {"state": target})


bp = api_blueprint(NAME)


@bp.get("/orders/<order_id>")
def get_order(order_id):
    return current_backend().order(order_id)


@bp.post("/orders/<order_id>/cancel")
def cancel_order(order_id):
    return current_backend().move(order_id, "cancelled")


@bp.post("/orders/<order_id>/pay")
def pay_order(order_id):
    return current_backend().move(order_id, "paid")


@bp.post("/customers/<customer_id>/block")
def block_customer(customer_id):
    """Not an order transition: the dashboard must not offer it on orders."""
    return {"blocked": customer_id}


def render(err: errors.SandboxError):
    return {"error": err.message}, err.status


def seed(fake, fixtures):
    states = ["pending", "paid", "cancelled"]
    return {"orders": [{"id": i, "customer_id": 100 + i, "state": states[i % 3], "created": f"2025-01-{i:02d}"}
                       for i in range(1, 31)]}


API = ApiSpec(name=NAME, mount=f"/{NAME}", base_path="/v1", blueprint=bp, backend=FakeShopBackend,
              render_error=render, seed=seed, tables={"orders": ()},
              auth=Auth.of(Credential("Authorization", "Bearer"), Credential("X-API-Key")),
              title="fakeshop (a test-only API)", extra={"dashboard": {"status_field": "state"}})
