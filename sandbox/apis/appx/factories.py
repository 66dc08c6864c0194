"""appx records made for tests with the seed's own builders: ids from the tables' auto-increment, devices
priced by grade from the model catalogue; ``order_number`` and ``expiry_date`` stay derived (schemas.py)
from the id and order date, and a status that is processed carries a ``processed_date``."""

from __future__ import annotations

from datetime import datetime, timedelta

from sandbox.core.factories import Factories, Factory, Making, Scenario, json_type_ok, one_in_each_state, refuse
from sandbox.core.laravel import timestamp

from .seed import _customer, _device, _order
from .states import GRADES, ORDER_STATUSES, ORDER_TYPES, PER_PAGE, PROCESSED_STATUSES

ORDER_FIELDS = {"customer_id": "integer", "order_status": "string", "order_type": "string",
                "order_date": "string", "devices": "array"}
CUSTOMER_FIELDS = {"name": "string", "email": "string"}


def make_customer(making: Making, overrides: dict) -> dict:
    table = making.state["customers"]
    return table.insert({**_customer(making.fake, table.next_id()), **overrides})


DEVICE_FIELDS = {"id": "integer", "value": "number", "model": "string", "grade": "string"}


def _devices(given) -> list[dict]:
    if not given:
        raise refuse("devices", "A trade-in order holds at least one device.")
    for index, device in enumerate(given):
        where = f"devices.{index}"
        if not isinstance(device, dict) or set(device) != set(DEVICE_FIELDS):
            raise refuse(where, "Each device is an object of exactly id, value, model and grade.")
        for name, declared in DEVICE_FIELDS.items():
            if not json_type_ok(device[name], declared):
                raise refuse(f"{where}.{name}", f"Must be of type {declared}.")
        if device["grade"] not in GRADES:
            raise refuse(f"{where}.grade", f"Must be one of {', '.join(GRADES)}.")
    return given


def make_order(making: Making, overrides: dict) -> dict:
    orders, fake = making.state["orders"], making.fake
    if "customer_id" in overrides:
        customer = making.existing("customers", "customer_id", overrides["customer_id"])
    else:
        customer = making.pick("customers")
    if overrides.get("order_type", ORDER_TYPES[0]) not in ORDER_TYPES:
        raise refuse("order_type", f"Must be one of {', '.join(ORDER_TYPES)}.")
    day = making.moment(overrides, "order_date").date()
    created = datetime.combine(day, making.clock.now().time()).replace(microsecond=0)
    order = _order(fake, orders.next_id(), customer["id"], created)
    status = overrides.get("order_status", order["order_status"])
    processed = created + timedelta(days=fake.random.randint(2, 12))
    order.update(order_status=status,
                 processed_date=processed.date().isoformat() if status in PROCESSED_STATUSES else None,
                 updated_at=timestamp(created if status == "Awaiting Delivery" else processed))
    for key in ("order_type", "devices"):
        if key in overrides:
            order[key] = _devices(overrides[key]) if key == "devices" else overrides[key]
    if not order["devices"]:
        order["devices"] = [_device(fake)]
    return orders.insert(order)


def _three_pages(making: Making) -> dict:
    customer = make_customer(making, {})
    return {"customers": [customer],
            "orders": [make_order(making, {"customer_id": customer["id"]}) for _ in range(2 * PER_PAGE + 1)]}


FACTORIES = Factories(
    tables={
        "orders": Factory(make_order, ORDER_FIELDS, {"order_status": ORDER_STATUSES},
                          "A trade-in order of a customer (given or picked) with 1-3 graded devices, dated today.",
                          {"order_status": "Paid", "customer_id": 43}),
        "customers": Factory(make_customer, CUSTOMER_FIELDS, {}, "A customer with no orders.", {"name": "Ada Lovelace"}),
    },
    scenarios={
        "a-customer-with-three-pages-of-orders": Scenario(
            f"A new customer with {2 * PER_PAGE + 1} orders: three pages of {PER_PAGE} for the paginator.", _three_pages),
        "a-customer-with-every-status": Scenario(
            "A new customer with one order in each status.",
            one_in_each_state(make_order, "order_status", ORDER_STATUSES, ("customers", make_customer, "customer_id"))),
    },
)
