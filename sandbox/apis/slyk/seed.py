"""Slyk's seeded state: the docs' records (fixtures/slyk) plus a Faker store around them.

Generated orders are placed between FIRST and LAST, before the documented orders (2020-08-10), so that
the documented ones lead the default newest-first list. Each generated order is priced by the same
``amounts.quote`` as a created one and gets a status, lines and payments that agree with each other.
Lines the fixtures list without an id (implied by a documented order's amounts) get one here."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from faker import Faker

from . import states
from .amounts import ZERO, dec, money, quote, timestamp

FIRST = datetime(2019, 3, 1, tzinfo=timezone.utc)
LAST = datetime(2020, 8, 9, 18, 0, tzinfo=timezone.utc)
ORDERS, USERS, PRODUCTS = 90, 16, 14
CATEGORIES = ("Books", "Games", "Gift cards")
PRODUCT_NAMES = ("Vinyl record", "Concert ticket", "Poster", "Hoodie", "Sticker pack", "E-book", "Audiobook",
                 "Board game", "Game key", "Gift card 10", "Gift card 25", "Tote bag", "Cap", "Mug", "Notebook")
ORDER_DEFAULTS = {"refundedAmount": "0.00000000", "reference": None, "shippingAddress": None, "walletId": None,
                  "userNotes": None, "chosenPaymentMethod": None, "shippingAddressId": None}
# (order status, payment status) -> weight; combinations the state machines can reach.
OUTCOMES = {
    (states.DRAFT, states.UNPAID): 5,
    (states.UNFULFILLED, states.UNPAID): 20, (states.UNFULFILLED, states.PARTIALLY_PAID): 6,
    (states.UNFULFILLED, states.FULLY_PAID): 14,
    (states.FULFILLED, states.FULLY_PAID): 30, (states.FULFILLED, states.UNPAID): 4,
    (states.FULFILLED, states.PARTIALLY_REFUNDED): 3, (states.FULFILLED, states.FULLY_REFUNDED): 3,
    (states.CANCELED, states.UNPAID): 10, (states.CANCELED, states.FULLY_REFUNDED): 5,
}


def seed(fake: Faker, fixtures, *, orders: int | None = None) -> dict[str, list[dict]]:
    """``orders``: how many orders in all (``sandbox serve --seed-orders``); default: the docs' plus ORDERS."""
    generated = ORDERS if orders is None else max(0, orders - len(fixtures["orders"]))
    categories = list(fixtures["categories"]) + [_category(fake, title) for title in CATEGORIES]
    products = list(fixtures["products"]) + [
        _product(fake, name, fake.random.choice(categories)["id"]) for name in PRODUCT_NAMES[:PRODUCTS]]
    users = list(fixtures["users"]) + [_user(fake) for _ in range(USERS)]
    documented_lines = [line if "id" in line else {"id": fake.uuid4(), **line} for line in fixtures["lines"]]
    orders, lines = [], []
    moments = sorted(fake.date_time_between(start_date=FIRST, end_date=LAST, tzinfo=timezone.utc)
                     for _ in range(generated))
    for created in reversed(moments):     # newest first, as the documented orders before them
        order, order_lines = _order(fake, created, users, products)
        orders.append(order)
        lines.extend(order_lines)
    # The docs' orders show no reference; each gets one made as a create makes it (from its id).
    documented = [{**ORDER_DEFAULTS, "reference": order["id"][-8:].upper(), **order} for order in fixtures["orders"]]
    return {"categories": categories, "products": products, "users": users,
            "orders": documented + orders, "lines": documented_lines + lines}


def _category(fake: Faker, title: str) -> dict:
    return {"id": fake.uuid4(), "customData": {}, "description": fake.sentence(nb_words=4), "imageUrl": None,
            "metadata": {}, "thumbnailUrl": None, "title": title}


