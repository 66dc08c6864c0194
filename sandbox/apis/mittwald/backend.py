"""mittwald's order rules, in plain Python: customers own orders; both endpoints only read.

Not emulated: creating orders or tariff changes (order-create-order, order-create-tariff-change,
the previews), order-list-orders and order-list-project-orders, access rights per user (any accepted
token sees every customer), and rate limiting itself: the X-RateLimit-* headers are reported (ratelimit.py),
never a 429."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.core.api import Backend
from sandbox.core.errors import Forbidden, NotFound

from .states import CUSTOMER_MUST_BE_ACCESSIBLE, DEFAULT_LIMIT, DEFAULT_SKIP


@dataclass(frozen=True)
class Listing:
    """One window of a filtered list, with what the X-Pagination-* headers report."""
    items: list[dict]
    total: int
    limit: int
    skip: int

    @property
    def page(self) -> int:
        """The page the window starts on, counted from 1 (what X-Pagination-Page calls "calculated")."""
        return self.skip // self.limit + 1 if self.limit else 1


def window(items: list[dict], *, limit: int | None, skip: int | None, page: int | None) -> Listing:
    """``skip`` wins over ``page`` (spec, order-list-orders); ``page`` counts from 1, page 0 is page 1."""
    limit = DEFAULT_LIMIT if limit is None else limit
    if skip is None:
        skip = (max(page, 1) - 1) * limit if page is not None else DEFAULT_SKIP
    return Listing(items[skip:skip + limit], len(items), limit, skip)


def _newest_first(order: dict):
    return (order["orderDate"], order["orderNumber"])


class MittwaldBackend(Backend):
    def customer_orders(self, customer_id: str, *, includes_status=(), excludes_status=(), template_names=(),
                        limit=None, skip=None, page=None) -> Listing:
        """The customer's orders, newest first, filtered, then windowed by skip/page and limit."""
        with self.state.lock:
            customer = self._customer(customer_id)
            orders = self.state["orders"].where("customerId", customer["id"])
        wanted = set(includes_status)
        unwanted = set(excludes_status)
        templates = set(template_names)
        matching = [o for o in orders
                    if (not wanted or o["status"] in wanted) and o["status"] not in unwanted
                    and (not templates or any(i.get("articleTemplateName") in templates for i in o["items"]))]
        return window(sorted(matching, key=_newest_first, reverse=True), limit=limit, skip=skip, page=page)

    def order(self, order_id: str) -> dict:
        """One order, by its UUID or its order number (the spec's ``shortId`` example)."""
        with self.state.lock:
            orders = self.state["orders"]
            found = orders.get(order_id) or next(iter(orders.where("orderNumber", order_id)), None)
        if found is None:
            raise NotFound(f"order {order_id} not found")
        return found

    def _customer(self, customer_id: str) -> dict:
        """By UUID or customer number. An unknown customer is refused as one the user may not access."""
        customers = self.state["customers"]
        found = customers.get(customer_id) or next(iter(customers.where("customerNumber", customer_id)), None)
        if found is None:
            raise Forbidden(f"permission denied for customer {customer_id}", rule=CUSTOMER_MUST_BE_ACCESSIBLE)
        return found
