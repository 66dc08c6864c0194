"""Slyk's wire format. ``*In`` schemas validate request bodies; ``*Out`` schemas shape responses.

Every object's keys are in alphabetical order, as in all of Slyk's docs; the one exception is the line
embedded in an order's detail, where the docs print ``metadata`` before ``id`` (reproduced as printed).
Derived amounts (``amountWithoutShipment``, ``amountWithoutTaxes``, ``unpaidAmount``) are computed here
from the stored ones, so they can never disagree with them."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, post_dump, validate

from sandbox.core.openapi import Derived, envelope

from .amounts import TAX_SHARE, dec, difference, money, parse_amount, remembered
from .query import ListSpec
from .states import DELIVERY_METHODS


# -- input ---------------------------------------------------------------------------------------------
# Bounds Slyk does not publish: an amount fits a numeric(28, 8) column (and Decimal's 28 digits, so it can be
# formatted with 8 decimals); a quantity fits a 32-bit integer column.
MAX_AMOUNT = 10 ** 20
MAX_QUANTITY = 2 ** 31 - 1


class Amount(fields.Field):
    """A positive amount with at most eight decimals, as a string ("2.50000000") or a JSON number."""
    openapi = {"type": ["string", "number"]}

    def _deserialize(self, value, attr, data, **kwargs):
        amount = parse_amount(value)
        if amount is None:
            raise ValidationError("Must be a decimal amount such as \"7.00000000\".")
        if amount <= 0:
            raise ValidationError("Must be greater than 0.")
        if -amount.as_tuple().exponent > 8:
            raise ValidationError("Must have at most 8 decimals.")
        if amount >= MAX_AMOUNT:
            raise ValidationError(f"Must be less than {MAX_AMOUNT}.")
        return amount


class JsInteger(fields.Integer):
    """A JSON number that is an integer to JavaScript: Node's JSON.parse makes ``2.0`` and ``1e2`` the numbers
    2 and 100 (it has no separate float), so Slyk's server sees integers there; ``1.5``, "2" and true are not."""
    loads_as_is = (int,)   # core/validation.py's fast load: an int is loaded unchanged

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class LineIn(StrictSchema):
    productId = fields.String(required=True, validate=validate.Length(min=1))
    quantity = JsInteger(load_default=1, validate=validate.Range(min=1, max=MAX_QUANTITY))
    productQuestionsResult = fields.Raw()


class OrderCreateIn(StrictSchema):
    chosenPaymentMethod = fields.String()
    customData = fields.Dict(load_default=dict)
    deliveryMethod = fields.String(load_default="pickup", validate=validate.OneOf(DELIVERY_METHODS))
    dryRun = fields.Boolean(load_default=False)
    lines = fields.List(fields.Nested(LineIn), required=True, validate=validate.Length(min=1))
    shippingAddressId = fields.String(allow_none=True)
    useBonus = fields.Boolean(load_default=False)
    # Optional: the SDK's documented order.create example sends none and is answered "userId": null.
    userId = fields.String(allow_none=True, load_default=None, validate=validate.Length(min=1))
    userNotes = fields.String(allow_none=True)
    walletId = fields.String(allow_none=True)


class OrderPatchIn(StrictSchema):
    customData = fields.Dict()
    shippingAddress = fields.Dict(allow_none=True)
    trackingId = fields.String(allow_none=True)
    userNotes = fields.String(allow_none=True)


class FulfillIn(StrictSchema):
    trackingId = fields.String(allow_none=True)


class UnfulfillIn(Schema):
    class Meta:
        unknown = EXCLUDE     # the SDK sends nothing; whatever else arrives changes nothing


class PayIn(StrictSchema):
    amount = Amount()
    walletId = fields.String(allow_none=True)


class RefundIn(StrictSchema):
    amount = Amount()
    reason = fields.String(allow_none=True)


class CancelIn(StrictSchema):
    reason = fields.String(allow_none=True)
    refundAmount = Amount()


class LineQuantityIn(StrictSchema):
    quantity = JsInteger(validate=validate.Range(min=1, max=MAX_QUANTITY))


order_create_in = OrderCreateIn()
order_patch_in = OrderPatchIn()
fulfill_in = FulfillIn()
unfulfill_in = UnfulfillIn()
pay_in = PayIn()
refund_in = RefundIn()
cancel_in = CancelIn()
line_quantity_in = LineQuantityIn()

