"""eFiling's seeded state: the docs' order 123 and its two lines (fixtures/formations) plus Faker orders.

Ids follow time: orders 1-122 were placed before the documented one, 124 onwards after it, across several
years and pages, in every status. Each generated order is one company formation: the incorporation (in a
package or on its own), Companies House's fee, what the package includes, one service address per officer
when bought, and extras; its net and gross are the sums of its lines. The documented order keeps its
documented totals, which its two documented lines do not add up to (see docs/fidelity.md). No generated
order is invoiced on 2020-01-01, so the docs' filtered list returns exactly order 123. Dates come from
fixed bounds, never the clock, so a seed always yields the same data."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from faker import Faker

from .states import (CANCELLED, COMPLETE, EXTRAS, FILING_FEES, INCORPORATIONS, OFFICER_PRODUCTS, PACKAGES,
                     PRODUCTS, STARTED, UK_VAT)

ORDERS = 340                       # four pages of 100
EARLIER = (datetime(2018, 1, 2, 8), datetime(2019, 12, 20, 18))
LATER = (datetime(2020, 1, 4, 8), datetime(2025, 12, 31, 18))
STATUS_WEIGHTS = {STARTED: 15, COMPLETE: 70, CANCELLED: 15}
PACKAGE_WEIGHTS = {None: 2, "Bronze Package": 4, "Silver Package": 3, "Gold Package": 2, "Platinum Package": 1}
INCORPORATION_WEIGHTS = {"Limited Company Formation": 8, "LLP Formation": 1,
                         "Company Limited by Guarantee Formation": 1}
NAME_SUFFIXES = {"Limited Company Formation": "LTD", "LLP Formation": "LLP",
                 "Company Limited by Guarantee Formation": "LIMITED"}
TRADES = ("CONSULTING", "TRADING", "HOLDINGS", "DIGITAL", "PROPERTIES", "SERVICES", "VENTURES", "DESIGN",
          "LOGISTICS", "TECHNOLOGIES", "CONSTRUCTION", "MEDIA", "CAPITAL", "HEALTHCARE", "FOODS")
NO_OFFICER = {"company_name": None, "first_name": None, "last_name": None}
CENT = Decimal("0.01")


def seed(fake: Faker, fixtures, *, orders: int = ORDERS) -> dict[str, list[dict]]:
    """``orders``: how many orders in all (``sandbox serve --seed-orders``); the docs' order 123 is among them."""
    documented = {o["id"]: o for o in fixtures["orders"]}
    documented_lines = fixtures["orderlines"]
    first_documented = min(documented)
    earlier = [i for i in range(1, orders + 1) if i < first_documented and i not in documented]
    later = [i for i in range(1, orders + 1) if i > first_documented and i not in documented]
    moments = dict(zip(earlier, _sorted_moments(fake, len(earlier), *EARLIER)))
    moments.update(zip(later, _sorted_moments(fake, len(later), *LATER)))

    orders, lines = [], []
    for order_id in sorted(set(moments) | set(documented)):
        if order_id in documented:
            orders.append(documented[order_id])
            lines += [line for line in documented_lines if line["order_id"] == order_id]
        else:
            order_lines = _lines(fake, order_id, moments[order_id])
            orders.append(_order(fake, order_id, moments[order_id], order_lines))
            lines += order_lines
    return {"orders": orders, "orderlines": [{"id": n, **line} for n, line in enumerate(lines, start=1)]}


def _sorted_moments(fake: Faker, count: int, start: datetime, end: datetime) -> list[datetime]:
    return sorted(fake.date_time_between(start_date=start, end_date=end) for _ in range(count))


def _weighted(fake: Faker, weights: dict):
    return fake.random.choices(list(weights), weights=list(weights.values()))[0]


def incorporation_id(order_id: int) -> int:
    """One incorporation per order, numbered with the orders: order 123 -> 456 as documented."""
    return 3 * order_id + 87


