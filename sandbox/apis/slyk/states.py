"""Slyk's order vocabulary and the state machines that move an order.

The enums are Slyk's own (SDK docs/methods.md and the community Go SDK); which moves are allowed is not
public, so the tables below are the sandbox's consistent choice, recorded in docs/fidelity.md."""

from __future__ import annotations

from sandbox.core.errors import Conflict
from sandbox.core.rules import Rule
from sandbox.core.transitions import Transitions

ORDER_FLOW_RULE = Rule("order-flow", "An order moves draft -> canceled, unfulfilled -> fulfilled or canceled, "
                       "fulfilled -> unfulfilled; canceled is final.", "API-NOTES CHOICE (docs/fidelity.md)")
PAYMENT_FLOW_RULE = Rule("payment-flow", "Payments move unpaid -> partially/fully paid, refunds to partially/fully "
                         "refunded; once money was refunded the order takes no new payment.",
                         "API-NOTES CHOICE (docs/fidelity.md)")
ORDER_MUST_BE_OPEN = Rule("order-must-be-open", "Lines, payments and edits need a placed order that is not canceled "
                          "(a draft can still be edited).", "API-NOTES CHOICE (docs/fidelity.md)")
PAY_NOT_MORE_THAN_UNPAID = Rule("pay-not-more-than-unpaid", "A payment is more than 0 and at most the unpaid amount.",
                                "API-NOTES CHOICE (docs/fidelity.md)")
REFUND_NOT_MORE_THAN_PAID = Rule("refund-not-more-than-paid", "A refund is more than 0 and at most the paid amount.",
                                 "API-NOTES CHOICE (docs/fidelity.md)")
LINE_QUANTITY_IN_RANGE = Rule("line-quantity-in-range", "A line fulfil or unfulfil moves between 1 and the units "
                              "that can move, so fulfilledQuantity stays within 0..quantity.",
                              "API-NOTES CHOICE (docs/fidelity.md)")
LIST_QUERY_VALID = Rule("list-query-valid", "page[number], page[size] (1..100), sort and filter[...] use the "
                        "documented fields and operators.", "docs and Slyk's SDK (docs/fidelity.md)")
RULES = (ORDER_MUST_BE_OPEN, PAY_NOT_MORE_THAN_UNPAID, REFUND_NOT_MORE_THAN_PAID, LINE_QUANTITY_IN_RANGE,
         LIST_QUERY_VALID)

DRAFT, UNFULFILLED, FULFILLED, CANCELED = "draft", "unfulfilled", "fulfilled", "canceled"
ORDER_STATUSES = (CANCELED, DRAFT, FULFILLED, UNFULFILLED)

UNPAID, PARTIALLY_PAID, FULLY_PAID = "unpaid", "partially_paid", "fully_paid"
PARTIALLY_REFUNDED, FULLY_REFUNDED = "partially_refunded", "fully_refunded"
PAYMENT_STATUSES = (FULLY_PAID, FULLY_REFUNDED, PARTIALLY_PAID, PARTIALLY_REFUNDED, UNPAID)

LINE_UNFULFILLED, LINE_PARTIALLY_FULFILLED, LINE_FULFILLED = "unfulfilled", "partially_fulfilled", "fulfilled"
LINE_STATUSES = (LINE_UNFULFILLED, LINE_PARTIALLY_FULFILLED, LINE_FULFILLED)

DELIVERY_METHODS = ("shipping", "pickup")

# Store webhooks (developers.slyk.io, Webhooks > Store) and the order fields their payload lists; the
# reference page's table is cut after paidAt, so fulfilledAt, createdAt and updatedAt are our choice.
ORDER_CREATED, ORDER_CANCELLED, ORDER_FULFILLED = "store.order.created", "store.order.cancelled", "store.order.fulfilled"
ORDER_PAID, ORDER_REFUNDED = "store.order.paid", "store.order.refunded"
EVENTS = (ORDER_CANCELLED, ORDER_CREATED, ORDER_FULFILLED, ORDER_PAID, ORDER_REFUNDED)
WEBHOOK_FIELDS = ("id", "userId", "amount", "assetCode", "trackingId", "paidAmount", "orderStatus", "paymentStatus",
                  "metadata", "reference", "canceledAt", "paidAt", "fulfilledAt", "createdAt", "updatedAt")
