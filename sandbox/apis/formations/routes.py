"""eFiling's Orders JSON API below /formations: thin views; auth (Basic <auth key>) checked by the blueprint,
then the rate limit when ``FORMATIONS_RATE_LIMIT`` is on."""

from __future__ import annotations

from flask import current_app, g, request

from sandbox.core.api import api_blueprint, current_backend, sandbox
from sandbox.core.dumps import dump
from sandbox.core.openapi import documented
from sandbox.core.validation import load

from .backend import FormationsBackend
from .ratelimit import limiter_for
from .schemas import (OrderLineOut, OrderOut, order_line_out, order_out, order_query, orders_query_in,
                      query_as_sent)

bp = api_blueprint("formations")


def backend() -> FormationsBackend:
    return current_backend()


@bp.before_request
def _rate_limit():
    # Registered after the blueprint's auth check, so it counts per authenticated key.
    if current_app.config.get("FORMATIONS_RATE_LIMIT"):
        limiter_for(current_app._get_current_object()).admit(g.credentials[0], sandbox().clock.now())


@bp.get("/orders")
@documented(response=OrderOut(many=True), query=query_as_sent(orders_query_in), errors=(400, 429))
def list_orders():
    """GET /orders?filter[statuses]=700,900&filter[createdFrom]=20200101&page[number]=1: a bare array."""
    orders = backend().orders(**load(orders_query_in, order_query(request.args)))
    return dump(order_out, orders, many=True)


@bp.get("/orders/<order_id>/orderlines")
@documented(response=OrderLineOut(many=True), errors=(429,))
def order_lines(order_id):
    """GET /orders/{id}/orderlines: the order's lines, a bare array."""
    return dump(order_line_out, backend().order_lines(order_id), many=True)
