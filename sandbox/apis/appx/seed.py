"""appx's seeded state: the docs' two orders (fixtures/appx) plus Faker customers and trade-in orders.

Customer 1 gets enough orders to span three pages; customer 43 keeps exactly the one order its documented
list shows. Generated dates sit around the documented ones, from fixed bounds, never from the clock, so
that a seed always yields the same data."""

from __future__ import annotations

from datetime import datetime, timedelta

from faker import Faker

from sandbox.core.laravel import timestamp

from .states import GRADES, ORDER_STATUSES, ORDER_TYPES, PROCESSED_STATUSES

# (device model id, model, price in "Good" grade); id 2 and its 455 come from the docs' example.
DEVICE_MODELS = (
    (1, "Apple iPhone 15 Pro Max 512GB", 420), (2, "Apple iPhone 15 Pro Max 1TB", 455),
    (3, "Apple iPhone 15 Pro 256GB", 360), (4, "Apple iPhone 15 128GB", 280),
    (5, "Apple iPhone 14 Pro 128GB", 250), (6, "Apple iPhone 14 128GB", 190),
    (7, "Apple iPhone 13 128GB", 150), (8, "Apple iPhone 13 mini 128GB", 120),
    (9, "Apple iPhone 12 64GB", 95), (10, "Apple iPhone SE (2022) 64GB", 60),
    (11, "Samsung Galaxy S24 Ultra 256GB", 400), (12, "Samsung Galaxy S24 128GB", 260),
    (13, "Samsung Galaxy S23 128GB", 180), (14, "Samsung Galaxy Z Flip5 256GB", 210),
    (15, "Samsung Galaxy A54 128GB", 70), (16, "Google Pixel 8 Pro 128GB", 240),
    (17, "Google Pixel 8 128GB", 170), (18, "Google Pixel 7a 128GB", 90),
    (19, "Apple iPad Air (5th gen) 64GB", 160), (20, "Apple Watch Series 9 45mm", 110),
)
CUSTOMERS = 60
ORDERS = 150
BUSY_CUSTOMER, BUSY_CUSTOMER_ORDERS = 1, 40
# Ids below the documented orders predate them; ids above follow them.
EARLIER = (datetime(2025, 6, 1), datetime(2025, 12, 16, 23, 0))
LATER = (datetime(2026, 2, 6), datetime(2026, 11, 1))


def seed(fake: Faker, fixtures, *, orders: int = ORDERS) -> dict[str, list[dict]]:
    """``orders``: how many orders in all (``sandbox serve --seed-orders``); the docs' two are among them."""
    documented = {o["id"]: o for o in fixtures["orders"]}
    known_customers = {c["id"] for c in fixtures["customers"]}
    reserved = {o["customer_id"] for o in documented.values()} - {BUSY_CUSTOMER}   # keep their lists as documented
    customers = list(fixtures["customers"]) + [
        _customer(fake, cid) for cid in range(1, CUSTOMERS + 1) if cid not in known_customers]
    open_customers = [c["id"] for c in customers if c["id"] not in reserved]

    new_ids = [i for i in range(1, orders + 1) if i not in documented]
    busy = BUSY_CUSTOMER_ORDERS - sum(o["customer_id"] == BUSY_CUSTOMER for o in documented.values())
    busy_ids = set(fake.random.sample(new_ids, min(busy, len(new_ids))))
    earliest_documented = min(documented)
    earlier = [i for i in new_ids if i < earliest_documented]
    later = [i for i in new_ids if i > earliest_documented]
    moments = dict(zip(earlier, _sorted_moments(fake, len(earlier), *EARLIER)))
    moments.update(zip(later, _sorted_moments(fake, len(later), *LATER)))

    orders = [documented[i] if i in documented else
              _order(fake, i, BUSY_CUSTOMER if i in busy_ids else fake.random.choice(open_customers), moments[i])
              for i in sorted(set(new_ids) | set(documented))]
    return {"customers": sorted(customers, key=lambda c: c["id"]), "orders": orders}


def _sorted_moments(fake: Faker, count: int, start: datetime, end: datetime) -> list[datetime]:
    return sorted(fake.date_time_between(start_date=start, end_date=end) for _ in range(count))


def _customer(fake: Faker, customer_id: int) -> dict:
    first, last = fake.first_name(), fake.last_name()
    return {"id": customer_id, "name": f"{first} {last}",
            "email": f"{first}.{last}{customer_id}@{fake.free_email_domain()}".lower()}


def _order(fake: Faker, order_id: int, customer_id: int, created: datetime) -> dict:
    status = fake.random.choices(ORDER_STATUSES, weights=(30, 10, 8, 5, 30, 8, 6, 3))[0]
    processed = created + timedelta(days=fake.random.randint(2, 12), hours=fake.random.randint(0, 8))
    updated = processed if status != "Awaiting Delivery" else created
    return {
        "id": order_id,
        "customer_id": customer_id,
        "order_date": created.date().isoformat(),
        "processed_date": processed.date().isoformat() if status in PROCESSED_STATUSES else None,
        "order_type": fake.random.choices(ORDER_TYPES, weights=(3, 1))[0],
        "order_status": status,
        "created_at": timestamp(created),
        "updated_at": timestamp(updated),
        "devices": [_device(fake) for _ in range(fake.random.choices((1, 2, 3), weights=(6, 3, 1))[0])],
    }


def _device(fake: Faker) -> dict:
    model_id, model, good_price = fake.random.choice(DEVICE_MODELS)
    grade = fake.random.choices(list(GRADES), weights=(2, 5, 2, 1))[0]
    return {"id": model_id, "value": round(good_price * GRADES[grade]), "model": model, "grade": grade}