# -- list queries --------------------------------------------------------------------------------------
ORDER_LIST = ListSpec(
    filters={"amount": "decimal", "bonus": "decimal", "paidAmount": "decimal", "fulfilledAt": "datetime",
             "paidAt": "datetime", "assetCode": "string", "orderStatus": "string", "paymentStatus": "string",
             "reference": "string", "trackingId": "string", "userId": "string"},
    sorts=frozenset({"createdAt", "canceledAt", "fulfilledAt", "paidAt", "updatedAt", "amount", "paidAmount"}),
    default_sort=(("createdAt", True),),
    flags=frozenset({"hideDrafts"}),
    kinds={"createdAt": "datetime", "canceledAt": "datetime", "updatedAt": "datetime"},
)
LINE_LIST = ListSpec(
    filters={"assetCode": "string", "fulfilledAt": "datetime", "fulfilledQuantity": "integer",
             "quantity": "integer", "status": "string", "unitPrice": "decimal"},
    sorts=frozenset({"createdAt", "fulfilledAt", "quantity", "unitPrice", "updatedAt"}),
    default_sort=(("createdAt", False),),
    kinds={"createdAt": "datetime", "updatedAt": "datetime"},
)


# -- output --------------------------------------------------------------------------------------------
def free_object() -> fields.Raw:
    """metadata, customData: whatever JSON object the client stored."""
    return fields.Raw(metadata={"type": "object"})

class SlykOut(Schema):
    """Keys the docs show only when they hold something (``shippingAddress``) are left out otherwise."""
    OPTIONAL = ("shippingAddress",)

    class Meta:
        optional = ("shippingAddress",)

    @post_dump
    def _drop_absent(self, data, **kwargs):
        for key in self.OPTIONAL:
            if data.get(key, ...) is None:
                del data[key]
        return data


def _difference(minuend: str, subtrahend: str):
    return fields.Function(lambda o: difference(o[minuend], o[subtrahend]), metadata={"type": "string"})


def _line_amount(amount, *keys: str):
    """A line's amount, ``amount`` of the line's values at ``keys``."""
    of = remembered(lambda *values: money(amount(*values)))
    return fields.Function(lambda line: of(*(line[key] for key in keys)), metadata={"type": "string"})


def _out(name: str, declared: dict, order: list[str] | None = None) -> Schema:
    keys = order or sorted(declared)
    return SlykOut.from_dict({key: declared[key] for key in keys}, name=name)()


USER_FIELDS = {"approved": fields.Boolean(), "email": fields.String(), "id": fields.String(),
               "imageUrl": fields.String(allow_none=True), "metadata": free_object(), "name": fields.String()}
user_out = _out("UserOut", USER_FIELDS)

CATEGORY_FIELDS = {"customData": free_object(), "description": fields.String(allow_none=True),
                   "id": fields.String(), "imageUrl": fields.String(allow_none=True), "metadata": free_object(),
                   "thumbnailUrl": fields.String(allow_none=True), "title": fields.String()}
category_out = _out("CategoryOut", CATEGORY_FIELDS)

PRODUCT_FIELDS = {"category": Derived(category_out, lambda p: p["category"]),
                  "customData": free_object(), "description": fields.String(allow_none=True),
                  "id": fields.String(), "image": fields.Raw(allow_none=True), "metadata": free_object(),
                  "name": fields.String(), "thumbnail": fields.Raw(allow_none=True), "typeCode": fields.String()}
product_out = _out("ProductOut", PRODUCT_FIELDS)
product_brief_out = _out("ProductBriefOut", {"id": fields.String(), "name": fields.String()})

