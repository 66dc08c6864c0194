"""shop's seeded state: the docs' catalogue, cart and orders (fixtures/shop) plus Faker data.

The docs are a timeline: orders 5-7 are listed, order 7 is updated (new items 78-80), order 8 is created
(item 81) and cancelled. The seed is the moment before the update, with order 8 already there and still
pending, so each documented request, sent against it, gives the documented answer: the item id counter
stands at 78 (``sequences``) and skips ids already taken.

Faker adds catalogue products, variations and the orders and carts of users 2-12: orders 1-4 before the
documented ones, 9-60 after them, in every status a shop has; user 1's orders are exactly the docs'.
Dates come from fixed bounds, never from the clock, so a seed always yields the same data."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

from faker import Faker

from sandbox.core.api import CreateSetup
from sandbox.core.laravel import php_number, timestamp

from .backend import money, php_string
from .states import DEFAULT_USER_ID, ORDER_NUMBER_ALPHABET, STATUSES

ORDERS = 60
USERS = range(2, 13)
CATALOGUE_SIZE = 14                 # products 1..14, of which the docs show 1 and 2
EARLIER = (datetime(2025, 1, 6), datetime(2025, 3, 27, 18, 0))     # orders 1-4: before order 5
LATER = (datetime(2025, 4, 1, 8, 0), datetime(2025, 6, 30, 20, 0))  # orders 9-60: after order 8
FIRST_EARLIER_ITEM = 60             # orders 1-4 hold items below the docs' 72
PAID_STATUSES = frozenset({"processing", "shipped", "completed", "refunded"})
ADJECTIVES = ("Classic", "Organic", "Slim", "Vintage", "Everyday", "Premium", "Recycled", "Travel")
NOUNS = ("Hoodie", "Backpack", "Water Bottle", "Notebook", "Mug", "T-Shirt", "Cap", "Tote Bag", "Scarf",
         "Desk Lamp", "Phone Case", "Sneakers")
SIZES = ("S", "M", "L", "XL")
COLORS = ("red", "blue", "black", "white", "green")


def seed(fake: Faker, fixtures, *, orders: int = ORDERS) -> dict[str, list[dict]]:
    """``orders``: how many orders in all (``sandbox serve --seed-orders``); the docs' are among them."""
    products = list(fixtures["products"]) + [
        _product(fake, pid) for pid in range(len(fixtures["products"]) + 1, CATALOGUE_SIZE + 1)]
    variations = list(fixtures["variations"])
    for product in products[len(fixtures["products"]):]:
        for number in range(1, fake.random.choice((0, 0, 1, 2)) + 1):
            variations.append(_variation(fake, len(variations) + 1, product, number))
    catalogue = products + [_as_item_product(v, products) for v in variations]

    people = {uid: _person(fake, uid) for uid in USERS}
    documented = {o["id"]: o for o in fixtures["orders"]}
    earlier = [i for i in range(1, orders + 1) if i < min(documented)]
    later = [i for i in range(1, orders + 1) if i > max(documented)]
    next_item = {"earlier": FIRST_EARLIER_ITEM,
                 "later": max(item["id"] for o in documented.values() for item in o["items"]) + 1}
    orders = dict(documented)
    for group, ids, bounds in (("earlier", earlier, EARLIER), ("later", later, LATER)):
        for order_id, created in zip(ids, _sorted_moments(fake, len(ids), *bounds)):
            person = people[fake.random.choice(list(USERS))]
            order = _order(fake, order_id, person, created, catalogue, next_item[group], group == "earlier")
            next_item[group] += len(order["items"])
            orders[order_id] = order

    carts = list(fixtures["carts"]) + [_cart(fake, uid, catalogue) for uid in USERS]
    return {"products": products, "variations": variations, "carts": carts,
            "orders": [orders[i] for i in sorted(orders)], "sequences": list(fixtures["sequences"])}


def _sorted_moments(fake: Faker, count: int, start: datetime, end: datetime) -> list[datetime]:
    return sorted(fake.date_time_between(start_date=start, end_date=end) for _ in range(count))


def _product(fake: Faker, product_id: int) -> dict:
    price = Decimal(fake.random.randint(8, 180)) + fake.random.choice((Decimal("0"), Decimal("0.99"), Decimal("0.50")))
    return {"id": product_id, "title": f"{fake.random.choice(ADJECTIVES)} {fake.random.choice(NOUNS)}",
            "sku": f"EH-{product_id}", "price": money(price)}


def _variation(fake: Faker, variation_id: int, product: dict, number: int) -> dict:
    surcharge = Decimal(fake.random.choice((0, 5, 10, 15)))
    return {"id": variation_id, "product_id": product["id"],
            "title": f"{product['title']} {fake.random.choice(COLORS)} {fake.random.choice(SIZES)}",
            "sku": f"{product['sku']}-{number}", "price": money(Decimal(product["price"]) + surcharge)}


def _as_item_product(variation: dict, products: list[dict]) -> dict:
    parent = next(p for p in products if p["id"] == variation["product_id"])
    return {"id": variation["id"], "title": variation["title"], "sku": variation["sku"],
            "price": variation["price"], "parent_product": {k: parent[k] for k in ("id", "title", "sku")}}