def _product(fake: Faker, name: str, category_id: str) -> dict:
    price = Decimal(fake.random.randint(100, 6000)) / 100
    bonus = (price * Decimal(fake.random.choice((0, 0, 5, 10))) / 100).quantize(Decimal("0.01"))
    return {"id": fake.uuid4(), "categoryId": category_id, "customData": {}, "description": fake.sentence(),
            "image": None, "metadata": {}, "name": name, "thumbnail": None,
            "typeCode": fake.random.choice(("digital", "physical")), "price": money(price), "bonus": money(bonus)}


def _user(fake: Faker) -> dict:
    name = fake.unique.first_name().lower()
    return {"approved": fake.random.random() < 0.85, "email": f"{name}@{fake.free_email_domain()}",
            "id": fake.uuid4(), "imageUrl": None, "metadata": {}, "name": name}


def _order(fake: Faker, created: datetime, users: list[dict], products: list[dict]) -> tuple[dict, list[dict]]:
    order_id = fake.uuid4()
    status, payment = fake.random.choices(list(OUTCOMES), weights=list(OUTCOMES.values()))[0]
    method = fake.random.choice(states.DELIVERY_METHODS)
    use_bonus = fake.random.random() < 0.4
    later = created + timedelta(hours=fake.random.randint(1, 96), minutes=fake.random.randint(0, 59))
    lines = []
    for product in fake.random.sample(products, fake.random.choice((1, 1, 2, 3))):
        quantity = fake.random.randint(1, 4)
        done = quantity if status == states.FULFILLED else (
            fake.random.randint(0, quantity - 1) if status == states.UNFULFILLED and fake.random.random() < 0.3 else 0)
        lines.append({
            "id": fake.uuid4(), "assetCode": states.ASSET_CODE, "bonusAssetCode": states.ASSET_CODE,
            "createdAt": timestamp(created), "fulfilledAt": timestamp(later) if done else None,
            "fulfilledQuantity": done, "metadata": {}, "orderId": order_id, "productId": product["id"],
            "quantity": quantity, "status": states.line_status(quantity, done),
            "unitBonus": product["bonus"] if use_bonus else money(ZERO), "unitPrice": product["price"],
            "updatedAt": timestamp(later if done else created)})
    amounts = quote(lines, method)
    total = dec(amounts["amount"])
    paid = {states.UNPAID: ZERO, states.FULLY_PAID: total, states.FULLY_REFUNDED: ZERO,
            states.PARTIALLY_PAID: (total / 2).quantize(Decimal("0.01")),
            states.PARTIALLY_REFUNDED: (total / 2).quantize(Decimal("0.01"))}[payment]
    ever_paid = payment != states.UNPAID
    order = {
        "id": order_id, **amounts, "assetCode": states.ASSET_CODE, "bonusAssetCode": states.ASSET_CODE,
        "canceledAt": timestamp(later) if status == states.CANCELED else None, "createdAt": timestamp(created),
        "customData": {}, "deliveryMethod": method,
        "fulfilledAt": timestamp(later) if status == states.FULFILLED else None,
        "metadata": {"deliveryMethod": method, "shippingAmount": amounts["shippingAmount"],
                     "taxesAmount": amounts["taxesAmount"]},
        "orderStatus": status, "paidAmount": money(paid), "paidAt": timestamp(created + timedelta(minutes=5)) if ever_paid else None,
        "paymentStatus": payment,
        "trackingId": fake.uuid4() if status == states.FULFILLED and method == "shipping" else None,
        "updatedAt": timestamp(later if status != states.DRAFT and (status != states.UNFULFILLED or ever_paid) else created),
        "userId": fake.random.choice(users)["id"],
        **ORDER_DEFAULTS,
        "refundedAmount": money(total - paid) if payment in (states.PARTIALLY_REFUNDED, states.FULLY_REFUNDED) else money(ZERO),
        "reference": fake.bothify("???####", letters="ABCDEFGHJKLMNPQRSTUVWXYZ"),
    }
    return order, lines
