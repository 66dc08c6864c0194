"""A write load against shop and slyk from many threads, each an ``Actor`` that owns its records.

An actor is one shop user (its orders are nobody else's) and a share of slyk's orders (the seeded ones
dealt out by position, plus those it creates), so the order of one actor's requests is the order its
records changed in. Requests of different actors meet only in the counters that hand out ids, which the
answers reveal. That is what makes a serial replay of a concurrent run decidable (see
``serial_order``). Every request and its answer is kept as an ``Op``."""

from __future__ import annotations

import itertools
import json
import random
import threading
from dataclasses import dataclass, field

import requests

SHOP = "/shop/api/v1/shop"
SLYK = "/slyk"
SLYK_AUTH = {"apikey": "load-key"}
ADDRESS = {"first_name": "Jane", "last_name": "Roe", "address": "1 High Street", "city": "Leeds",
           "postcode": "LS1 1AA", "country": "GB"}
SHOP_CREATE = {"customer_name": "Jane Roe", "customer_email": "jane@example.com", "shipping_address": ADDRESS,
               "shipping_method": "standard"}


def shop_token(user: int) -> str:
    return f"load-user-{user}"


def shop_users_config(users) -> dict[str, int]:
    """``SHOP_USERS`` for a server whose actors are these shop users."""
    return {shop_token(user): user for user in users}


@dataclass
class Op:
    actor: int
    index: int
    session: str
    api: str
    method: str
    path: str
    body: object
    headers: dict
    decidable: bool = True           # False: the answer shows other actors' records (a full list)
    status: int | None = None        # None: never answered (the server died first)
    answer: object = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def send(self, session: requests.Session, base_url: str, timeout: float = 30) -> None:
        response = session.request(self.method, base_url + self.path, headers=self.headers, timeout=timeout,
                                   data=None if self.body is None else json.dumps(self.body))
        self.status = response.status_code
        self.answer = response.json() if response.content else None


@dataclass
class Actor:
    """One thread's share of the world, and the dice that choose its next request."""
    number: int
    session: str
    shop_user: int
    slyk_orders: list[str]
    slyk_lines: dict[str, list[str]]      # order id -> line ids
    slyk_users: list[str]
    slyk_products: list[str]
    shop_skus: list[str]
    shop_orders: list[int] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)

    def __post_init__(self):
        self.dice = random.Random(f"actor-{self.session}-{self.number}")
        self.counter = itertools.count()

    @property
    def headers(self) -> dict:
        return {"Content-Type": "application/json",
                **({"X-Sandbox-Session": self.session} if self.session != "default" else {})}

    def next_op(self) -> Op:
        choice = self.dice.choices(list(self._moves()), weights=[w for w, _ in self._moves().values()])[0]
        api, method, path, body, *rest = self._moves()[choice][1]()
        op = Op(self.number, len(self.ops), self.session, api, method, path, body,
                {**self.headers, **(SLYK_AUTH if api == "slyk" else self._shop_auth())},
                decidable=not rest or rest[0])
        self.ops.append(op)
        return op

    def observe(self, op: Op) -> None:
        """Learn the ids of records this actor made."""
        if not op.ok or op.method != "POST":
            return
        if op.api == "shop" and op.path == f"{SHOP}/orders":
            self.shop_orders.append(op.answer["order"]["id"])
        elif op.api == "slyk" and op.path == f"{SLYK}/orders":
            self.slyk_orders.append(op.answer["data"]["id"])
            self.slyk_lines[op.answer["data"]["id"]] = []    # learnt by the next read of the order

    def learn_lines(self, op: Op) -> None:
        if op.ok and op.api == "slyk" and op.method == "GET" and isinstance(op.answer, dict):
            data = op.answer.get("data")
            if isinstance(data, dict) and "lines" in data:
                self.slyk_lines[data["id"]] = [line["id"] for line in data["lines"]]

    def _shop_auth(self) -> dict:
        return {"Authorization": f"Bearer {shop_token(self.shop_user)}", "X-API-Key": "load-key"}

    # -- the moves and their weights -----------------------------------------------------------------------
    def _moves(self):
        return {
            "shop create": (2, self._shop_create), "shop update": (4, self._shop_update),
            "shop cancel": (1, self._shop_cancel), "shop read": (2, self._shop_read),
            "shop list": (1, lambda: ("shop", "GET", f"{SHOP}/orders", None)),
            "slyk create": (2, self._slyk_create), "slyk patch": (3, self._slyk_patch),
            "slyk fulfill": (2, lambda: self._slyk_action("fulfill", None)),
            "slyk unfulfill": (2, lambda: self._slyk_action("unfulfill", None)),
            "slyk pay": (3, lambda: self._slyk_action("pay", self._amount())),
            "slyk refund": (2, lambda: self._slyk_action("refund", self._amount())),
            "slyk cancel": (1, lambda: self._slyk_action("cancel", {"reason": f"r{next(self.counter)}"})),
            "slyk line fulfill": (3, lambda: self._slyk_line("fulfill")),
            "slyk line unfulfill": (3, lambda: self._slyk_line("unfulfill")),
            "slyk read": (3, self._slyk_read),
            "slyk list": (1, lambda: ("slyk", "GET", f"{SLYK}/orders?page[size]=5", None, False)),
        }

    def _shop_order(self) -> int:
        return self.dice.choice(self.shop_orders) if self.shop_orders else 999_999

    def _shop_create(self):
        return "shop", "POST", f"{SHOP}/orders", {**SHOP_CREATE, "notes": f"a{self.number}-{next(self.counter)}"}

    def _shop_update(self):
        items = [{"product_sku": self.dice.choice(self.shop_skus), "quantity": self.dice.randint(1, 4)}
                 for _ in range(self.dice.randint(1, 3))]
        return "shop", "PUT", f"{SHOP}/orders/{self._shop_order()}", {
            "items": items, "notes": f"u{self.number}-{next(self.counter)}"}

    def _shop_cancel(self):
        return "shop", "POST", f"{SHOP}/orders/{self._shop_order()}/cancel", None

    def _shop_read(self):
        return "shop", "GET", f"{SHOP}/orders/{self._shop_order()}", None

    def _slyk_order(self) -> str:
        return self.dice.choice(self.slyk_orders)

    def _amount(self):
        return self.dice.choice([None, {"amount": "0.50000000"}, {"amount": "1.25000000"}])

    def _slyk_create(self):
        lines = [{"productId": self.dice.choice(self.slyk_products), "quantity": self.dice.randint(1, 3)}
                 for _ in range(self.dice.randint(1, 3))]
        return "slyk", "POST", f"{SLYK}/orders", {
            "userId": self.dice.choice(self.slyk_users), "lines": lines,
            "deliveryMethod": self.dice.choice(["shipping", "pickup"])}

    def _slyk_patch(self):
        return "slyk", "PATCH", f"{SLYK}/orders/{self._slyk_order()}", {
            "userNotes": f"n{self.number}-{next(self.counter)}", "trackingId": f"t{next(self.counter)}"}

    def _slyk_action(self, action: str, body):
        return "slyk", "POST", f"{SLYK}/orders/{self._slyk_order()}/{action}", body

    def _slyk_line(self, action: str):
        order = self._slyk_order()
        lines = self.slyk_lines.get(order)
        if not lines:
            return self._slyk_read(order)
        return "slyk", "POST", f"{SLYK}/orders/{order}/lines/{self.dice.choice(lines)}/{action}", {"quantity": 1}

    def _slyk_read(self, order: str | None = None):
        return "slyk", "GET", f"{SLYK}/orders/{order or self._slyk_order()}", None


