"""eFiling's wire format and query parameters.

Orders are bare JSON arrays as documented. Stored records keep ISO date-times (or null) and money as
decimal strings; the ``*Out`` schemas render them as the docs do: YmdHis integers, ``""`` for a date that
has not happened, money as JSON numbers with two decimals."""

from __future__ import annotations

import copy
import re
from datetime import date, datetime
from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields, missing
from werkzeug.datastructures import MultiDict

from sandbox.core.php import PHP_INT_MAX, parse_str, php_number

# filter[...] is the docs' table, filters[...] their example: both are read, filter[...] wins when both carry
# the same filter. The table's typo "filter[createdTo[]" is, as PHP parses it, the filter "createdTo[",
# which no filter is: ignored, as the real service would.
FILTER_PREFIXES = ("filters", "filter")     # later wins


def order_query(args: MultiDict) -> dict[str, str]:
    """The list's query string as {filter name or "page": value}, read from what PHP's ``$_GET`` holds
    (``php.parse_str``: the last of repeated parameters wins); an empty value, or an array where a value
    belongs, counts as absent."""
    query = parse_str(args.items(multi=True))
    found: dict[str, str] = {}
    for prefix in FILTER_PREFIXES:
        filters = query.get(prefix)
        if isinstance(filters, dict):
            found.update({name: value.strip() for name, value in filters.items()
                          if name != "page" and isinstance(value, str) and value.strip()})
    page = query.get("page")
    number = page.get("number") if isinstance(page, dict) else None
    if isinstance(number, str) and number.strip():
        found["page"] = number.strip()
    return found


PAGE_MESSAGE = "page[number] must be a whole number of 1 or more."
_DIGITS = re.compile(r"[0-9]+")   # ASCII only: int() would also take "३" or "٣"


def whole_number(digits: str) -> int:
    """ASCII digits as PHP's ``(int)`` reads a 20-digit string: at most PHP_INT_MAX. Longer strings are never
    given to int() (it refuses over 4300 digits); such a page is past the end, such a status code unknown."""
    significant = digits.lstrip("0")
    return PHP_INT_MAX if len(significant) > len(str(PHP_INT_MAX)) else min(int(digits), PHP_INT_MAX)


class PageNumber(fields.Field):
    """``page[number]``: a whole number of 1 or more."""
    openapi = {"type": "integer", "minimum": 1}

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if not _DIGITS.fullmatch(value) or whole_number(value) < 1:
            raise ValidationError(PAGE_MESSAGE)
        return whole_number(value)


class Ymd(fields.Field):
    """A calendar day written Ymd (``20200101``)."""
    openapi = {"type": "string", "pattern": "^[0-9]{8}$", "example": "20200101"}

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        try:
            if re.fullmatch(r"[0-9]{8}", value):
                return datetime.strptime(value, "%Y%m%d").date()
        except ValueError:
            pass
        raise ValidationError(f"filter[{self.data_key}] must be a date written Ymd, e.g. 20200101; got {value!r}.")


class StatusCodes(fields.Field):
    """A CSV of numeric status codes (``700,900``)."""
    openapi = {"type": "string", "pattern": "^[0-9]+(,[0-9]+)*$", "example": "700,900"}

    def _deserialize(self, value, attr, data, **kwargs) -> frozenset[int]:
        codes = [code.strip() for code in value.split(",")]
        if not all(_DIGITS.fullmatch(code) for code in codes):
            raise ValidationError(
                f"filter[statuses] must be a comma-separated list of status codes, e.g. 700,900; got {value!r}.")
        return frozenset(whole_number(code) for code in codes)


class OrdersQueryIn(Schema):
    class Meta:
        unknown = EXCLUDE          # eFiling ignores filters it does not know

    statuses = StatusCodes(load_default=None)
    invoiced_from = Ymd(data_key="invoicedFrom", load_default=None)
    invoiced_to = Ymd(data_key="invoicedTo", load_default=None)
    created_from = Ymd(data_key="createdFrom", load_default=None)
    created_to = Ymd(data_key="createdTo", load_default=None)
    page = PageNumber(load_default=1)


