"""mittwald's seeded state: the docs' customers (fixtures/mittwald) plus a few Faker customers, each with
orders for mittwald-like products (proSpace, Space-Server, web hosting, domains, mail).

The docs' customer ``154219e9-…`` gets enough orders to cover every status and both order types; dates
come from fixed bounds, never the clock, so a seed always yields the same data. Names, e-mails and domains
come from a German Faker derived from the given (seeded) one, since mittwald's customers are German.
Prices are net EUR per month as decimal strings; the wire format turns them into JSON numbers."""

from __future__ import annotations

from datetime import datetime, timedelta

from faker import Faker


# (articleId, articleName, articleTemplateName, monthly net EUR, attributeConfiguration)
HOSTING = (
    ("PS23-BASIC-0001", "proSpace Basic", "Pro-Space-Hosting", "20.00", (("storage", "20"), ("vcpu", "1"))),
    ("PS23-PLUS-0004", "proSpace Plus", "Pro-Space-Hosting", "40.00", (("storage", "50"), ("vcpu", "2"))),
    ("PS23-PRO-0002", "proSpace Pro", "Pro-Space-Hosting", "75.00", (("storage", "100"), ("vcpu", "4"))),
    ("SS23-S-0001", "Space-Server S", "Space-Server", "89.00", (("storage", "100"), ("machineType", "shared.large"))),
    ("SS23-M-0001", "Space-Server M", "Space-Server", "149.00", (("storage", "200"), ("machineType", "shared.xlarge"))),
    ("WH25-0001", "Webhosting Start", "Webhosting", "9.99", (("storage", "25"),)),
    ("WH25-0002", "Webhosting Business", "Webhosting", "19.99", (("storage", "75"),)),
)
DOMAINS = (
    ("DOM-DE-0001", "Domain .de", "Domain", "1.19", ".de"),
    ("DOM-COM-0001", "Domain .com", "Domain", "1.49", ".com"),
    ("DOM-EU-0001", "Domain .eu", "Domain", "1.29", ".eu"),
    ("DOM-SHOP-0001", "Domain .shop", "Domain", "2.99", ".shop"),
)
MAIL = (
    ("MA23-0010", "Mail-Archiv 10 GB", "Mail-Archive", "4.99", (("storage", "10"),)),
    ("MA23-0050", "Mail-Archiv 50 GB", "Mail-Archive", "14.99", (("storage", "50"),)),
)
SERVER_SETUP = ("SETUP-SS23-0001", "Einrichtung Space-Server", "Setup", "49.00")

DOCUMENTED_CUSTOMER = "154219e9-bf4a-4f41-9c72-0449a98db62f"
DOCUMENTED_CUSTOMER_ORDERS = 15
OTHER_CUSTOMERS = 3                  # Faker customers besides the fixtures
ORDERS_PER_OTHER_CUSTOMER = (2, 7)
ORDER_DATES = (datetime(2024, 1, 8), datetime(2025, 10, 31))
DUE_AFTER_DAYS = 14
# Only the newest orders are still open; older ones are settled, mostly executed (see _status).
OPEN_STATUSES = ("NEW", "CONFIRMED")
STATUS_WEIGHTS = {"REJECTED": 1, "ABORTED": 1, "EXECUTED": 8}


def seed(fake: Faker, fixtures, *, orders: int | None = None) -> dict[str, list[dict]]:
    """``orders``: how many orders in all (``sandbox serve --seed-orders``), spread over as many Faker
    customers as it takes; default: the docs' customer's 15 and a few for each other customer."""
    german = Faker("de_DE")
    german.seed_instance(fake.random.getrandbits(64))
    customers = [_with_members(german, dict(c)) for c in fixtures["customers"]]
    counts = None if orders is None else _other_counts(german, orders - DOCUMENTED_CUSTOMER_ORDERS)
    others = OTHER_CUSTOMERS if counts is None else max(0, len(counts) - len(customers) + 1)
    numbers = {c["customerNumber"] for c in customers}
    while len(customers) < len(fixtures["customers"]) + others:
        number = str(german.random.randint(1_000_100, 1_099_999))
        if number not in numbers:
            numbers.add(number)
            customers.append(_with_members(german, {"id": german.uuid4(), "customerNumber": number,
                                                    "name": german.company()}))

    orders: list[dict] = []
    order_numbers = iter(german.random.sample(range(5_000_000, 5_999_999), 200 if counts is None else max(200, DOCUMENTED_CUSTOMER_ORDERS + sum(counts))))
    other_counts = iter(counts or ())
    for customer in customers:
        documented = customer["id"] == DOCUMENTED_CUSTOMER
        if documented:
            count = DOCUMENTED_CUSTOMER_ORDERS
        else:
            count = german.random.randint(*ORDERS_PER_OTHER_CUSTOMER) if counts is None else next(other_counts, 0)
        moments = sorted(german.date_time_between(*ORDER_DATES) for _ in range(count))
        # The docs' customer shows every status and both types at least once: the two newest orders are
        # still open (NEW, CONFIRMED), the settled statuses fall somewhere before them.
        forced = {}
        if documented:
            forced = dict(zip(german.random.sample(range(count - len(OPEN_STATUSES)), len(STATUS_WEIGHTS)), STATUS_WEIGHTS))
            forced.update({count - 1: OPEN_STATUSES[0], count - 2: OPEN_STATUSES[1]})
        changes = set(german.random.sample(range(count), 4)) if documented else set()
        for index, moment in enumerate(moments):
            status = forced.get(index) or _status(german, index, count)
            contract_change = index in changes or (not documented and german.random.random() < 0.25)
            orders.append(_order(german, customer, str(next(order_numbers)), moment, status, contract_change))
    return {"customers": customers, "orders": orders}


