"""appx's routes below /appx/api/v1: thin views, auth (Bearer) checked by the blueprint."""

from __future__ import annotations

from flask import request

from sandbox.core import laravel
from sandbox.core.api import api_blueprint, current_api, current_backend, external_url
from sandbox.core.dumps import dump
from sandbox.core.openapi import documented

from .backend import AppxBackend
from .schemas import order_out, order_page_out, order_response_out, order_summary_out

bp = api_blueprint("appx")


def backend() -> AppxBackend:
    return current_backend()


@bp.get("/customers/<customer_id>/orders")
@documented(response=order_page_out, query=laravel.PageQueryIn)
def customer_orders(customer_id):
    """GET /customers/{id}/orders: the customer's order summaries, paginated 15 per page."""
    page = backend().customer_orders(customer_id, laravel.current_page(laravel.query_value(request.args, "page")))
    path = external_url(current_api(), f"/customers/{customer_id}/orders")
    return laravel.paginated(dump(order_summary_out, page.items, many=True), page, path)


@bp.get("/orders/<order_id>")
@documented(response=order_response_out)
def get_order(order_id):
    """GET /orders/{id}: the complete order with its devices."""
    return {"data": dump(order_out, backend().order(order_id))}