def ymdhis(iso: str | None):
    """``2020-01-01T09:55:00`` -> 20200101095500; a date not (yet) set is ``""`` as in the docs."""
    return int(datetime.fromisoformat(iso).strftime("%Y%m%d%H%M%S")) if iso else ""


def money(amount: str) -> int | float:
    """The docs print money as a JSON number (``17.98``, ``2.00``), which PHP's json_encode writes ``2`` when
    whole (no ``JSON_PRESERVE_ZERO_FRACTION``); stored as an exact decimal string."""
    return php_number(Decimal(amount).quantize(Decimal("0.01")))


YMDHIS = {"type": "integer", "description": "YmdHis, e.g. 20200101095500"}
YMDHIS_OR_UNSET = {"anyOf": [YMDHIS, {"type": "string", "enum": [""]}], "description": "YmdHis, or \"\" not yet"}
MONEY = {"type": "number"}


class OrderOut(Schema):
    id = fields.Integer()
    description = fields.String()
    created_at = fields.Function(lambda o: ymdhis(o["created_at"]), metadata=YMDHIS)
    updated_at = fields.Function(lambda o: ymdhis(o["updated_at"]), metadata=YMDHIS_OR_UNSET)
    invoiced_at = fields.Function(lambda o: ymdhis(o["invoiced_at"]), metadata=YMDHIS_OR_UNSET)
    cancelled_at = fields.Function(lambda o: ymdhis(o["cancelled_at"]), metadata=YMDHIS_OR_UNSET)
    status = fields.Integer()
    mlc_status = fields.Integer()
    net = fields.Function(lambda o: money(o["net"]), metadata=MONEY)
    gross = fields.Function(lambda o: money(o["gross"]), metadata=MONEY)


class ProductOut(Schema):
    name = fields.String()
    is_service = fields.Integer()
    is_incorporation = fields.Integer()
    taxable = fields.Integer()


class PackageOut(Schema):
    name = fields.String(allow_none=True)   # null on a line sold outside a package


class IncorporationOut(Schema):
    incorporation_id = fields.Integer()
    company_name = fields.String()


class OfficerOut(Schema):
    """The docs' lines give null for what an officer is not (a person has no company_name)."""
    company_name = fields.String(allow_none=True)
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)


class OrderLineOut(Schema):
    """A line as documented; the stored line id is the sandbox's own and stays off the wire."""
    order_id = fields.Integer()
    description = fields.String()
    quantity = fields.Integer()
    price = fields.Function(lambda line: money(line["price"]), metadata=MONEY)
    tax = fields.Function(lambda line: money(line["tax"]), metadata=MONEY)
    product = fields.Nested(ProductOut)
    package = fields.Nested(PackageOut)
    incorporation = fields.Nested(IncorporationOut)
    officer = fields.Nested(OfficerOut)


orders_query_in = OrdersQueryIn()
order_out = OrderOut()
order_line_out = OrderLineOut()


def query_as_sent(schema: Schema) -> Schema:
    """``schema``'s parameters under the names a client sends (``filter[statuses]``, ``page[number]``),
    for the OpenAPI document; ``order_query`` maps them back."""
    declared = {}
    for name, field in schema.fields.items():
        sent = copy.copy(field)
        sent.data_key = None
        sent.allow_none, sent.load_default = False, missing   # a query string has no null: absent is the default
        declared["page[number]" if name == "page" else f"filter[{field.data_key or name}]"] = sent
    return Schema.from_dict(declared, name="OrdersQueryIn")


class FormationsErrorOut(Schema):
    """``errors.render``'s body: ``error`` is 1 on every failure."""
    error = fields.Integer(metadata={"enum": [1]})
    message = fields.String()
