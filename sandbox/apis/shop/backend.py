"""shop's rules, in plain Python: a user's orders, made from the user's cart, editable and cancellable only
while pending, priced from the catalogue (products and their variations) with Decimal.

Not emulated: payment (orders past "pending" come only from the seed), stock levels, taxes, discounts and
shipping rates (every documented amount is 0), cart endpoints (undocumented: ``put_cart`` fills a cart for
tests), guests (every request is a user's)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from sandbox.core.api import Backend
from sandbox.core.validation import int_id
from sandbox.core.errors import Conflict, NotFound
from sandbox.core.laravel import model_not_found, timestamp

from .schemas import EXISTS, invalid
from .states import (CREATE_NEEDS_CART_ITEMS, CUSTOMER_ACTIONS, ITEM_SEQUENCE, ITEM_SKU_MUST_EXIST,
                     ORDER_NUMBER_ALPHABET, ORDERS_BELONG_TO_USER, REFUSALS)

CENTS = Decimal("0.01")


def money(amount: Decimal) -> str:
    """A ``decimal(10,2)`` column as Laravel serialises it: ``"56.00"``."""
    return str(amount.quantize(CENTS))


def php_string(amount: Decimal) -> str:
    """A float cast to string by PHP, as ``meta.subtotal`` shows it: ``"56"``, ``"19.9"``."""
    if amount == amount.to_integral_value():
        return str(int(amount))
    return format(amount.normalize(), "f")


def _refusal(action: str) -> Conflict:
    rule, message = REFUSALS[action]
    return Conflict(message, rule=rule)


class ShopBackend(Backend):
    # -- reads ---------------------------------------------------------------------------------------
    def orders(self, user_id: int) -> list[dict]:
        """The user's orders, newest first (``latest()``: created_at descending, then id)."""
        with self.state.lock:
            mine = self.state["orders"].where("user_id", user_id)
        return sorted(mine, key=lambda o: (o["created_at"], o["id"]), reverse=True)

    def order(self, user_id: int, order_id: str) -> dict:
        """One of the user's orders; anyone else's is as missing as an unknown id."""
        found = self.state["orders"].get(int_id(order_id))
        if found is None:
            raise model_not_found("Order", order_id)
        if found["user_id"] != user_id:
            refusal = model_not_found("Order", order_id)
            refusal.rule = ORDERS_BELONG_TO_USER.id
            raise refusal
        return found

    def order_by_number(self, user_id: int, order_number: str) -> dict:
        """``where('order_number', ...)->firstOrFail()``: its 404 names no id."""
        with self.state.lock:
            found = [o for o in self.state["orders"].where("order_number", order_number) if o["user_id"] == user_id]
        if not found:
            raise NotFound("No query results for model [App\\Models\\Order].")
        return found[0]

    def sku_exists(self, sku: str) -> bool:
        """Laravel's ``exists`` rule on ``items.*.product_sku``: a product or variation has this SKU."""
        return self._catalogue_entry(sku) is not None

    # -- writes --------------------------------------------------------------------------------------
    def create_order(self, user_id: int, fields: dict) -> dict:
        """A pending order from everything in the user's cart, which is emptied. An empty cart is refused."""
        cart_id = f"user_{user_id}"
        with self.state.transaction() as state:
            cart = state["carts"].get(cart_id)
            lines = cart["items"] if cart else []
            if not lines:
                raise Conflict("Your cart is empty.", rule=CREATE_NEEDS_CART_ITEMS)
            now = self.clock.now()
            stamp = timestamp(now)
            items = self._priced_items(lines, "items")
            order_id = state["orders"].next_id()
            order = state["orders"].insert({
                "id": order_id,
                "order_number": self._order_number(order_id, now),
                "status": "pending",
                "user_id": user_id,
                "total_price": money(self._subtotal(items)),
                "published": 1,
                "email": fields["customer_email"],
                "customer_name": fields["customer_name"],
                "shipping_address": fields["shipping_address"],
                "billing_address": fields.get("billing_address") or fields["shipping_address"],
                "shipping_method": fields["shipping_method"],
                "shipping_amount": "0.00",
                "tax_amount": "0.00",
                "discount_amount": "0.00",
                "items": items,
                "notes": fields.get("notes"),
                "created_at": stamp,
                "updated_at": stamp,
                "meta": {
                    "source": "cart",
                    **{f"item_{item['id']}_name": item["product"]["title"] for item in items},
                    "subtotal": php_string(self._subtotal(items)),
                    "source_cart_id": cart_id,
                    "created_at": now.isoformat(" ", "seconds")[:19],     # Y-m-d H:i:s (strftime: twice the cost)
                },
            })
            state["carts"].update(cart_id, {"items": []})
        return order

    def update_order(self, user_id: int, order_id: str, fields: dict) -> dict:
        """Docs: only while pending. The items replace the old ones (new ids, catalogue prices), the total
        and ``meta.subtotal`` follow; the other given fields replace theirs, billing stays unless given. The meta's ``item_<id>_name`` keys
        stay those of the order's creation, as the docs' example shows."""
        with self.state.transaction() as state:
            order = self.order(user_id, order_id)
            items = self._priced_items(fields["items"], "items")
            CUSTOMER_ACTIONS.check(order["status"], "update", error=_refusal("update"))
            changes = {key: fields[key] for key in ("customer_name", "shipping_address", "billing_address",
                                                    "shipping_method", "notes") if key in fields}
            if "customer_email" in fields:
                changes["email"] = fields["customer_email"]
            subtotal = self._subtotal(items)
            changes.update(items=items, total_price=money(subtotal),
                           meta={**order["meta"], "subtotal": php_string(subtotal)})
            changes["updated_at"] = timestamp(self.clock.now())
            return state["orders"].update(order["id"], changes)

    def cancel_order(self, user_id: int, order_id: str) -> dict:
        """Docs: only while pending; the order stays, with status "cancelled"."""
        with self.state.transaction() as state:
            order = self.order(user_id, order_id)
            CUSTOMER_ACTIONS.check(order["status"], "cancel", error=_refusal("cancel"))
            return state["orders"].update(order["id"], {"status": "cancelled",
                                                        "updated_at": timestamp(self.clock.now())})

    def put_cart(self, user_id: int, lines: list[dict]) -> dict:
        """Replace the user's cart (lines as ``CartIn`` loads them). Unknown SKUs are refused like on update."""
        cart_id = f"user_{user_id}"
        with self.state.transaction() as state:
            self._catalogue_entries(lines, "items")
            cart = {"id": cart_id, "user_id": user_id, "items": [dict(line) for line in lines]}
            if cart_id in state["carts"]:
                return state["carts"].replace(cart_id, cart)
            return state["carts"].insert(cart)

    # -- internals -----------------------------------------------------------------------------------
    def _priced_items(self, lines: list[dict], field: str) -> list[dict]:
        """Order items for ``lines`` (product_sku, quantity, options) at catalogue prices, with new ids."""
        products = self._catalogue_entries(lines, field)
        items = []
        for item_id, line, product in zip(self._new_item_ids(len(lines)), lines, products):
            price = Decimal(product["price"])
            items.append({"id": item_id, "sku": line["product_sku"], "quantity": line["quantity"],
                          "price": money(price), "total_price": money(price * line["quantity"]),
                          "options": line.get("options"), "product": product})
        return items

    def _catalogue_entries(self, lines: list[dict], field: str) -> list[dict]:
        """The catalogue entry of each line's SKU; every unknown SKU is reported at once, in the words of
        Laravel's ``exists`` rule (``The selected items.0.product_sku is invalid.``)."""
        found = [self._catalogue_entry(line["product_sku"]) for line in lines]
        unknown = {f"{field}.{index}.product_sku": [EXISTS] for index, entry in enumerate(found) if entry is None}
        if unknown:
            refusal = invalid(unknown)
            refusal.rule = ITEM_SKU_MUST_EXIST.id
            raise refusal
        return found

    def _catalogue_entry(self, sku: str) -> dict | None:
        """The product or variation with this SKU as an item shows it; a variation names its parent."""
        with self.state.lock:
            products = self.state["products"].where("sku", sku)
            if products:
                return products[0]
            variations = self.state["variations"].where("sku", sku)
            if not variations:
                return None
            variation = variations[0]
            parent = self.state["products"].get(variation["product_id"])
        return {"id": variation["id"], "title": variation["title"], "sku": variation["sku"],
                "price": variation["price"],
                "parent_product": {"id": parent["id"], "title": parent["title"], "sku": parent["sku"]}}

    @staticmethod
    def _subtotal(items: list[dict]) -> Decimal:
        return sum((Decimal(item["total_price"]) for item in items), Decimal("0"))

    def _new_item_ids(self, count: int) -> list[int]:
        """The next ``count`` order item ids. The seed sets the counter to the docs' next id (78) although
        it also holds items the docs create later (81 and up), so taken ids are skipped; ids are never reused.

        Ids at or above the counter can only have come with the seed or an import (this allocator hands out
        ids below it), so they are collected once per state: a scan of every order per write cost
        milliseconds at 50k orders (make bench)."""
        sequences = self.state["sequences"]
        candidate, ids = sequences.get(ITEM_SEQUENCE)["next"], []
        taken = self.state.memo.get("items_ahead_of_sequence")
        if taken is None:
            taken = self.state.memo["items_ahead_of_sequence"] = frozenset(
                item["id"] for order in self.state["orders"].all() for item in order["items"] if item["id"] >= candidate)
        while len(ids) < count:
            if candidate not in taken:
                ids.append(candidate)
            candidate += 1
        sequences.update(ITEM_SEQUENCE, {"next": candidate})
        return ids

    def _order_number(self, order_id: int, now) -> str:
        """``ORD-<Ymd>-<4 random upper-case letters or digits>``; the "random" part is derived from the
        order id, so a replayed session gets the same numbers, and never repeats an existing number."""
        prefix = f"ORD-{now.year:04d}{now.month:02d}{now.day:02d}-"
        for attempt in range(1000):
            # A hash of the id, not random.Random(id): seeding a Mersenne Twister from a string was 9% of a create.
            pick = int.from_bytes(hashlib.blake2b(f"shop-order-number:{order_id}:{attempt}".encode(),
                                                  digest_size=8).digest(), "big")
            letters = []
            for _ in range(4):
                pick, index = divmod(pick, len(ORDER_NUMBER_ALPHABET))
                letters.append(ORDER_NUMBER_ALPHABET[index])
            number = prefix + "".join(letters)
            if not self.state["orders"].where("order_number", number):
                return number
        raise RuntimeError("no free order number")
