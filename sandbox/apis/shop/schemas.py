"""shop's wire format: what a request may carry (``*In``, with Laravel's rules and wording) and what an
order looks like (``*Out``, the docs' keys, order and money formats).

Input is what Laravel reads (``laravel.write_input``: JSON only with a JSON Content-Type, form fields as
PHP parses them), passed through what every Laravel app does first: ``TrimStrings`` and
``ConvertEmptyStringsToNull`` (so ``"  "`` is missing), then rules written as Laravel's messages with an
``:attribute`` placeholder; the ``exists`` rule on SKUs runs in the same pass, with the catalogue lookup the
route passes in. Not emulated: rules the docs give no hint of."""

from __future__ import annotations

import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from sandbox.core import laravel
from sandbox.core.errors import Invalid
from sandbox.core.laravel import php_number
from sandbox.core.openapi import Derived, envelope
from sandbox.core.php import PHP_INT_MAX, filter_validate_int  # noqa: F401 (PHP_INT_MAX: for tests)
from sandbox.core.validation import load

from .states import ITEM_SKU_MUST_EXIST

# Laravel's lang/en/validation.php wording.
REQUIRED = "The :attribute field is required."
STRING = "The :attribute field must be a string."
ARRAY = "The :attribute field must be an array."
INTEGER = "The :attribute field must be an integer."
EMAIL = "The :attribute field must be a valid email address."
MIN_NUMERIC = "The :attribute field must be at least {min}."
MAX_STRING = "The :attribute field must not be greater than {max} characters."
EXISTS = "The selected :attribute is invalid."

# Close to what Laravel's default ``email`` rule (egulias RFCValidation) accepts: a dot-atom local part
# and a domain of labels (or an address literal). Not emulated: quoted local parts, comments.
_ATEXT = r"[\w!#$%&'*+/=?^`{|}~-]+"
_EMAIL = re.compile(rf"^{_ATEXT}(\.{_ATEXT})*@([\w-]+(\.[\w-]+)*|\[[^\]\s]+\])$")


# -- input ---------------------------------------------------------------------------------------------
def _messages(**extra) -> dict:
    return {"required": REQUIRED, "null": REQUIRED, **extra}


def text(*, required: bool = True, nullable: bool = False, max_length: int = 255, **default) -> fields.String:
    """``required|string|max:255``; ``required=False`` is ``sometimes|required``; ``nullable`` allows null;
    ``load_default=None`` makes an absent value null (without it, absent stays absent)."""
    return fields.String(required=required, allow_none=nullable, **default,
                         validate=validate.Length(max=max_length, error=MAX_STRING),
                         error_messages=_messages(invalid=STRING))


def email(*, required: bool = True) -> fields.String:
    def is_email(value):
        if not _EMAIL.match(value):
            raise ValidationError(EMAIL)
    return fields.String(required=required, validate=[validate.Length(max=255, error=MAX_STRING), is_email],
                         error_messages=_messages(invalid=STRING))


class PhpInteger(fields.Field):
    """Laravel's ``integer`` rule (``filter_var($value, FILTER_VALIDATE_INT) !== false``): 2, "2", " 2 ",
    2.0 and true (as 1, which the integer column stores) pass; 1.5, "two", false and anything beyond PHP's
    64-bit integers fail."""
    openapi = {"type": "integer"}

    def _deserialize(self, value, attr, data, **kwargs):
        number = filter_validate_int(value)
        if number is None:
            raise ValidationError(INTEGER)
        return number


class PhpArray(fields.Field):
    """Laravel's ``array`` rule: a JSON object or list, kept as sent."""
    openapi = {"type": ["object", "array"]}
    loads_as_is = (dict, list)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, (dict, list)):
            raise ValidationError(ARRAY)
        return value


def nested(schema: type[Schema], *, required: bool = True, nullable: bool = False) -> fields.Nested:
    return fields.Nested(schema, required=required, allow_none=nullable, error_messages=_messages(type=ARRAY))


def _not_empty(value):
    if not value:   # Laravel's required fails on an empty array
        raise ValidationError(REQUIRED)


class LaravelIn(Schema):
    error_messages = {"type": ARRAY}   # a nested object that is no object

    class Meta:
        unknown = EXCLUDE   # Laravel ignores input no rule mentions