ORDER_BRIEF_FIELDS = {
    "amount": fields.String(), "assetCode": fields.String(), "bonus": fields.String(),
    "bonusAssetCode": fields.String(), "canceledAt": fields.String(allow_none=True), "createdAt": fields.String(),
    "customData": free_object(), "fulfilledAt": fields.String(allow_none=True), "id": fields.String(),
    "metadata": free_object(), "orderStatus": fields.String(), "paidAmount": fields.String(),
    "paidAt": fields.String(allow_none=True), "paymentStatus": fields.String(),
    "trackingId": fields.String(allow_none=True), "updatedAt": fields.String(),
    "userId": fields.String(allow_none=True),
}
# The SDK's docs (docs/methods.md, order.*) show these on every order answer besides the seed's keys;
# netAmount is the amount net of taxes (the SDK's examples have no taxes, so amount = netAmount there).
ORDER_FIELDS = {
    **ORDER_BRIEF_FIELDS,
    "amountWithoutShipment": _difference("amount", "shippingAmount"),
    "amountWithoutTaxes": _difference("amount", "taxesAmount"),
    "chosenPaymentMethod": fields.String(allow_none=True),
    "deliveryMethod": fields.String(allow_none=True),
    "netAmount": _difference("amount", "taxesAmount"),
    "reference": fields.String(allow_none=True),
    "shippingAddress": fields.Raw(allow_none=True, metadata={"type": ["object", "null"]}),
    "shippingAmount": fields.String(),
    "taxesAmount": fields.String(),
    "unpaidAmount": _difference("amount", "paidAmount"),
    "userNotes": fields.String(allow_none=True),
    "walletId": fields.String(allow_none=True),
}
LINE_FIELDS = {
    "assetCode": fields.String(), "bonusAssetCode": fields.String(), "createdAt": fields.String(),
    "fulfilledAt": fields.String(allow_none=True), "fulfilledQuantity": fields.Integer(), "id": fields.String(),
    "metadata": free_object(), "orderId": fields.String(), "productId": fields.String(),
    "quantity": fields.Integer(), "status": fields.String(), "unitBonus": fields.String(),
    "unitPrice": fields.String(), "updatedAt": fields.String(),
    # The SDK's orderLine examples: unitNetPrice is unitPrice x quantity there (7.00 x 3 = 21.00, 1.00 x 3 =
    # 3.00), unitTax the tax in one unit: 15% of its price less its bonus, as the order's taxesAmount.
    "unitNetPrice": _line_amount(lambda price, quantity: dec(price) * quantity, "unitPrice", "quantity"),
    "unitTax": _line_amount(lambda price, bonus: (dec(price) - dec(bonus)) * TAX_SHARE, "unitPrice", "unitBonus"),
}

order_brief_out = _out("OrderBriefOut", ORDER_BRIEF_FIELDS)
# The line inside an order's detail: the product's id and name only, and ``metadata`` before ``id``.
_ORDER_LINE_FIELDS = {**LINE_FIELDS, "product": Derived(product_brief_out, lambda l: l["product"])}
_ORDER_LINE_KEYS = sorted(_ORDER_LINE_FIELDS)
_ORDER_LINE_KEYS.remove("metadata")
_ORDER_LINE_KEYS.insert(_ORDER_LINE_KEYS.index("id"), "metadata")
order_line_out = _out("OrderLineInOrderOut", _ORDER_LINE_FIELDS, _ORDER_LINE_KEYS)

# An order as a write answers it; as a read (list, detail) it embeds its user; the detail also its lines.
order_out = _out("OrderOut", ORDER_FIELDS)
order_refund_out = _out("OrderRefundOut", {**ORDER_FIELDS, "refundAmount": fields.String(attribute="refundedAmount")})
_USER = Derived(user_out, lambda o: o.get("user") or None, allow_none=True)
order_read_out = _out("OrderReadOut", {**ORDER_FIELDS, "user": _USER})
order_detail_out = _out("OrderDetailOut", {
    **ORDER_FIELDS, "user": _USER,
    "lines": Derived(order_line_out, lambda o: o["lines"], many=True)})

# A line on its own embeds its order (brief) and its full product with the product's category.
line_out = _out("LineOut", {
    **LINE_FIELDS,
    "order": Derived(order_brief_out, lambda l: l["order"]),
    "product": Derived(product_out, lambda l: l["product"]),
})


# The bodies around them (``{"data": ...}``, lists with ``total``), for the OpenAPI document.
def data_out(name: str, schema: Schema) -> Schema:
    return envelope(name, data=fields.Nested(schema))


def list_out(name: str, schema: Schema) -> Schema:
    return envelope(name, data=fields.List(fields.Nested(schema)), total=fields.Integer())


class FieldErrorOut(Schema):
    field = fields.String()
    message = fields.String()


class SlykErrorOut(Schema):
    """``errors.render``'s body; ``errors`` only on validation_failed."""
    code = fields.String()
    message = fields.String()
    errors = fields.List(fields.Nested(FieldErrorOut))

    class Meta:
        optional = ("errors",)
