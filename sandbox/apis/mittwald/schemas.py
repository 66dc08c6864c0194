"""mittwald's wire format: the list query in, ``de.mittwald.v1.order.CustomerOrder`` out.

Query validation answers like mittwald's ajv-based validator (messages such as "must be integer", JS
property paths, the ajv keyword as ``type``), so it is done here rather than with ``core.validation.load``,
whose messages are marshmallow's. Output keys follow the spec's property order (alphabetical, as in the
docs' rendered examples); an absent optional field is left out, never null; money is a JSON number."""

from __future__ import annotations

import math
import re
from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from sandbox.core.openapi import Derived

from .errors import ValidationFailed, Violation
from .states import ORDER_STATUSES, ORDER_TYPES

# JavaScript's Number(string): a decimal literal (sign, digits, point, exponent) or Infinity, or an unsigned
# 0x / 0o / 0b integer, between any white space (ECMA-262 StringNumericLiteral).
_JS_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_JS_RADIX = {"x": 16, "X": 16, "o": 8, "O": 8, "b": 2, "B": 2}


def ajv_integer(raw: str) -> int | None:
    """A query value as ajv's ``coerceTypes`` makes an integer of it: ``data && data == +data`` coerces to
    ``+data`` (so "1.0", "1e2", " 7 " and "0x10" are 1, 100, 7 and 16), then it must be a finite whole number;
    None when it is no integer. The arithmetic is a double's, as in JavaScript."""
    text = raw.strip()
    if not raw:
        return None
    if not text:
        return 0                      # Number("  ") is 0
    if len(text) > 2 and text[0] == "0" and text[1] in _JS_RADIX:
        if not text[2:].isalnum() or not text[2:].isascii():   # int() would also take "1_0" or " 1"
            return None
        try:
            return int(float(int(text[2:], _JS_RADIX[text[1]])))
        except (ValueError, OverflowError):
            return None
    if not _JS_DECIMAL.fullmatch(text):
        return None
    number = float(text)
    return int(number) if math.isfinite(number) and number.is_integer() else None


def js_number(value) -> int | float:
    """A decimal string as JavaScript's JSON.stringify prints the number: ``9`` for 9.00, ``9.99`` otherwise."""
    amount = Decimal(value)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _refuse(message: str, keyword: str, context: dict[str, str], suffix: str = ""):
    return {"message": message, "type": keyword, "context": context, "suffix": suffix}


class QueryInteger(fields.Field):
    """An integer query parameter with a minimum; the first of repeated values counts."""
    openapi = {"type": "integer"}

    def __init__(self, minimum: int = 0, **kwargs):
        super().__init__(metadata={"minimum": minimum}, **kwargs)
        self.minimum = minimum

    def _deserialize(self, value, attr, data, **kwargs):
        # ajv coerces with Number(): digits beyond a double are Infinity, which is no integer (and never
        # reach int(), which refuses strings over 4300 digits).
        number = ajv_integer(value[0])
        if number is None:
            raise ValidationError([_refuse("must be integer", "type", {"type": "integer"})])
        if number < self.minimum:
            raise ValidationError([_refuse(f"must be >= {self.minimum}", "minimum",
                                           {"comparison": ">=", "limit": str(self.minimum)})])
        return number


class QueryList(fields.Field):
    """An array query parameter: repeated keys (``a=x&a=y``), comma-separated values, or both."""
    openapi = {"type": "array"}

    def __init__(self, choices: tuple[str, ...] | None = None, **kwargs):
        items = {"type": "string", "enum": list(choices)} if choices else {"type": "string"}
        super().__init__(metadata={"items": items}, **kwargs)
        self.choices = choices

    def _deserialize(self, value, attr, data, **kwargs):
        items = [part.strip() for raw in value for part in raw.split(",") if part.strip()]
        if self.choices:
            wrong = [_refuse("must be equal to one of the allowed values", "enum",
                             {"allowedValues": ", ".join(self.choices)}, f"[{i}]")
                     for i, item in enumerate(items) if item not in self.choices]
            if wrong:
                raise ValidationError(wrong)
        return items


class OrderListQueryIn(Schema):
    """order-list-customer-orders' query parameters; unknown parameters are ignored."""

    class Meta:
        unknown = EXCLUDE

    limit = QueryInteger()
    skip = QueryInteger()
    page = QueryInteger()
    includesStatus = QueryList(ORDER_STATUSES, data_key="includesStatus", attribute="includes_status")
    excludesStatus = QueryList(ORDER_STATUSES, data_key="excludesStatus", attribute="excludes_status")
    templateNames = QueryList(data_key="templateNames", attribute="template_names")


