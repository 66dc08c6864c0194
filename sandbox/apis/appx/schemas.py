"""appx's wire format: Laravel JSON resources (``type``, ``id``, ``attributes``, ``relationships``, ``links``).

Stored orders keep ISO dates and their devices; everything derivable (order number, expiry, value, d-m-Y
dates, links) is computed here so it can never disagree with the record."""

from __future__ import annotations

from datetime import date, timedelta

from marshmallow import Schema, fields

from sandbox.core.api import current_api, external_url
from sandbox.core.laravel import paginated_out, php_number
from sandbox.core.openapi import Derived, envelope

from .states import PRICE_GUARANTEE_DAYS


def dmy(iso_date: str | None) -> str | None:
    return date.fromisoformat(iso_date).strftime("%d-%m-%Y") if iso_date else None


def link(path: str) -> str:
    return external_url(current_api(), path)


STRING = {"type": "string"}


class OrderAttributesOut(Schema):
    order_number = fields.Function(lambda o: f"T{o['id']:08d}", metadata=STRING)
    order_date = fields.Function(lambda o: dmy(o["order_date"]), metadata=STRING)
    processed_date = fields.Function(lambda o: dmy(o.get("processed_date")), metadata={"type": ["string", "null"]})
    expiry_date = fields.Function(
        lambda o: dmy((date.fromisoformat(o["order_date"]) + timedelta(days=PRICE_GUARANTEE_DAYS)).isoformat()),
        metadata=STRING)
    value = fields.Function(lambda o: php_number(sum(d["value"] for d in o["devices"])), metadata={"type": "number"})
    order_type = fields.String()
    order_status = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


class DeviceAttributesOut(Schema):
    value = fields.Function(lambda d: php_number(d["value"]), metadata={"type": "number"})
    model = fields.String()
    grade = fields.String()


class DeviceOut(Schema):
    type = fields.Constant("device", metadata={"type": "string", "enum": ["device"]})
    id = fields.Integer()
    attributes = Derived(DeviceAttributesOut())


class CustomerLinksOut(Schema):
    related = fields.Function(lambda o: link(f"/customers/{o['customer_id']}"), metadata=STRING)


class CustomerRelationOut(Schema):
    links = Derived(CustomerLinksOut())


class SummaryRelationshipsOut(Schema):
    customers = Derived(CustomerRelationOut())


class OrderRelationshipsOut(Schema):
    devices = Derived(DeviceOut(), lambda o: o["devices"], many=True)
    customers = Derived(CustomerRelationOut())


class OrderLinksOut(Schema):
    self = fields.Function(lambda o: link(f"/orders/{o['id']}"), metadata=STRING)


class OrderSummaryOut(Schema):
    """An order in a customer's list: no devices."""
    type = fields.Constant("order", metadata={"type": "string", "enum": ["order"]})
    id = fields.Integer()
    attributes = Derived(OrderAttributesOut())
    relationships = Derived(SummaryRelationshipsOut())
    links = Derived(OrderLinksOut())


class OrderOut(OrderSummaryOut):
    """The full order: devices with value, model and grade, then the customer link."""
    relationships = Derived(OrderRelationshipsOut())


order_summary_out = OrderSummaryOut()
order_out = OrderOut()

# The bodies around them, for the OpenAPI document.
order_response_out = envelope("OrderResponseOut", data=fields.Nested(OrderOut))
order_page_out = paginated_out("OrderSummaryPageOut", OrderSummaryOut())