def _other_counts(fake: Faker, total: int) -> list[int]:
    """Orders per other customer, ORDERS_PER_OTHER_CUSTOMER each, summing to exactly ``total``."""
    counts: list[int] = []
    while sum(counts) < total:
        counts.append(min(fake.random.randint(*ORDERS_PER_OTHER_CUSTOMER), total - sum(counts)))
    return counts


def _with_members(fake: Faker, customer: dict) -> dict:
    """The customer's users, who appear as the ``profile`` of the orders they placed."""
    members = []
    for _ in range(fake.random.randint(1, 2)):
        first, last = fake.first_name(), fake.last_name()
        local = f"{first}.{last}".lower().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", " ": ""}))
        members.append({"userId": fake.uuid4(), "email": f"{local}@{fake.free_email_domain()}",
                        "firstName": first, "lastName": last})
    return {**customer, "members": members}


def _status(fake: Faker, index: int, count: int) -> str:
    if index >= count - 2:                         # the two newest orders are still being processed
        return fake.random.choice(OPEN_STATUSES)
    return fake.random.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]


def _rfc3339(moment: datetime) -> str:
    """``2024-11-21T13:11:30.867Z``: milliseconds and Z, as mittwald's docs print date-times."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _order(fake: Faker, customer: dict, number: str, moment: datetime, status: str, contract_change: bool) -> dict:
    ordered_at = moment.replace(microsecond=fake.random.randint(0, 999) * 1000)
    kind = fake.random.choices(("hosting", "domains", "mail"), weights=(6, 3, 1))[0]
    items = _change_items(fake) if contract_change else _new_items(fake, kind)
    order = {
        "id": fake.uuid4(),
        "orderNumber": number,
        "customerId": customer["id"],
        "type": "CONTRACT_CHANGE" if contract_change else "NEW_ORDER",
        "status": status,
        "invoicingPeriod": 12 if kind == "domains" else fake.random.choices((1, 12), weights=(3, 2))[0],
        "orderDate": _rfc3339(ordered_at),
        "items": items,
    }
    if contract_change:
        order["contractChangeContractId"] = fake.uuid4()
    if status not in ("REJECTED", "ABORTED"):
        order["dueDate"] = _rfc3339(ordered_at + timedelta(days=DUE_AFTER_DAYS))
    if fake.random.random() < 0.9:      # orders placed by mittwald's staff on the customer's behalf carry none
        order["profile"] = fake.random.choice(customer["members"])
    return order


def _item(fake: Faker, article_id: str, name: str, template: str, price: str, *, recurring: bool = True,
          inclusive: bool = False, **optional) -> dict:
    """An order item; ``recurring`` is the sandbox's own flag (summary.recurring vs nonRecurring), never sent."""
    return {"orderItemId": fake.uuid4(), "articleId": article_id, "articleName": name,
            "articleTemplateName": template, "price": "0.00" if inclusive else price,
            "isInclusive": inclusive, "recurring": recurring, **optional}


def _attributes(pairs) -> list[dict]:
    return [{"key": key, "value": value} for key, value in pairs]


def _domain_name(fake: Faker, tld: str) -> str:
    return fake.domain_word() + tld


def _new_items(fake: Faker, kind: str) -> list[dict]:
    if kind == "domains":
        return [_domain_item(fake, fake.random.choice(DOMAINS)) for _ in range(fake.random.randint(1, 3))]
    if kind == "mail":
        article_id, name, template, price, attributes = fake.random.choice(MAIL)
        return [_item(fake, article_id, name, template, price, attributeConfiguration=_attributes(attributes))]
    article_id, name, template, price, attributes = fake.random.choice(HOSTING)
    extras = {}
    if fake.random.random() < 0.3:
        extras["addons"] = [{"hidden": False, "key": "additionalStorage", "value": str(fake.random.choice((10, 20, 50)))}]
    items = [_item(fake, article_id, name, template, price, attributeConfiguration=_attributes(attributes), **extras)]
    if template != "Space-Server":
        # proSpace and web hosting include one domain at no charge.
        items.append(_domain_item(fake, DOMAINS[0], inclusive=True))
    else:
        items.append(_item(fake, *SERVER_SETUP, recurring=False))
    return items


def _domain_item(fake: Faker, domain, inclusive: bool = False) -> dict:
    article_id, name, template, price, tld = domain
    extras = {"addons": [{"key": "domain", "value": _domain_name(fake, tld)}]}
    if fake.random.random() < 0.5:
        extras["predefinedDomainAggregateId"] = fake.uuid4()
    return _item(fake, article_id, name, template, price, inclusive=inclusive, **extras)


def _change_items(fake: Faker) -> list[dict]:
    """A tariff change: the new tariff, referring to the contract item it replaces."""
    article_id, name, template, price, attributes = fake.random.choice(HOSTING)
    return [_item(fake, article_id, name, template, price, attributeConfiguration=_attributes(attributes),
                  reference={"contractItemId": fake.uuid4()})]
