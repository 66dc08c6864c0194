"""shop's routes below /shop/api/v1/shop: thin views; the blueprint checks both documented headers
(``Authorization: Bearer`` and ``X-API-Key``) first. The Bearer token names the user (``SHOP_USERS``)."""

from __future__ import annotations

from flask import g, request

from sandbox.core import laravel
from sandbox.core.api import api_blueprint, current_backend, sandbox
from sandbox.core.dumps import dump
from sandbox.core.openapi import documented

from .backend import ShopBackend
from .schemas import (load_laravel, order_create_in, order_list_out, order_message_out, order_out,
                      order_update_in)
from .users import user_for_token

bp = api_blueprint("shop")


def backend() -> ShopBackend:
    return current_backend()


def user_id() -> int:
    """The user behind the Bearer token (``users.user_for_token``)."""
    return user_for_token(g.credentials[0], sandbox().config["SHOP_USERS"])


def body() -> dict:
    """The write's input as Laravel reads it: JSON only under a JSON Content-Type (malformed JSON is no
    input), form fields as PHP parses them, nothing otherwise."""
    req = request._get_current_object()
    content_type = req.headers.get("Content-Type", "")
    form = req.form.items(multi=True) if content_type.lower().startswith("multipart/form-data") else ()
    return laravel.write_input(req.method, content_type, req.get_data(cache=True), list(form))


def one(message: str, order: dict) -> dict:
    return {"message": message, "order": dump(order_out, order)}


@bp.get("/orders")
@documented(response=order_list_out)
def list_orders():
    """GET /orders: every order of the user, newest first."""
    uid = user_id()
    return {"message": "Orders retrieved successfully", "user_id": uid,
            "orders": dump(order_out, backend().orders(uid), many=True)}


@bp.get("/orders/number/<order_number>")
@documented(response=order_message_out)
def get_order_by_number(order_number):
    """GET /orders/number/{orderNumber}: one of the user's orders by its ORD-... number."""
    return one("Order retrieved successfully", backend().order_by_number(user_id(), order_number))


@bp.get("/orders/<order_id>")
@documented(response=order_message_out)
def get_order(order_id):
    """GET /orders/{orderId}: one of the user's orders."""
    return one("Order retrieved successfully", backend().order(user_id(), order_id))


@bp.post("/orders")
@documented(response=order_message_out, body=order_create_in, errors=(422,))
def create_order():
    """POST /orders: a pending order from the user's cart (200, with the docs' message for it)."""
    fields = load_laravel(order_create_in, body())
    return one("Order retrieved successfully", backend().create_order(user_id(), fields))


@bp.put("/orders/<order_id>")
@documented(response=order_message_out, body=order_update_in, errors=(422,))
def update_order(order_id):
    """PUT /orders/{orderId}: change a pending order's items, addresses, email, method, notes."""
    fields = load_laravel(order_update_in, body(), sku_exists=backend().sku_exists)
    return one("Order updated successfully", backend().update_order(user_id(), order_id, fields))


@bp.post("/orders/<order_id>/cancel")
@documented(response=order_message_out, errors=(422,))
def cancel_order(order_id):
    """POST /orders/{orderId}/cancel: cancel a pending order; any body is ignored."""
    return one("Order cancelled successfully", backend().cancel_order(user_id(), order_id))
