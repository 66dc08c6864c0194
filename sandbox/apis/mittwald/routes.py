"""mittwald's routes below /mittwald/v2: thin views; auth (x-access-token or Bearer) checked by the blueprint."""

from __future__ import annotations

from flask import current_app, g, jsonify, request

from sandbox.core.api import api_blueprint, current_backend, sandbox
from sandbox.core.dumps import dump
from sandbox.core.openapi import documented
from sandbox.core.replay import per_request

from .backend import MittwaldBackend
from .ratelimit import RateLimitCounter
from .schemas import customer_order_out, customer_orders_out, load_query, order_list_query_in
from .states import PAGINATION_HEADERS, RATE_LIMIT_HEADERS

bp = api_blueprint("mittwald")
RATE_LIMITED = {name: {"schema": {"type": "integer"}, "required": True} for name in RATE_LIMIT_HEADERS}


def backend() -> MittwaldBackend:
    return current_backend()


@bp.after_request
def _rate_limit_headers(response):
    """Each response to an authenticated request carries the user's X-RateLimit-* (also errors after auth)."""
    credentials = g.get("credentials")
    if credentials:
        counter = current_app.extensions.setdefault("mittwald.rate_limit", RateLimitCounter())
        clock, token = sandbox().clock, credentials[0]
        # Counted on every request, a replayed one too (core/replay.py), so it does not keep the answer from replay.
        response.headers.update(per_request(request.environ, clock, lambda: counter.count(token, clock.now())))
    return response


@bp.get("/customers/<customerId>/orders")
@documented(response=customer_orders_out, query=order_list_query_in, errors=(400, 403),
            headers={**{name: {"schema": {"type": "integer"}, "required": True} for name in PAGINATION_HEADERS},
                     **RATE_LIMITED})
def customer_orders(customerId):  # noqa: N803 - mittwald's parameter name, as its spec documents it
    """GET /customers/{customerId}/orders (order-list-customer-orders): a bare array plus X-Pagination-*."""
    listing = backend().customer_orders(customerId, **load_query(order_list_query_in, request.args))
    response = jsonify(dump(customer_order_out, listing.items, many=True))
    response.headers.update({
        "X-Pagination-TotalCount": str(listing.total),
        "X-Pagination-Limit": str(listing.limit),
        "X-Pagination-Skip": str(listing.skip),
        "X-Pagination-Page": str(listing.page),
    })
    return response


@bp.get("/orders/<orderId>")
@documented(response=customer_order_out, headers=RATE_LIMITED)
def get_order(orderId):  # noqa: N803 - mittwald's parameter name
    """GET /orders/{orderId} (order-get-order): one CustomerOrder."""
    return dump(customer_order_out, backend().order(orderId))
