"""Slyk's order routes below /slyk (the real API serves them at the root of https://api.slyk.io).

Thin views: the blueprint checks the ``apikey`` header; a view reads the query or body, makes one backend
call and dumps one ``*Out`` schema. Bodies are read whatever the Content-Type (the SDK sends none on
fulfill and unfulfill), and an empty body is ``{}``."""

from __future__ import annotations

from flask import request

from sandbox.core.api import api_blueprint, current_backend, json_body
from sandbox.core.dumps import dump
from sandbox.core.openapi import documented
from sandbox.core.validation import load

from .backend import SlykBackend
from .schemas import (LINE_LIST, ORDER_LIST, cancel_in, data_out, fulfill_in, line_out, line_quantity_in,
                      list_out, order_create_in, order_detail_out, order_out, order_patch_in, order_read_out,
                      order_refund_out, pay_in, refund_in, unfulfill_in)

bp = api_blueprint("slyk")

# A write answers 400 for a body that breaks its schema, 404 for an unknown order, line, user or product,
# and 409 when the order's state refuses it.
WRITE_ERRORS = (400, 409)
ORDER = data_out("OrderDataOut", order_out)
LINE = data_out("LineDataOut", line_out)


def backend() -> SlykBackend:
    return current_backend()


def one(schema, record) -> dict:
    return {"data": dump(schema, record)}


def listed(schema, page) -> dict:
    return {"data": dump(schema, page.items, many=True), "total": page.total}


@bp.get("/orders")
@documented(response=list_out("OrderListOut", order_read_out), query=ORDER_LIST.query_schema("OrderListQueryIn"),
            errors=(400,))
def list_orders():
    """GET /orders: paginated orders, each with its user."""
    return listed(order_read_out, backend().list_orders(ORDER_LIST.parse(request.args)))


@bp.post("/orders")
@documented(response=ORDER, body=order_create_in, errors=(400, 404, 409))
def create_order():
    """POST /orders: price the lines and place the order (200, as the SDK's tests reply)."""
    return one(order_out, backend().create_order(**load(order_create_in, json_body(required=True))))


@bp.get("/orders/<order_id>")
@documented(response=data_out("OrderDetailDataOut", order_detail_out))
def get_order(order_id):
    """GET /orders/:id: the order with its user and lines."""
    return one(order_detail_out, backend().order(order_id))


@bp.patch("/orders/<order_id>")
@documented(response=ORDER, body=order_patch_in, body_required=False, errors=WRITE_ERRORS)
def patch_order(order_id):
    """PATCH /orders/:id: tracking id, custom data, notes, shipping address."""
    return one(order_out, backend().patch_order(order_id, **load(order_patch_in, json_body())))


@bp.post("/orders/<order_id>/cancel")
@documented(response=None, status=204, body=cancel_in, body_required=False, errors=WRITE_ERRORS,
            example={"reason": "The customer changed their mind"}, params={"order_id": "fc78d28f-a8dd-49de-a22f-722fe3bd26c6"})
def cancel_order(order_id):
    """POST /orders/:id/cancel: 204 with an empty body."""
    backend().cancel_order(order_id, **load(cancel_in, json_body()))
    return "", 204


@bp.post("/orders/<order_id>/fulfill")
@documented(response=ORDER, body=fulfill_in, body_required=False, errors=WRITE_ERRORS)
def fulfill_order(order_id):
    """POST /orders/:id/fulfill: every line fulfilled."""
    return one(order_out, backend().fulfill_order(order_id, **load(fulfill_in, json_body())))


@bp.post("/orders/<order_id>/unfulfill")
@documented(response=ORDER, body=unfulfill_in, body_required=False, errors=WRITE_ERRORS,
            example={}, params={"order_id": "7938e446-1c77-4513-8cb0-8b1f2e9f47b0"})
def unfulfill_order(order_id):
    """POST /orders/:id/unfulfill: every line back to nothing fulfilled."""
    load(unfulfill_in, json_body())
    return one(order_out, backend().unfulfill_order(order_id))


@bp.post("/orders/<order_id>/pay")
@documented(response=ORDER, body=pay_in, body_required=False, errors=WRITE_ERRORS,
            example={"amount": "7.00000000", "walletId": "7938e446-1c77-4513-8cb0-8b1f2e9f47b4"}, params={"order_id": "fc78d28f-a8dd-49de-a22f-722fe3bd26c6"})
def pay_order(order_id):
    """POST /orders/:id/pay: pay part or all of the unpaid amount."""
    return one(order_out, backend().pay_order(order_id, **load(pay_in, json_body())))


@bp.post("/orders/<order_id>/refund")
@documented(response=data_out("OrderRefundDataOut", order_refund_out), body=refund_in,
            body_required=False, errors=WRITE_ERRORS,
            example={"amount": "2.50000000", "reason": "One item arrived damaged"}, params={"order_id": "fc78d28f-a8dd-49de-a22f-722fe3bd26c6"})
def refund_order(order_id):
    """POST /orders/:id/refund: give back part or all of what was paid; the answer carries refundAmount."""
    return one(order_refund_out, backend().refund_order(order_id, **load(refund_in, json_body())))


@bp.get("/orders/<order_id>/lines")
@documented(response=list_out("LineListOut", line_out), query=LINE_LIST.query_schema("LineListQueryIn"),
            errors=(400,))
def list_order_lines(order_id):
    """GET /orders/:orderId/lines: the order's lines with their order and product."""
    return listed(line_out, backend().order_lines(order_id, LINE_LIST.parse(request.args)))


@bp.get("/orders/<order_id>/lines/<line_id>")
@documented(response=LINE)
def get_order_line(order_id, line_id):
    """GET /orders/:orderId/lines/:id: one line of the order."""
    return one(line_out, backend().order_line(order_id, line_id))


@bp.post("/orders/<order_id>/lines/<line_id>/fulfill")
@documented(response=LINE, body=line_quantity_in, body_required=False, errors=WRITE_ERRORS)
def fulfill_line(order_id, line_id):
    """POST /orders/:orderId/lines/:id/fulfill {quantity}: more units fulfilled."""
    return one(line_out, backend().fulfill_line(order_id, line_id, **load(line_quantity_in, json_body())))


@bp.post("/orders/<order_id>/lines/<line_id>/unfulfill")
@documented(response=LINE, body=line_quantity_in, body_required=False, errors=WRITE_ERRORS)
def unfulfill_line(order_id, line_id):
    """POST /orders/:orderId/lines/:id/unfulfill {quantity}: fulfilled units taken back."""
    return one(line_out, backend().unfulfill_line(order_id, line_id, **load(line_quantity_in, json_body())))
