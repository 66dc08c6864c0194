"""Slyk's order rules, in plain Python.

Orders hold lines; fulfilment is counted per line (``fulfilledQuantity`` within 0..quantity) and the
order's status follows its lines; payments and refunds move ``paidAmount`` and the payment status along
``states.PAYMENT_FLOW``. Every write runs in one transaction, so a refused request changes nothing, and
emits its store webhook event (``store.order.*``) only once it commits.

Not emulated: wallets and balances (``walletId`` is stored, never charged), the bonus balance behind
``useBonus``, stock, product questions, ``include`` query options (the
documented embeds are always present), and any other Slyk resource (products, users ... are seeded only)."""

from __future__ import annotations

from sandbox.core import fake
from sandbox.core.api import Backend
from sandbox.core.dumps import composed, composed_each
from sandbox.core.errors import Conflict, NotFound
from sandbox.core.pagination import Page, paginate

from . import states
from .amounts import NO_AMOUNT, dec, money, quote, timestamp
from .query import ListQuery
from .schemas import LINE_LIST, ORDER_LIST

TRUE_FLAGS = {"true", "1"}


def _conflict(code: str, message: str, rule) -> Conflict:
    return Conflict(message, code=code, rule=rule)


WITH_USER = "slyk.order+user"


def order_with_user(order: dict, user: dict | None) -> dict:
    """An order as the API shows it: with its user (core/dumps.py keeps one view per pair of records)."""
    return {**order, "user": user}