def _person(fake: Faker, user_id: int) -> dict:
    first, last = fake.first_name(), fake.last_name()
    address = {"first_name": first, "last_name": last, "address": fake.street_address(), "city": fake.city(),
               "state": fake.county(), "postcode": fake.postcode(), "country": "GB", "phone": fake.phone_number()}
    return {"user_id": user_id, "name": f"{first} {last}", "address": address,
            "email": f"{first}.{last}{user_id}@{fake.free_email_domain()}".lower()}


def _line(fake: Faker, catalogue: list[dict]) -> tuple[dict, int, dict | None]:
    product = fake.random.choice(catalogue)
    options = fake.random.choice((None, {"color": fake.random.choice(COLORS)},
                                  {"color": fake.random.choice(COLORS), "size": fake.random.choice(SIZES)}))
    return product, fake.random.choices((1, 2, 3), weights=(6, 3, 1))[0], options


def _order(fake: Faker, order_id: int, person: dict, created: datetime, catalogue: list[dict],
           first_item_id: int, old: bool) -> dict:
    weights = (0, 1, 3, 8, 2, 1) if old else (4, 4, 3, 6, 2, 1)   # old orders have run their course
    status = fake.random.choices(STATUSES, weights=weights)[0]
    items = []
    for item_id in range(first_item_id, first_item_id + fake.random.choices((1, 2, 3), weights=(6, 3, 1))[0]):
        product, quantity, options = _line(fake, catalogue)
        price = Decimal(product["price"])
        items.append({"id": item_id, "sku": product["sku"], "quantity": quantity, "price": money(price),
                      "total_price": money(price * quantity), "options": options, "product": product})
    subtotal = sum(Decimal(item["total_price"]) for item in items)
    updated = created + (timedelta(seconds=1) if status == "pending" else
                         timedelta(hours=fake.random.randint(1, 96), minutes=fake.random.randint(0, 59)))
    meta = {"source": "cart", **{f"item_{item['id']}_name": item["product"]["title"] for item in items},
            "subtotal": php_string(subtotal), "source_cart_id": f"user_{person['user_id']}",
            "created_at": (created + timedelta(seconds=2)).strftime("%Y-%m-%d %H:%M:%S")}
    if status in PAID_STATUSES:
        meta.update(_payment(fake, subtotal, refunded=status == "refunded"))
    suffix = "".join(fake.random.choice(ORDER_NUMBER_ALPHABET) for _ in range(4))
    return {
        "id": order_id, "order_number": f"ORD-{created:%Y%m%d}-{suffix}", "status": status,
        "user_id": person["user_id"], "total_price": money(subtotal), "published": 1, "email": person["email"],
        "customer_name": person["name"], "shipping_address": person["address"],
        "billing_address": dict(person["address"]), "shipping_method": "standard", "shipping_amount": "0.00",
        "tax_amount": "0.00", "discount_amount": "0.00", "items": items,
        "notes": fake.random.choice((None, "Please leave package at front door", "Ring the bell twice")),
        "created_at": timestamp(created), "updated_at": timestamp(updated), "meta": meta,
    }


def _payment(fake: Faker, amount: Decimal, refunded: bool) -> dict:
    """Stripe's trail in the meta, as the docs' processing order 6 carries it."""
    def stripe_id(prefix: str) -> str:
        return prefix + fake.pystr(min_chars=24, max_chars=24)
    intent, method = stripe_id("pi_3"), stripe_id("pm_1")
    return {"payment_payment_id": intent, "payment_payment_provider": "stripe", "payment_payment_method": method,
            "payment_payment_status": "succeeded", "payment_id": intent,
            "payment_status": "refunded" if refunded else "completed", "payment_method": "stripe",
            "payment_data": json.dumps({"payment_method": method, "amount": php_number(money(amount)), "currency": "usd"},
                                       separators=(",", ":"))}


def _cart(fake: Faker, user_id: int, catalogue: list[dict]) -> dict:
    lines = []
    for _ in range(fake.random.choice((0, 1, 1, 2, 3))):
        product, quantity, options = _line(fake, catalogue)
        lines.append({"product_sku": product["sku"], "quantity": quantity, "options": options})
    return {"id": f"user_{user_id}", "user_id": user_id, "items": lines}


BENCH_FIRST_USER = 100_001


def carts_for_bench(fixtures, count: int) -> CreateSetup:
    """``make bench``: a create empties the user's cart, so ``count`` creates in a row need ``count`` users, each
    with a cart like the docs' user's. Each is named by its ``sandbox-user-<id>`` token (users.py), so that nothing
    about them goes to the server but the carts: a list of tokens in ``SANDBOX_SHOP_USERS`` bounded a run to the
    ~7,000 users one environment variable holds, fewer than a fast machine's creates at c=32."""
    template = next(cart for cart in fixtures["carts"] if cart["user_id"] == DEFAULT_USER_ID)
    users = range(BENCH_FIRST_USER, BENCH_FIRST_USER + count)
    return CreateSetup(
        environment={},
        records={"carts": [{**template, "id": f"user_{uid}", "user_id": uid} for uid in users]},
        headers=[{"Authorization": f"Bearer sandbox-user-{uid}"} for uid in users])