class AddressIn(LaravelIn):
    """The eight keys of the docs' addresses, in their order; state and phone may be left out."""
    first_name = text()
    last_name = text()
    address = text()
    city = text()
    state = text(required=False, nullable=True, load_default=None)
    postcode = text(max_length=20)
    country = text()
    phone = text(required=False, nullable=True, max_length=50, load_default=None)


class ItemIn(LaravelIn):
    product_sku = text()
    quantity = PhpInteger(required=True, validate=validate.Range(min=1, error=MIN_NUMERIC),
                          error_messages=_messages())
    options = PhpArray(required=False, allow_none=True, load_default=None, error_messages=_messages())


class OrderCreateIn(LaravelIn):
    """POST /orders. ``cart_id`` is read nowhere: the order comes from the caller's own cart."""
    customer_name = text()
    customer_email = email()
    shipping_address = nested(AddressIn)
    billing_address = nested(AddressIn, required=False, nullable=True)
    shipping_method = text()
    notes = text(required=False, nullable=True, max_length=1000, load_default=None)


class OrderUpdateIn(LaravelIn):
    """PUT /orders/{id}: the items the order is rebuilt from are required; every other field is
    ``sometimes`` (checked as on create when given). ``cart_id`` is read nowhere (the docs' response keeps
    ``source_cart_id`` "user_1" although the request sends "user_32")."""
    customer_name = text(required=False)
    customer_email = email(required=False)
    shipping_address = nested(AddressIn, required=False)
    billing_address = nested(AddressIn, required=False)
    shipping_method = text(required=False)
    notes = text(required=False, nullable=True, max_length=1000)
    items = fields.List(fields.Nested(ItemIn, error_messages=_messages(type=ARRAY)), required=True,
                        validate=_not_empty, error_messages=_messages(invalid=ARRAY))


class CartIn(LaravelIn):
    """What the backend's ``put_cart`` takes (tests fill carts with it; the docs have no cart endpoint)."""
    items = fields.List(fields.Nested(ItemIn, error_messages=_messages(type=ARRAY)), required=True,
                        error_messages=_messages(invalid=ARRAY))


order_create_in = OrderCreateIn()
order_update_in = OrderUpdateIn()
cart_in = CartIn()


def laravel_input(value):
    """``TrimStrings`` + ``ConvertEmptyStringsToNull``, the global middleware of every Laravel app.

    A loop, not recursion: a body may nest as deep as json_decode allows (512), deeper than Python recurses."""
    def trimmed(item):
        if isinstance(item, str):
            return item.strip() or None
        return item

    def copy(node):
        return dict(node) if isinstance(node, dict) else list(node)

    if not isinstance(value, (dict, list)):
        return trimmed(value)
    root = copy(value)
    pending = [root]
    while pending:
        node = pending.pop()
        for key, item in list(node.items() if isinstance(node, dict) else enumerate(node)):
            if isinstance(item, str):
                node[key] = item.strip() or None        # trimmed(item), inline: a call per field was 3% of a create
            elif isinstance(item, (dict, list)):
                node[key] = copy(item)
                pending.append(node[key])
    return root


def displayable(attribute: str) -> str:
    """``getDisplayableAttribute``: a wildcard attribute (``items.0.quantity``) is shown raw, any other one
    with spaces for underscores (``shipping address.first name``)."""
    if any(part.isdigit() for part in attribute.split(".")):
        return attribute
    return attribute.replace("_", " ")


def rule_order(schema: Schema, prefix: str = "") -> list[str]:
    """The rules as Laravel would list them (``items.*.quantity``), in declaration order."""
    order = []
    for name, field in schema.fields.items():
        path = prefix + name
        order.append(path)
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            order += rule_order(inner.schema, path + (".*." if inner is not field else "."))
    return order


def invalid(details: dict[str, list[str]], order: list[str] | None = None) -> Invalid:
    """A 422 with Laravel's messages: ``:attribute`` filled in, fields in rule order (wildcards expanded
    rule by rule, as ``ValidationRuleParser`` does), and the summary message."""
    def position(key: str):
        pattern = re.sub(r"\.\d+(?=\.|$)", ".*", key)
        rank = order.index(pattern) if order and pattern in order else len(order or ())
        return rank, [int(p) for p in key.split(".") if p.isdigit()]

    ordered = sorted(details, key=position) if order else list(details)
    worded = {key: [m.replace(":attribute", displayable(key)) for m in details[key]] for key in ordered}
    return Invalid(laravel.validation_message(worded), details=worded)


