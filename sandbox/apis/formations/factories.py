"""eFiling orders made for tests with the seed's own builders: one company formation per order (the
incorporation, Companies House's fee at the order's date, what the package includes, extras) as order
lines, the order's net and gross the sums of its lines, and the dates each status carries (``cancelled_at``
for a cancelled order, ``invoiced_at`` mostly for a complete one). Ids come from the tables' auto-increment."""

from __future__ import annotations


from sandbox.core.factories import Factories, Factory, Making, Scenario, one_in_each_state

from .seed import _lines, _order
from .states import ORDER_STATUSES, PER_PAGE

ORDER_FIELDS = {"status": "integer", "created_at": "string"}
STATUSES = tuple(ORDER_STATUSES)


def make_order(making: Making, overrides: dict) -> dict:
    orders, orderlines = making.state["orders"], making.state["orderlines"]
    created = making.moment(overrides, "created_at").replace(tzinfo=None, microsecond=0)
    order_id = orders.next_id()
    lines = _lines(making.fake, order_id, created)
    order = orders.insert(_order(making.fake, order_id, created, lines, overrides.get("status")))
    for line in lines:
        orderlines.insert(line)
    return order


def _two_pages(making: Making) -> dict:
    return {"orders": [make_order(making, {}) for _ in range(PER_PAGE + 1)]}


FACTORIES = Factories(
    tables={"orders": Factory(make_order, ORDER_FIELDS, {"status": STATUSES},
                              "A company-formation order with its lines, placed now; status 0 Started, "
                              "700 Complete, 900 Cancelled.", {"status": 900})},
    scenarios={
        "a-page-and-one-more": Scenario(f"{PER_PAGE + 1} new orders: one more than a page.", _two_pages),
        "an-order-in-every-status": Scenario("One new order in each status.", one_in_each_state(make_order, "status", STATUSES)),
    },
)