def _order(fake: Faker, order_id: int, created: datetime, lines: list[dict], status: int | None = None) -> dict:
    status = _weighted(fake, STATUS_WEIGHTS) if status is None else status   # given by a factory
    minutes = lambda low, high: timedelta(minutes=fake.random.randint(low, high), seconds=fake.random.randint(0, 59))
    invoiced = cancelled = None
    if status == STARTED:
        updated = created + minutes(0, 90)
        mlc_status = fake.random.choice((STARTED, COMPLETE))   # checks may pass before the order completes
    elif status == COMPLETE:
        invoiced = created + minutes(5, 180) if fake.random.random() < 0.9 else None
        updated = created + minutes(24 * 60, 4 * 24 * 60)
        mlc_status = COMPLETE
    else:
        invoiced = created + minutes(5, 180) if fake.random.random() < 0.3 else None
        cancelled = created + minutes(4 * 60, 10 * 24 * 60)
        updated = cancelled
        mlc_status = CANCELLED
    net = sum(Decimal(line["price"]) * line["quantity"] for line in lines)
    tax = sum(Decimal(line["tax"]) * line["quantity"] for line in lines)
    return {
        "id": order_id,
        "description": lines[0]["incorporation"]["company_name"],
        "created_at": _iso(created),
        "updated_at": _iso(updated),
        "invoiced_at": _iso(invoiced),
        "cancelled_at": _iso(cancelled),
        "status": status,
        "mlc_status": mlc_status,
        "net": str(net),
        "gross": str(net + tax),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.replace(microsecond=0).isoformat() if moment else None


def _lines(fake: Faker, order_id: int, created: datetime) -> list[dict]:
    incorporation = _weighted(fake, INCORPORATION_WEIGHTS)
    package = _weighted(fake, PACKAGE_WEIGHTS)
    company = f"{fake.last_name().upper()} {fake.random.choice(TRADES)} {NAME_SUFFIXES[incorporation]}"
    included = PACKAGES[package][1] if package else ()
    extras = [p for p in fake.random.sample(EXTRAS, fake.random.choice((0, 0, 1, 1, 2, 3))) if p not in included]
    officers = [_officer(fake) for _ in range(fake.random.choices((1, 2, 3), weights=(5, 3, 1))[0])]
    buys_service_address = "Service Address" in included or fake.random.random() < 0.3

    def line(product: str, *, in_package: bool, price: Decimal, officer: dict = NO_OFFICER, quantity: int = 1):
        is_service, is_incorporation, taxable, _ = PRODUCTS[product]
        return {
            "order_id": order_id,
            "description": "",
            "quantity": quantity,
            "price": str(price),
            "tax": str((price * UK_VAT).quantize(CENT) if taxable else Decimal("0.00")),
            "product": {"name": product, "is_service": is_service, "is_incorporation": is_incorporation,
                        "taxable": taxable},
            "package": {"name": package if in_package else None},
            "incorporation": {"incorporation_id": incorporation_id(order_id), "company_name": company},
            "officer": dict(officer),
        }

    free = Decimal("0.00")
    fee = next(amount for since, amount in FILING_FEES if created.date() >= since)
    lines = [line(incorporation, in_package=bool(package),
                  price=PACKAGES[package][0] if package else INCORPORATIONS[incorporation][3]),
             line("Companies House Filing Fee", in_package=bool(package), price=fee)]
    lines += [line(p, in_package=True, price=free) for p in included if p not in OFFICER_PRODUCTS]
    if buys_service_address:
        in_package = "Service Address" in included
        price = free if in_package else PRODUCTS["Service Address"][3]
        lines += [line("Service Address", in_package=in_package, price=price, officer=o) for o in officers]
    lines += [line(p, in_package=False, price=PRODUCTS[p][3], quantity=fake.random.choice((1, 1, 1, 2)))
              for p in extras]
    return lines


def _officer(fake: Faker) -> dict:
    if fake.random.random() < 0.1:   # a corporate director or member
        return {"company_name": f"{fake.last_name().upper()} {fake.random.choice(TRADES)} LTD",
                "first_name": None, "last_name": None}
    return {"company_name": None, "first_name": fake.first_name(), "last_name": fake.last_name()}