def _children_of_missing(schema: Schema, data: dict) -> dict[str, list[str]]:
    """Laravel checks ``shipping_address.city => required`` even when ``shipping_address`` itself is
    missing or no array, so each required child of a required object is reported as well."""
    return {f"{name}.{child_name}": [REQUIRED]
            for name, field in schema.fields.items()
            if isinstance(field, fields.Nested) and field.required and not isinstance(data.get(name), dict)
            for child_name, child in field.schema.fields.items() if child.required}


def unknown_skus(data: dict, sku_exists) -> dict[str, list[str]]:
    """``items.*.product_sku => exists``: every given SKU (a rule that has not failed ``required``) that the
    catalogue does not hold; a value that is no string is never a SKU."""
    items = data.get("items")
    if not callable(sku_exists) or not isinstance(items, list):
        return {}
    return {f"items.{index}.product_sku": [EXISTS] for index, item in enumerate(items)
            if isinstance(item, dict) and item.get("product_sku") is not None
            and not (isinstance(item["product_sku"], str) and sku_exists(item["product_sku"]))}


def load_laravel(schema: Schema, data, sku_exists=None) -> dict:
    """Validate a body as a Laravel FormRequest would: every rule in one pass, the ``exists`` rule on
    ``items.*.product_sku`` included when ``sku_exists`` (a catalogue lookup) is given. Anything but an
    object reads as no input at all, so every rule sees nothing."""
    data = laravel_input(data) if isinstance(data, dict) else {}
    failed: dict[str, list[str]] = {}
    try:
        fields_ = load(schema, data)
    except Invalid as exc:
        failed = {**exc.details, **_children_of_missing(schema, data)}
        fields_ = None
    missing = unknown_skus(data, sku_exists)
    for key, messages in missing.items():
        failed[key] = [*failed.get(key, ()), *messages]
    if failed:
        refusal = invalid(failed, rule_order(schema))
        if missing:
            refusal.rule = ITEM_SKU_MUST_EXIST.id
        raise refusal from None
    return fields_


# -- output --------------------------------------------------------------------------------------------
def product_view(product: dict) -> dict:
    """The catalogue entry an item was priced from, as stored, with ``price`` as a number."""
    return {**product, "price": php_number(product["price"])}


OBJECT = {"type": "object"}
PRODUCT = {"type": "object", "description": "The catalogue entry the item was priced from, as stored",
           "properties": {"id": {"type": "integer"}, "sku": {"type": "string"}, "price": {"type": "number"}},
           "required": ["id", "sku", "price"]}


class ItemOut(Schema):
    id = fields.Integer()
    sku = fields.String()
    quantity = fields.Integer()
    price = fields.String()
    total_price = fields.String()
    options = fields.Raw(metadata={"type": ["object", "array", "null"]})
    product = fields.Function(lambda item: product_view(item["product"]), metadata=PRODUCT)


class ShippingOut(Schema):
    method = fields.String(attribute="shipping_method")
    amount = fields.Function(lambda o: php_number(o["shipping_amount"]), metadata={"type": "number"})


class OrderOut(Schema):
    id = fields.Integer()
    order_number = fields.String()
    status = fields.String()
    user_id = fields.Integer()
    total_price = fields.String()
    published = fields.Integer()
    email = fields.String()
    shipping_address = fields.Raw(metadata=OBJECT)
    billing_address = fields.Raw(metadata={"type": ["object", "null"]})
    shipping = Derived(ShippingOut())
    tax_amount = fields.Function(lambda o: php_number(o["tax_amount"]), metadata={"type": "number"})
    discount_amount = fields.Function(lambda o: php_number(o["discount_amount"]), metadata={"type": "number"})
    items = fields.List(fields.Nested(ItemOut))
    notes = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()
    meta = fields.Raw(metadata=OBJECT)


order_out = OrderOut()

# The bodies around an order, for the OpenAPI document.
order_message_out = envelope("OrderMessageOut", message=fields.String(), order=fields.Nested(OrderOut))
order_list_out = envelope("OrderListOut", message=fields.String(), user_id=fields.Integer(),
                          orders=fields.List(fields.Nested(OrderOut)))
