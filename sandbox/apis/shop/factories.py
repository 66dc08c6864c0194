"""shop orders made for tests through ShopBackend's own create (the user's cart is filled, ordered and put
back as it was), so ids, item ids, order numbers, prices and totals come from the API's sequences and
catalogue; a status past pending then carries what such orders carry (the seed's Stripe payment meta)."""

from __future__ import annotations

from decimal import Decimal

from sandbox.core.factories import Factories, Factory, Making, Scenario, one_in_each_state, refuse, statuses_of
from sandbox.core.laravel import timestamp

from .seed import PAID_STATUSES, _line, _payment, _person
from .states import CUSTOMER_ACTIONS, DEFAULT_USER_ID

ORDER_FIELDS = {
    "user_id": "integer", "status": "string", "items": "array", "customer_name": "string", "email": "string",
    "shipping_address": "object", "billing_address": "object", "shipping_method": "string",
    "notes": "string|null", "created_at": "string",
}
STATUSES = statuses_of(CUSTOMER_ACTIONS)


def _catalogue(making: Making) -> list[dict]:
    return making.state["products"].all()


def _cart_lines(making: Making, given) -> list[dict]:
    if given is None:
        lines = []
        for _ in range(making.fake.random.choices((1, 2, 3), weights=(6, 3, 1))[0]):
            product, quantity, options = _line(making.fake, _catalogue(making))
            lines.append({"product_sku": product["sku"], "quantity": quantity, "options": options})
        return lines
    if not given:
        raise refuse("items", "An order needs at least one item.")
    for index, line in enumerate(given):
        if not isinstance(line, dict) or not isinstance(line.get("product_sku"), str):
            raise refuse(f"items.{index}.product_sku", "Each item is an object with a product_sku (string).")
        unknown = set(line) - {"product_sku", "quantity", "options"}
        if unknown:
            raise refuse(f"items.{index}.{sorted(unknown)[0]}", "Unknown field; an item takes product_sku, quantity, options.")
        quantity = line.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise refuse(f"items.{index}.quantity", "Must be an integer of at least 1.")
        if line.get("options") is not None and not isinstance(line["options"], dict):
            raise refuse(f"items.{index}.options", "Must be an object or null.")
    return [{"product_sku": line["product_sku"], "quantity": line.get("quantity", 1), "options": line.get("options")}
            for line in given]


def make_order(making: Making, overrides: dict) -> dict:
    backend, state = making.backend, making.state
    user_id = overrides.get("user_id", DEFAULT_USER_ID)
    if user_id < 1:
        raise refuse("user_id", "Must be a positive user id.")
    person = _person(making.fake, user_id)
    lines = _cart_lines(making, overrides.get("items"))
    address = overrides.get("shipping_address", person["address"])
    fields = {"customer_email": overrides.get("email", person["email"]),
              "customer_name": overrides.get("customer_name", person["name"]), "shipping_address": address,
              "billing_address": overrides.get("billing_address", dict(address)),
              "shipping_method": overrides.get("shipping_method", "standard"), "notes": overrides.get("notes")}
    cart_id = f"user_{user_id}"
    kept_cart = state["carts"].get(cart_id)
    # The order is made from the cart as the API makes it; the user's own cart is left as it was.
    making.step("items", backend.put_cart, user_id, lines)
    order = backend.create_order(user_id, fields)
    if kept_cart is None:
        state["carts"].delete(cart_id)
    else:
        state["carts"].replace(cart_id, kept_cart)

    changes = {}
    if "created_at" in overrides:
        created = making.moment(overrides, "created_at")
        changes.update(created_at=timestamp(created), updated_at=timestamp(created),
                       meta={**order["meta"], "created_at": created.strftime("%Y-%m-%d %H:%M:%S")})
    status = overrides.get("status", "pending")
    if status != "pending":
        meta = changes.get("meta", order["meta"])
        if status in PAID_STATUSES:   # paid, then shipped, completed or refunded: the payment's trail
            meta = {**meta, **_payment(making.fake, Decimal(order["total_price"]), refunded=status == "refunded")}
        changes.update(status=status, meta=meta)
    return state["orders"].update(order["id"], changes) if changes else order


def _orders_in(status: str, count: int):
    def arrange(making: Making) -> dict:
        return {"orders": [make_order(making, {"status": status}) for _ in range(count)]}
    return arrange


FACTORIES = Factories(
    tables={"orders": Factory(
        make_order, ORDER_FIELDS, {"status": STATUSES},
        "An order of the user (default 1, the docs' user) from items given or picked from the catalogue, "
        "made by the API's create; a status past pending carries the payment meta.",
        {"status": "processing", "items": [{"product_sku": "EH-1", "quantity": 2}]})},
    scenarios={
        "three-processing-orders": Scenario("Three orders of user 1 in processing (paid, no longer editable).",
                                            _orders_in("processing", 3)),
        "an-order-in-every-status": Scenario("One order of user 1 in each status the API knows.",
                                           one_in_each_state(make_order, "status", STATUSES)),
    },
)