def make_actors(state_by_api: dict, sessions: list[str], per_session: int) -> list[Actor]:
    """``per_session`` actors in each session; actor k is shop user k+1 and owns every slyk order whose
    position is k modulo ``per_session`` (the seeded state is the same in every session)."""
    shop, slyk = state_by_api["shop"], state_by_api["slyk"]
    lines: dict[str, list[str]] = {}
    for line in slyk["lines"]:
        lines.setdefault(line["orderId"], []).append(line["id"])
    actors = []
    for session in sessions:
        for k in range(per_session):
            user = k + 1
            owned = [o["id"] for i, o in enumerate(slyk["orders"]) if i % per_session == k]
            actors.append(Actor(
                number=len(actors), session=session, shop_user=user, slyk_orders=owned,
                slyk_lines={order: list(lines.get(order, [])) for order in owned},
                slyk_users=[u["id"] for u in slyk["users"]], slyk_products=[p["id"] for p in slyk["products"]],
                shop_skus=[p["sku"] for p in shop["products"]],
                shop_orders=[o["id"] for o in shop["orders"] if o["user_id"] == user]))
    return actors


def run(base_url: str, actors: list[Actor], ops_each: int, stop: threading.Event | None = None) -> None:
    """Each actor in its own thread sends ``ops_each`` requests one after the other (or until ``stop``)."""
    errors: list[BaseException] = []

    def work(actor: Actor):
        with requests.Session() as http:
            try:
                for _ in range(ops_each):
                    if stop is not None and stop.is_set():
                        return
                    op = actor.next_op()
                    op.send(http, base_url)
                    actor.observe(op)
                    actor.learn_lines(op)
            except BaseException as exc:   # surfaced in the test, not lost in a thread
                if not (stop is not None and isinstance(exc, requests.RequestException)):   # killed server
                    errors.append(exc)

    threads = [threading.Thread(target=work, args=(actor,), name=f"actor-{actor.number}") for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
