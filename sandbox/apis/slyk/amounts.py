"""Money and time as Slyk writes them: amounts are strings with eight decimals ("7.00000000"), computed
with Decimal; timestamps are ISO 8601 in UTC with milliseconds ("2020-08-10T10:00:00.000Z").

How an order is priced is not public. The sandbox follows the arithmetic every documented order obeys:
``amountWithoutShipment = Σ unitPrice × quantity − bonus``, ``amount = amountWithoutShipment + shipping``,
taxes are included in the amount (``amountWithoutTaxes = amount − taxes``) and are 15% of
``amountWithoutShipment`` (0.90 of 6.00 in the docs), shipping costs 1.00 for ``shipping`` and nothing
for ``pickup``."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from typing import Callable

EIGHT_DECIMALS = Decimal("0.00000001")
ZERO = Decimal(0)
SHIPPING_COST = {"shipping": Decimal("1.00"), "pickup": ZERO}
TAX_SHARE = Decimal("0.15")
AMOUNTS_KEPT = 4096      # results of ``remembered`` amount functions, per function (least recently used dropped)


def dec(value) -> Decimal:
    kind = type(value)
    if kind is str:
        return Decimal(value)           # what a stored amount is
    if kind is Decimal:
        return value                    # Decimal(str(d)) is d: same digits, same exponent
    return Decimal(str(value)) if value is not None else ZERO


def money(value) -> str:
    return format(dec(value).quantize(EIGHT_DECIMALS, rounding=ROUND_HALF_EVEN), "f")


NO_AMOUNT = money(ZERO)     # "0.00000000"


def remembered(compute: Callable[..., str]) -> Callable[..., str]:
    """``compute``, an amount computed from stored values alone (amount strings, quantities), with its results kept
    for the last ``AMOUNTS_KEPT`` arguments: an order's dump computes four of them (``unpaidAmount``, ...) and a
    line's two, from the same few prices and amounts order after order (the Decimal steps were 8% of a create)."""
    kept = lru_cache(maxsize=AMOUNTS_KEPT)(compute)

    def amount(*values):
        try:
            return kept(*values)
        except TypeError:               # a value that cannot be a key (an imported state may hold anything)
            return compute(*values)
    return amount


@remembered
def difference(minuend, subtrahend) -> str:
    return money(dec(minuend) - dec(subtrahend))


def parse_amount(raw) -> Decimal | None:
    """A decimal amount as a client sends it (a string, or a JSON number); None if it is not one."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def timestamp(moment: datetime) -> str:
    # isoformat, not strftime (a third of the cost): "2020-08-10T10:00:00.000+00:00" up to the offset; the
    # sandbox clock keeps to the years 1970-9000, always four digits.
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")[:23] + "Z"


def parse_timestamp(raw: str) -> datetime:
    """ISO 8601 (a date, or a date and time with Z or an offset) as an aware UTC datetime; ValueError otherwise."""
    parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def quote(lines: list[dict], delivery_method: str) -> dict[str, str]:
    """The order's amounts from its priced lines (``unitPrice``, ``unitBonus``, ``quantity``)."""
    goods = sum((dec(line["unitPrice"]) * line["quantity"] for line in lines), ZERO)
    bonus = sum((dec(line["unitBonus"]) * line["quantity"] for line in lines), ZERO)
    without_shipment = goods - bonus
    shipping = SHIPPING_COST[delivery_method]
    taxes = (without_shipment * TAX_SHARE).quantize(EIGHT_DECIMALS, rounding=ROUND_HALF_EVEN)
    return {"amount": money(without_shipment + shipping), "bonus": money(bonus),
            "shippingAmount": money(shipping), "taxesAmount": money(taxes)}