def load_query(schema: Schema, args) -> dict:
    """``request.args`` (a MultiDict) through ``schema``; empty values count as absent; failures raise
    ValidationFailed with one ajv-style violation per wrong value."""
    raw = {}
    for name in args:
        values = [v for v in args.getlist(name) if v.strip()]
        if values:
            raw[name] = values
    try:
        return schema.load(raw)
    except ValidationError as exc:
        violations = [Violation(entry["message"], f".{name}{entry['suffix']}", entry["type"], entry["context"])
                      for name, entries in exc.messages.items() for entry in entries]
        raise ValidationFailed(violations) from None


UUID = {"format": "uuid"}
DATE_TIME = {"format": "date-time"}
NUMBER = {"type": "number"}


class OmitAbsent(Schema):
    """Drops the keys of optional fields the record does not have, so nothing is ever ``null``.
    ``Meta.optional`` lists them as the spec does (every other key is required)."""

    def dump(self, obj, *, many=None):
        many = self.many if many is None else many
        if many:
            return [self.dump(o, many=False) for o in obj]
        return {key: value for key, value in super().dump(obj).items() if value is not None}


class AddonOut(OmitAbsent):
    hidden = fields.Boolean()
    key = fields.String()
    value = fields.String()

    class Meta:
        optional = ("hidden",)


class AttributeOut(OmitAbsent):
    key = fields.String()
    value = fields.String()

    class Meta:
        optional = ("value",)


class ReferenceOut(OmitAbsent):
    contractItemId = fields.String(metadata=UUID)
    offerItemId = fields.String(metadata=UUID)
    orderItemId = fields.String(metadata=UUID)

    class Meta:
        optional = ("contractItemId", "offerItemId", "orderItemId")


class OrderItemOut(OmitAbsent):
    addons = Derived(AddonOut(), lambda item: item.get("addons"), many=True)
    articleId = fields.String()
    articleName = fields.String()
    articleTemplateName = fields.String()
    attributeConfiguration = Derived(AttributeOut(), lambda item: item.get("attributeConfiguration"), many=True)
    isInclusive = fields.Boolean()
    orderItemId = fields.String(metadata=UUID)
    predefinedDomainAggregateId = fields.String()
    price = fields.Function(lambda item: js_number(item["price"]), metadata=NUMBER)
    reference = Derived(ReferenceOut(), lambda item: item.get("reference"))

    class Meta:
        optional = ("addons", "articleName", "articleTemplateName", "attributeConfiguration",
                    "predefinedDomainAggregateId", "reference")


class ProfileOut(OmitAbsent):
    email = fields.String(metadata={"format": "email"})
    firstName = fields.String()
    lastName = fields.String()
    title = fields.String(metadata={"enum": ["other", "mr", "ms"]})
    userId = fields.String(metadata=UUID)

    class Meta:
        optional = ("firstName", "lastName", "title")


def summary(order: dict) -> dict:
    """Derived from the items so it can never disagree with them: summary = recurring + nonRecurring."""
    recurring = sum((Decimal(i["price"]) for i in order["items"] if i["recurring"]), Decimal(0))
    once = sum((Decimal(i["price"]) for i in order["items"] if not i["recurring"]), Decimal(0))
    return {"nonRecurring": js_number(once), "recurring": js_number(recurring), "summary": js_number(recurring + once)}


class OrderSummaryOut(Schema):
    """``summary()``'s numbers, passed through as JavaScript prints them."""
    nonRecurring = fields.Raw(metadata=NUMBER)
    recurring = fields.Raw(metadata=NUMBER)
    summary = fields.Raw(metadata=NUMBER)


class CustomerOrderOut(OmitAbsent):
    contractChangeContractId = fields.String(metadata=UUID)
    customerId = fields.String(metadata={"minLength": 1})
    dueDate = fields.String(metadata=DATE_TIME)
    invoicingPeriod = fields.Integer()
    items = Derived(OrderItemOut(), lambda order: order["items"], many=True)
    orderDate = fields.String(metadata=DATE_TIME)
    orderId = fields.String(attribute="id", metadata=UUID)
    orderNumber = fields.String(metadata={"minLength": 1})
    profile = Derived(ProfileOut(), lambda order: order.get("profile"))
    status = fields.String(metadata={"enum": list(ORDER_STATUSES)})
    summary = Derived(OrderSummaryOut(), summary)
    type = fields.String(metadata={"enum": list(ORDER_TYPES)})

    class Meta:
        optional = ("contractChangeContractId", "dueDate", "orderDate", "profile")


order_list_query_in = OrderListQueryIn()
customer_order_out = CustomerOrderOut()
customer_orders_out = CustomerOrderOut(many=True)
