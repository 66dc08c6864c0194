"""appx's rules, in plain Python: customers own trade-in orders; both are read-only in the documented API.

Not emulated: anything that changes an order (the docs describe only reads), customer endpoints (the
``customers`` link in a response is the real API's; the sandbox does not serve it either way)."""

from __future__ import annotations

from operator import itemgetter

from sandbox.core.api import Backend
from sandbox.core.validation import int_id
from sandbox.core.laravel import model_not_found
from sandbox.core.pagination import Page, paginate

from .states import PER_PAGE


class AppxBackend(Backend):
    def customer_orders(self, customer_id: str, page: int) -> Page:
        """The customer's orders by id, 15 per page. Docs: "Max. 15 orders per page"."""
        with self.state.lock:
            customer = self._customer(customer_id)
            orders = self.state["orders"].where("customer_id", customer["id"])
        return paginate(sorted(orders, key=itemgetter("id")), page, PER_PAGE)

    def order(self, order_id: str) -> dict:
        """One order with its devices."""
        found = self.state["orders"].get(int_id(order_id))
        if found is None:
            raise model_not_found("Order", order_id)
        return found

    def _customer(self, customer_id: str) -> dict:
        found = self.state["customers"].get(int_id(customer_id))
        if found is None:
            raise model_not_found("Customer", customer_id)
        return found
