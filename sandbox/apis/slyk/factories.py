"""Slyk records made for tests, through SlykBackend's own writes: an order is created, paid, refunded,
fulfilled and canceled by the same methods the routes call, so its amounts, line statuses, timestamps and
payment status follow Slyk's rules (states.py) by construction, and a combination they forbid is a 400."""

from __future__ import annotations

from decimal import Decimal

from sandbox.core.factories import Factories, Factory, Making, Scenario, refuse, statuses_of

from . import states
from .amounts import dec, money, parse_amount, timestamp
from .seed import _user

ORDER_FIELDS = {
    "userId": "string", "lines": "array", "deliveryMethod": "string", "orderStatus": "string",
    "paymentStatus": "string", "paidAmount": "string|number", "refundedAmount": "string|number",
    "trackingId": "string|null", "customData": "object", "userNotes": "string|null", "createdAt": "string",
}
USER_FIELDS = {"name": "string", "email": "string", "approved": "boolean", "metadata": "object"}


def make_user(making: Making, overrides: dict) -> dict:
    return making.state["users"].insert({**_user(making.fake), **overrides})


def _lines(making: Making, given) -> list[dict]:
    if given is None:
        products = making.fake.random.sample(making.state["products"].all(), making.fake.random.choice((1, 2, 3)))
        return [{"productId": p["id"], "quantity": making.fake.random.randint(1, 4)} for p in products]
    if not given:
        raise refuse("lines", "An order needs at least one line.")
    for index, line in enumerate(given):
        where = f"lines.{index}"
        if not isinstance(line, dict) or not isinstance(line.get("productId"), str):
            raise refuse(f"{where}.productId", "Each line is an object with a productId (string).")
        unknown = set(line) - {"productId", "quantity", "fulfilledQuantity"}
        if unknown:
            raise refuse(f"{where}.{sorted(unknown)[0]}", "Unknown field; a line takes productId, quantity, fulfilledQuantity.")
        making.existing("products", f"{where}.productId", line["productId"])
        quantity = line.setdefault("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise refuse(f"{where}.quantity", "Must be an integer of at least 1.")
        done = line.get("fulfilledQuantity", 0)
        if isinstance(done, bool) or not isinstance(done, int) or not 0 <= done <= quantity:
            raise refuse(f"{where}.fulfilledQuantity", f"Must be an integer within 0..{quantity} (the line's quantity).")
    return given


def _amount(overrides: dict, name: str) -> Decimal | None:
    if name not in overrides:
        return None
    value = parse_amount(overrides[name])
    if value is None or value < 0:
        raise refuse(name, "Must be a decimal amount of at least 0, such as \"3.50\".")
    return value


def _payments(total: Decimal, target: str | None, paid: Decimal | None, refunded: Decimal | None):
    """(money to pay, money to refund of it) for the requested payment status; given amounts win."""
    half = dec(money(total / 2))
    if target in (states.PARTIALLY_REFUNDED, states.FULLY_REFUNDED):
        refunded = refunded if refunded is not None else (half if target == states.PARTIALLY_REFUNDED and paid is None
                                                          else total - (paid or 0))
        paid = paid if paid is not None else total - refunded
    elif target == states.PARTIALLY_PAID:
        paid = paid if paid is not None else half
    elif target == states.FULLY_PAID:
        paid = paid if paid is not None else total
    return (paid or 0) + (refunded or 0), refunded or 0


def make_order(making: Making, overrides: dict) -> dict:
    backend, orders = making.backend, making.state["orders"]
    if "userId" in overrides:
        user_id = making.existing("users", "userId", overrides["userId"])["id"]
    else:
        user_id = making.pick("users")["id"]
    lines = _lines(making, overrides.get("lines"))
    delivery = overrides.get("deliveryMethod", making.fake.random.choice(states.DELIVERY_METHODS))
    if delivery not in states.DELIVERY_METHODS:
        raise refuse("deliveryMethod", f"Must be one of {', '.join(states.DELIVERY_METHODS)}.")
    target_status, target_payment = overrides.get("orderStatus"), overrides.get("paymentStatus")
    paid, refunded = _amount(overrides, "paidAmount"), _amount(overrides, "refundedAmount")

    order = backend.create_order(
        lines=[{"productId": line["productId"], "quantity": line["quantity"]} for line in lines], userId=user_id,
        deliveryMethod=delivery, useBonus=False, dryRun=False, customData=overrides.get("customData", {}),
        userNotes=overrides.get("userNotes"))
    order_id = order["id"]
    to_pay, to_refund = _payments(dec(order["amount"]), target_payment, paid, refunded)
    if target_status == states.DRAFT and (to_pay or any(line.get("fulfilledQuantity") for line in lines)):
        raise refuse("orderStatus", "A draft is a cart not yet placed: it takes no payment and no fulfilment "
                                    f"({states.ORDER_MUST_BE_OPEN.id}).")
    if to_pay:
        making.step("paidAmount", backend.pay_order, order_id, amount=to_pay)
    if to_refund:
        making.step("refundedAmount", backend.refund_order, order_id, amount=to_refund)
    actual = orders.get(order_id)["paymentStatus"]
    if target_payment is not None and actual != target_payment:
        raise refuse("paymentStatus", f"The amounts given make the order {actual}, not {target_payment}.")

    made_lines = backend._lines_of(order_id)
    for index, (line, made) in enumerate(zip(lines, made_lines)):
        if line.get("fulfilledQuantity"):
            making.step(f"lines.{index}.fulfilledQuantity", backend.fulfill_line, order_id, made["id"],
                        quantity=line["fulfilledQuantity"])
    status = orders.get(order_id)["orderStatus"]
    if target_status == states.FULFILLED and status != states.FULFILLED:
        making.step("orderStatus", backend.fulfill_order, order_id)
    elif target_status == states.CANCELED:
        making.step("orderStatus", backend.cancel_order, order_id)
    elif target_status == states.DRAFT:
        orders.update(order_id, {"orderStatus": states.DRAFT})
    elif target_status == states.UNFULFILLED and status == states.FULFILLED:
        raise refuse("orderStatus", "Every line is fulfilled, so the order is fulfilled.")

    changes = {key: overrides[key] for key in ("trackingId",) if key in overrides}
    if "createdAt" in overrides:
        changes["createdAt"] = timestamp(making.moment(overrides, "createdAt"))
    return orders.update(order_id, changes) if changes else orders.get(order_id)


def _partly_fulfilled_partly_refunded(making: Making) -> dict:
    products = making.state["products"].all()[:2]
    order = make_order(making, {"lines": [{"productId": products[0]["id"], "quantity": 3, "fulfilledQuantity": 1},
                                          {"productId": products[1]["id"], "quantity": 1}],
                                "paymentStatus": states.PARTIALLY_REFUNDED})
    return {"orders": [order], "lines": making.backend._lines_of(order["id"])}


def _every_status(making: Making) -> dict:
    user = make_user(making, {})
    made = [make_order(making, {"userId": user["id"], "orderStatus": status})
            for status in statuses_of(states.ORDER_FLOW)]
    made += [make_order(making, {"userId": user["id"], "paymentStatus": payment})
             for payment in statuses_of(states.PAYMENT_FLOW)]
    return {"users": [user], "orders": made}


FACTORIES = Factories(
    tables={
        "orders": Factory(make_order, ORDER_FIELDS, {"orderStatus": statuses_of(states.ORDER_FLOW),
                                                     "paymentStatus": statuses_of(states.PAYMENT_FLOW)},
                          "An order placed by a user (given or picked) for its lines (given or 1-3 products), "
                          "priced from the catalogue, then paid, refunded, fulfilled or canceled as asked.",
                          {"orderStatus": "fulfilled", "paymentStatus": "fully_paid"}),
        "users": Factory(make_user, USER_FIELDS, {}, "A store user.", {"name": "ada"}),
    },
    scenarios={
        "partly-fulfilled-partly-refunded": Scenario(
            "One order of two lines: 1 of 3 units of the first line fulfilled, paid in full, half refunded.",
            _partly_fulfilled_partly_refunded),
        "a-user-with-every-status": Scenario(
            "A new user with one order in each order status and one in each payment status.", _every_status),
    },
)
