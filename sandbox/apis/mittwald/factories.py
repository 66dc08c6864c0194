"""mittwald records made for tests with the seed's own builders (German Faker data, mittwald's articles
and prices): an order gets a fresh order number, items of one product kind (or a tariff change for a
``CONTRACT_CHANGE``), a ``dueDate`` unless rejected or aborted; its summary stays derived from the items
(schemas.summary), so it can never disagree with them."""

from __future__ import annotations


from faker import Faker

from sandbox.core.factories import Factories, Factory, Making, Scenario, one_in_each_state, refuse

from .seed import _order, _rfc3339, _with_members
from .states import ORDER_STATUSES, ORDER_TYPES

ORDER_FIELDS = {"customerId": "string", "status": "string", "type": "string", "invoicingPeriod": "integer",
                "orderDate": "string"}
CUSTOMER_FIELDS = {"name": "string", "customerNumber": "string"}


def _german(making: Making) -> Faker:
    german = Faker("de_DE")
    german.seed_instance(making.fake.random.getrandbits(64))
    return german


def make_customer(making: Making, overrides: dict) -> dict:
    german, customers = _german(making), making.state["customers"]
    number = overrides.get("customerNumber")
    if number is not None and customers.where("customerNumber", number):
        raise refuse("customerNumber", "Another customer has this number.")
    while number is None or customers.where("customerNumber", number):
        number = str(german.random.randint(1_000_100, 1_099_999))
    return customers.insert(_with_members(german, {"id": german.uuid4(), "customerNumber": number,
                                                   "name": overrides.get("name", german.company())}))


def make_order(making: Making, overrides: dict) -> dict:
    german, orders = _german(making), making.state["orders"]
    if "customerId" in overrides:
        customer = making.existing("customers", "customerId", overrides["customerId"])
    else:
        customer = making.pick("customers")
    kind = overrides.get("type", "NEW_ORDER")
    if kind not in ORDER_TYPES:
        raise refuse("type", f"Must be one of {', '.join(ORDER_TYPES)}.")
    if overrides.get("invoicingPeriod", 1) not in (1, 12):
        raise refuse("invoicingPeriod", "Must be 1 or 12 (months).")
    moment = making.moment(overrides, "orderDate").replace(tzinfo=None)
    number = None
    while number is None or orders.where("orderNumber", number):
        number = str(german.random.randint(5_000_000, 5_999_999))
    status = overrides.get("status", "NEW")
    order = _order(german, customer, number, moment, status, kind == "CONTRACT_CHANGE")
    if "invoicingPeriod" in overrides:
        order["invoicingPeriod"] = overrides["invoicingPeriod"]
    order["orderDate"] = _rfc3339(moment) if "orderDate" in overrides else order["orderDate"]
    return orders.insert(order)


def _executed_contract_change(making: Making) -> dict:
    customer = make_customer(making, {})
    return {"customers": [customer], "orders": [
        make_order(making, {"customerId": customer["id"], "status": "NEW", "type": "NEW_ORDER"}),
        make_order(making, {"customerId": customer["id"], "status": "EXECUTED", "type": "CONTRACT_CHANGE"})]}


FACTORIES = Factories(
    tables={
        "orders": Factory(make_order, ORDER_FIELDS, {"status": ORDER_STATUSES},
                          "An order of a customer (given or picked), of mittwald's articles, placed now.",
                          {"status": "EXECUTED", "type": "CONTRACT_CHANGE"}),
        "customers": Factory(make_customer, CUSTOMER_FIELDS, {}, "A customer with one or two members and no orders.",
                             {"name": "Beispiel GmbH"}),
    },
    scenarios={
        "a-customer-with-an-executed-contract-change": Scenario(
            "A new customer with a new order and an executed tariff change.", _executed_contract_change),
        "a-customer-with-every-status": Scenario(
            "A new customer with one order in each status.",
            one_in_each_state(make_order, "status", ORDER_STATUSES, ("customers", make_customer, "customerId"))),
    },
)