ASSET_CODE = "eur"

# Why a move is refused, by the state the order is in (Slyk's snake_case codes, 409).
_ORDER_REFUSALS = {
    CANCELED: "order_already_canceled",
    DRAFT: "order_is_draft",
}


def _refuse_order(current: str, target: str) -> Conflict:
    if current in _ORDER_REFUSALS:
        code = _ORDER_REFUSALS[current]
    elif target == FULFILLED:
        code = "order_already_fulfilled"
    elif target == UNFULFILLED:
        code = "order_not_fulfilled"
    else:   # cancel of a fulfilled order
        code = "order_already_fulfilled"
    return Conflict(f"The order cannot move from {current} to {target}.", code=code, rule=ORDER_FLOW_RULE)


# A draft is a cart not yet placed: it can only be canceled. Fulfilment moves both ways; cancel is terminal.
ORDER_FLOW = Transitions({
    DRAFT: {CANCELED},
    UNFULFILLED: {FULFILLED, CANCELED},
    FULFILLED: {UNFULFILLED},
    CANCELED: set(),
}, refuse=_refuse_order, rule=ORDER_FLOW_RULE)

_PAYMENT_REFUSALS = {
    UNPAID: "order_not_paid",
    FULLY_PAID: "order_already_paid",
    PARTIALLY_REFUNDED: "order_already_refunded",
    FULLY_REFUNDED: "order_already_refunded",
}


def _refuse_payment(current: str, target: str) -> Conflict:
    return Conflict(f"The payment status cannot move from {current} to {target}.",
                    code=_PAYMENT_REFUSALS.get(current, "invalid_payment_status"), rule=PAYMENT_FLOW_RULE)


# Payments add up to the amount; once money has been refunded the order takes no new payment.
PAYMENT_FLOW = Transitions({
    UNPAID: {PARTIALLY_PAID, FULLY_PAID},
    PARTIALLY_PAID: {PARTIALLY_PAID, FULLY_PAID, PARTIALLY_REFUNDED, FULLY_REFUNDED},
    FULLY_PAID: {PARTIALLY_REFUNDED, FULLY_REFUNDED},
    PARTIALLY_REFUNDED: {PARTIALLY_REFUNDED, FULLY_REFUNDED},
    FULLY_REFUNDED: set(),
}, refuse=_refuse_payment, rule=PAYMENT_FLOW_RULE)


def line_status(quantity: int, fulfilled: int) -> str:
    if fulfilled <= 0:
        return LINE_UNFULFILLED
    return LINE_FULFILLED if fulfilled >= quantity else LINE_PARTIALLY_FULFILLED


def order_status_for_lines(lines: list[dict]) -> str:
    """An order is fulfilled when every line is; there is no partially fulfilled order status."""
    done = lines and all(line["fulfilledQuantity"] >= line["quantity"] for line in lines)
    return FULFILLED if done else UNFULFILLED


def payment_status_after_payment(amount, paid) -> str:
    return FULLY_PAID if paid >= amount else PARTIALLY_PAID


def payment_status_after_refund(paid) -> str:
    return FULLY_REFUNDED if paid <= 0 else PARTIALLY_REFUNDED


def check_open(status: str) -> None:
    """Lines, payments and edits need a placed order that is not canceled."""
    if status in _ORDER_REFUSALS:
        raise Conflict(f"The order is {status}.", code=_ORDER_REFUSALS[status], rule=ORDER_MUST_BE_OPEN)


def check_open_for_edit(status: str) -> None:
    """A draft can still be edited; a canceled order cannot."""
    if status == CANCELED:
        check_open(status)