class SlykBackend(Backend):
    @property
    def orders(self):
        return self.state["orders"]

    @property
    def lines(self):
        return self.state["lines"]

    # -- reads -------------------------------------------------------------------------------------
    def list_orders(self, query: ListQuery) -> Page:
        """Orders with their user, filtered, sorted (newest first by default) and paged."""
        hide_drafts = query.flags.get("hideDrafts", "").lower() in TRUE_FLAGS
        with self.state.lock:
            selected = self.orders.derived(("list", hide_drafts, query.conditions, query.sort), lambda: ORDER_LIST.select(
                (o for o in self.orders.all() if not (hide_drafts and o["orderStatus"] == states.DRAFT)), query))
            page = paginate(selected, query.page, query.size)
            users = self.state["users"]
            views = composed_each(WITH_USER, [(o, users.get(o["userId"])) for o in page.items], order_with_user)
            return Page(views, page.total, page.page, page.per_page)

    def order(self, order_id: str) -> dict:
        """One order with its user and its lines (each with the product's id and name)."""
        with self.state.lock:
            with_user = self._with_user(self._order(order_id))
            lines = self._lines_of(order_id)
            products = [self._product(line["productId"]) for line in lines]
        # Composed from the very records it shows, so an unchanged order is the same view and its dumped body is
        # reused (core/dumps.py) instead of dumped again on every read.
        return composed("slyk.order+user+lines", (with_user, *lines, *products), lambda: {
            **with_user, "lines": [{**line, "product": product} for line, product in zip(lines, products)]})

    def order_lines(self, order_id: str, query: ListQuery) -> Page:
        with self.state.lock:
            order = self._order(order_id)
            page = LINE_LIST.run(self._lines_of(order_id), query)
            return Page([self._line_view(line, order) for line in page.items], page.total, page.page, page.per_page)

    def order_line(self, order_id: str, line_id: str) -> dict:
        with self.state.lock:
            order = self._order(order_id)
            return self._line_view(self._line(order_id, line_id), order)

    # -- writes ------------------------------------------------------------------------------------
    def create_order(self, *, lines, userId, deliveryMethod, useBonus, dryRun, customData, **extra) -> dict:
        """Price the lines from the catalogue and place an unfulfilled, unpaid order (``dryRun``: only price it)."""
        now = timestamp(self.clock.now())
        order_id = fake.new_uuid()
        with self.state.transaction():
            if userId is not None:     # an order may have no user (the SDK's create example sends none)
                self._user(userId)
            priced = [self._priced_line(order_id, line, useBonus, now) for line in lines]
            amounts = quote(priced, deliveryMethod)
            order = {
                "id": order_id, **amounts, "assetCode": states.ASSET_CODE, "bonusAssetCode": states.ASSET_CODE,
                "canceledAt": None, "createdAt": now, "customData": customData, "deliveryMethod": deliveryMethod,
                "fulfilledAt": None,
                "metadata": {"deliveryMethod": deliveryMethod, "shippingAmount": amounts["shippingAmount"],
                             "taxesAmount": amounts["taxesAmount"]},
                "orderStatus": states.UNFULFILLED, "paidAmount": NO_AMOUNT, "paidAt": None,
                "paymentStatus": states.UNPAID, "refundedAmount": NO_AMOUNT, "reference": order_id[-8:].upper(),
                "shippingAddress": None, "trackingId": None, "updatedAt": now, "userId": userId,
                **{key: extra.get(key) for key in ("chosenPaymentMethod", "shippingAddressId", "userNotes", "walletId")},
            }
            if dryRun:
                return order
            for line in priced:
                self.lines.insert(line)
            return self._emitting(states.ORDER_CREATED, self.orders.insert(order))

    def patch_order(self, order_id: str, **changes) -> dict:
        """Edit tracking id, custom data, notes or shipping address; a canceled order is closed."""
        with self.state.transaction():
            order = self._order(order_id)
            states.check_open_for_edit(order["orderStatus"])
            if not changes:
                return order
            return self.orders.update(order_id, {**changes, "updatedAt": self._now()})

    def cancel_order(self, order_id: str, *, reason=None, refundAmount=None) -> None:
        """Cancel an unfulfilled or draft order, refunding ``refundAmount`` of what was paid."""
        with self.state.transaction():
            order = self._order(order_id)
            states.ORDER_FLOW.check(order["orderStatus"], states.CANCELED)
            now = self._now()
            changes = {"orderStatus": states.CANCELED, "canceledAt": now, "cancelReason": reason, "updatedAt": now}
            if refundAmount is not None:
                changes.update(self._refund_changes(order, refundAmount))
            canceled = self._emitting(states.ORDER_CANCELLED, self.orders.update(order_id, changes))
            if refundAmount is not None:
                self._emitting(states.ORDER_REFUNDED, canceled)

    def fulfill_order(self, order_id: str, **body) -> dict:
        """Fulfil every line in full; ``trackingId`` is stored when given."""
        with self.state.transaction():
            order = self._order(order_id)
            states.ORDER_FLOW.check(order["orderStatus"], states.FULFILLED)
            now = self._now()
            for line in self._lines_of(order_id):
                if line["fulfilledQuantity"] < line["quantity"]:
                    self._set_fulfilled(line, line["quantity"], now)
            return self._emitting(states.ORDER_FULFILLED, self.orders.update(
                order_id, {**body, "orderStatus": states.FULFILLED, "fulfilledAt": now, "updatedAt": now}))

    def unfulfill_order(self, order_id: str) -> dict:
        """Take a fulfilled order back to unfulfilled, every line to nothing fulfilled."""
        with self.state.transaction():
            order = self._order(order_id)
            states.ORDER_FLOW.check(order["orderStatus"], states.UNFULFILLED)
            now = self._now()
            for line in self._lines_of(order_id):
                if line["fulfilledQuantity"]:
                    self._set_fulfilled(line, 0, now)
            return self.orders.update(order_id, {"orderStatus": states.UNFULFILLED, "fulfilledAt": None,
                                                 "updatedAt": now})

    def pay_order(self, order_id: str, *, amount=None, walletId=None) -> dict:
        """Pay ``amount`` (all that is unpaid by default); more than is unpaid is refused."""
        with self.state.transaction():
            order = self._order(order_id)
            states.check_open(order["orderStatus"])
            total, paid = dec(order["amount"]), dec(order["paidAmount"])
            amount = total - paid if amount is None else amount
            new_paid = paid + amount
            states.PAYMENT_FLOW.check(order["paymentStatus"], states.payment_status_after_payment(total, new_paid))
            if amount <= 0 or new_paid > total:
                raise _conflict("amount_exceeds_unpaid_amount",
                                f"The amount {money(amount)} exceeds the unpaid amount {money(total - paid)}.",
                                states.PAY_NOT_MORE_THAN_UNPAID)
            now = self._now()
            changes = {"paidAmount": money(new_paid), "paidAt": now, "updatedAt": now,
                       "paymentStatus": states.payment_status_after_payment(total, new_paid)}
            if walletId is not None:
                changes["walletId"] = walletId
            return self._emitting(states.ORDER_PAID, self.orders.update(order_id, changes))

    def refund_order(self, order_id: str, *, amount=None, reason=None) -> dict:
        """Give back ``amount`` of what was paid (all of it by default), canceled orders included."""
        with self.state.transaction():
            order = self._order(order_id)
            changes = self._refund_changes(order, amount)
            return self._emitting(states.ORDER_REFUNDED, self.orders.update(
                order_id, {**changes, "refundReason": reason, "updatedAt": self._now()}))

    def fulfill_line(self, order_id: str, line_id: str, *, quantity=None) -> dict:
        """Fulfil ``quantity`` more units of a line (all that remain by default)."""
        return self._move_line(order_id, line_id, quantity, +1)

    def unfulfill_line(self, order_id: str, line_id: str, *, quantity=None) -> dict:
        """Take back ``quantity`` fulfilled units of a line (all of them by default)."""
        return self._move_line(order_id, line_id, quantity, -1)

    # -- helpers -----------------------------------------------------------------------------------
    def _emitting(self, event: str, order: dict) -> dict:
        """Emit a store webhook event for ``order`` (delivered only if the transaction commits)."""
        self.emit(event, {key: order.get(key) for key in states.WEBHOOK_FIELDS})
        return order

    def _now(self) -> str:
        return timestamp(self.clock.now())

    def _order(self, order_id: str) -> dict:
        found = self.orders.get(order_id)
        if found is None:
            raise NotFound(f"Order {order_id} was not found.", code="order_not_found")
        return found

    def _line(self, order_id: str, line_id: str) -> dict:
        found = self.lines.get(line_id)
        if found is None or found["orderId"] != order_id:
            raise NotFound(f"Order line {line_id} was not found on order {order_id}.", code="order_line_not_found")
        return found

    def _lines_of(self, order_id: str) -> list[dict]:
        return self.lines.where("orderId", order_id)

    def _user(self, user_id: str) -> dict:
        found = self.state["users"].get(user_id)
        if found is None:
            raise NotFound(f"User {user_id} was not found.", code="user_not_found")
        return found

    def _product(self, product_id: str) -> dict:
        found = self.state["products"].get(product_id)
        if found is None:
            raise NotFound(f"Product {product_id} was not found.", code="product_not_found")
        return found

    def _with_user(self, order: dict) -> dict:
        user = self.state["users"].get(order["userId"])
        return composed(WITH_USER, (order, user), lambda: order_with_user(order, user))

    def _line_view(self, line: dict, order: dict) -> dict:
        product = self._product(line["productId"])
        category = self.state["categories"].get(product["categoryId"])
        return composed("slyk.line+order+product", (line, order, product, category),
                        lambda: {**line, "order": order, "product": {**product, "category": category}})

    def _priced_line(self, order_id: str, requested: dict, use_bonus: bool, now: str) -> dict:
        product = self._product(requested["productId"])
        return {
            "id": fake.new_uuid(), "assetCode": states.ASSET_CODE, "bonusAssetCode": states.ASSET_CODE,
            "createdAt": now, "fulfilledAt": None, "fulfilledQuantity": 0, "metadata": {}, "orderId": order_id,
            "productId": product["id"], "quantity": requested["quantity"], "status": states.LINE_UNFULFILLED,
            "unitBonus": product["bonus"] if use_bonus else NO_AMOUNT, "unitPrice": product["price"],
            "updatedAt": now,
        }

    def _set_fulfilled(self, line: dict, fulfilled: int, now: str) -> dict:
        moved_up = fulfilled > line["fulfilledQuantity"]
        return self.lines.update(line["id"], {
            "fulfilledQuantity": fulfilled, "status": states.line_status(line["quantity"], fulfilled),
            "fulfilledAt": None if fulfilled == 0 else now if moved_up else line["fulfilledAt"], "updatedAt": now})

    def _move_line(self, order_id: str, line_id: str, quantity: int | None, direction: int) -> dict:
        with self.state.transaction():
            order = self._order(order_id)
            line = self._line(order_id, line_id)
            states.check_open(order["orderStatus"])
            room = line["quantity"] - line["fulfilledQuantity"] if direction > 0 else line["fulfilledQuantity"]
            if room == 0:
                code = "order_line_already_fulfilled" if direction > 0 else "order_line_not_fulfilled"
                raise _conflict(code, f"Order line {line_id} has nothing to {'fulfill' if direction > 0 else 'unfulfill'}.",
                                states.LINE_QUANTITY_IN_RANGE)
            quantity = room if quantity is None else quantity
            if quantity > room:
                code = "quantity_exceeds_unfulfilled_quantity" if direction > 0 else "quantity_exceeds_fulfilled_quantity"
                raise _conflict(code, f"The quantity {quantity} exceeds the {room} units that can move.",
                                states.LINE_QUANTITY_IN_RANGE)
            now = self._now()
            line = self._set_fulfilled(line, line["fulfilledQuantity"] + direction * quantity, now)
            order = self._follow_lines(order, now)
            return self._line_view(line, order)

    def _follow_lines(self, order: dict, now: str) -> dict:
        """The order's status follows its lines; it changes (and is touched) only when that status does."""
        status = states.order_status_for_lines(self._lines_of(order["id"]))
        if status == order["orderStatus"]:
            return order
        states.ORDER_FLOW.check(order["orderStatus"], status)
        order = self.orders.update(order["id"], {"orderStatus": status, "updatedAt": now,
                                                 "fulfilledAt": now if status == states.FULFILLED else None})
        return self._emitting(states.ORDER_FULFILLED, order) if status == states.FULFILLED else order

    def _refund_changes(self, order: dict, amount) -> dict:
        paid = dec(order["paidAmount"])
        amount = paid if amount is None else amount
        remaining = paid - amount
        states.PAYMENT_FLOW.check(order["paymentStatus"], states.payment_status_after_refund(remaining))
        if amount <= 0 or remaining < 0:
            raise _conflict("amount_exceeds_paid_amount",
                            f"The amount {money(amount)} exceeds the paid amount {money(paid)}.",
                            states.REFUND_NOT_MORE_THAN_PAID)
        return {"paidAmount": money(remaining), "refundedAmount": money(dec(order["refundedAmount"]) + amount),
                "paymentStatus": states.payment_status_after_refund(remaining)}
