"""appx's wire format: Laravel JSON resources (``type``, ``id``, ``attributes``, ``relationships``, ``links``).

Stored orders keep ISO dates and their devices; everything derivable (order number, expiry, value, d-m-Y
dates, links) is computed here so it can never disagree with the record."""

from __future__ import annotations

from datetime import date, timedelta

from marshmallow import Schema, fields

from sandbox.core.api import current_api, external_url
from sandbox.core.laravel import php_number

from .states import PRICE_GUARANTEE_DAYS


def dmy(iso_date: str | None) -> str | None:
    return date.fromisoformat(iso_date).strftime("%d-%m-%Y") if iso_date else None


def link(path: str) -> str:
    return external_url(current_api(), path)


class OrderAttributesOut(Schema):
    order_number = fields.Function(lambda o: f"T{o['id']:08d}")
    order_date = fields.Function(lambda o: dmy(o["order_date"]))
    processed_date = fields.Function(lambda o: dmy(o.get("processed_date")))
    expiry_date = fields.Function(
        lambda o: dmy((date.fromisoformat(o["order_date"]) + timedelta(days=PRICE_GUARANTEE_DAYS)).isoformat()))
    value = fields.Function(lambda o: php_number(sum(d["value"] for d in o["devices"])))
    order_type = fields.String()
    order_status = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


class DeviceOut(Schema):
    type = fields.Constant("device")
    id = fields.Integer()
    attributes = fields.Function(lambda d: {"value": php_number(d["value"]), "model": d["model"], "grade": d["grade"]})


def _customer_link(order) -> dict:
    return {"links": {"related": link(f"/customers/{order['customer_id']}")}}


class OrderSummaryOut(Schema):
    """An order in a customer's list: no devices."""
    type = fields.Constant("order")
    id = fields.Integer()
    attributes = fields.Function(lambda o: order_attributes_out.dump(o))
    relationships = fields.Function(lambda o: {"customers": _customer_link(o)})
    links = fields.Function(lambda o: {"self": link(f"/orders/{o['id']}")})


class OrderOut(OrderSummaryOut):
    """The full order: devices with value, model and grade, then the customer link."""
    relationships = fields.Function(
        lambda o: {"devices": device_out.dump(o["devices"], many=True), "customers": _customer_link(o)})


order_attributes_out = OrderAttributesOut()
device_out = DeviceOut()
order_summary_out = OrderSummaryOut()
order_out = OrderOut()
