"""eFiling's order rules, in plain Python: filtered, paged order lists and each order's lines; both read-only.

Not emulated: creating or changing orders (the Orders JSON API documents only the two reads), eFiling's
other end-points (companies, services, ...), brands (every auth key sees every order)."""

from __future__ import annotations

from datetime import date
from operator import itemgetter

from sandbox.core.api import Backend
from sandbox.core.validation import int_id
from sandbox.core.errors import NotFound

from .states import PER_PAGE


def _day(iso: str | None) -> date | None:
    return date.fromisoformat(iso[:10]) if iso else None


def _on_or_after(field: str):
    return lambda order, day: _day(order[field]) is not None and _day(order[field]) >= day


def _on_or_before(field: str):
    return lambda order, day: _day(order[field]) is not None and _day(order[field]) <= day


# Filter -> (order, wanted value) -> matches. Filters combine with AND; date bounds are whole days, inclusive,
# and an invoiced bound leaves out orders never invoiced.
ORDER_FILTERS = {
    "statuses": lambda order, codes: order["status"] in codes,
    "invoiced_from": _on_or_after("invoiced_at"),
    "invoiced_to": _on_or_before("invoiced_at"),
    "created_from": _on_or_after("created_at"),
    "created_to": _on_or_before("created_at"),
}


class FormationsBackend(Backend):
    def orders(self, page: int = 1, **filters) -> list[dict]:
        """Page ``page`` (100 orders, by id) of the orders matching every given filter; past the end: []."""
        wanted = [(ORDER_FILTERS[name], value) for name, value in filters.items() if value is not None]
        orders = self.state["orders"]
        with self.state.lock:
            found = orders.derived(("list", tuple(sorted((k, v) for k, v in filters.items() if v is not None))),
                                   lambda: sorted((o for o in orders.all() if all(match(o, value) for match, value in wanted)),
                                                  key=itemgetter("id")))
        start = (page - 1) * PER_PAGE
        return found[start:start + PER_PAGE]

    def order_lines(self, order_id: str) -> list[dict]:
        """The order's lines in the order they were added; an unknown order is a 404."""
        number = int_id(order_id)
        with self.state.lock:
            if number is None or number not in self.state["orders"]:
                raise NotFound(f"Order {order_id} not found.")
            lines = self.state["orderlines"].where("order_id", number)
        return sorted(lines, key=itemgetter("id"))
