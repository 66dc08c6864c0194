"""shop through HTTP: the docs' examples, every endpoint and rule, refusals that change nothing, users."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from sandbox import create_app
from sandbox.apis.shop.backend import ShopBackend
from sandbox.apis.shop.schemas import cart_in, load_laravel
from sandbox.config import TEST_CONFIG
from sandbox.core.errors import Invalid
from tests.conftest import assert_same_json

AUTH = {"Authorization": "Bearer any-token", "X-API-Key": "123456789"}
BASE = "/shop/api/v1/shop"
ADDRESS = {"first_name": "Jane", "last_name": "Roe", "address": "1 High Street", "city": "Leeds",
           "state": "West Yorkshire", "postcode": "LS1 1AA", "country": "GB", "phone": "0113 496 0000"}
CREATE = {"customer_name": "Jane Roe", "customer_email": "jane@example.com", "shipping_address": ADDRESS,
          "shipping_method": "standard", "notes": "Side door"}
EXAMPLES = ["list-orders", "get-order-by-number", "get-order", "create-order", "update-order", "cancel-order"]


def test_every_documented_endpoint_has_an_example():
    """tests/test_examples.py replays them; the docs have these six."""
    from sandbox.core.examples import load_examples
    assert sorted(e["name"] for e in load_examples("shop")) == sorted(f"shop/{name}" for name in EXAMPLES)


def freeze(box, iso: str):
    box.clock.freeze(datetime.fromisoformat(iso.replace("Z", "+00:00")))


def state(box):
    return box.store.state("shop").export()


class Unchanged:
    """``with Unchanged(box): ...`` asserts that the block leaves the whole shop state as it was."""

    def __init__(self, box):
        self.box = box

    def __enter__(self):
        self.before = state(self.box)

    def __exit__(self, *exc):
        if exc[0] is None:
            assert state(self.box) == self.before, "a refused request changed the state"


def order(client, order_id, headers=AUTH):
    return client.get(f"{BASE}/orders/{order_id}", headers=headers).get_json()["order"]


class TestReads:
    def test_list_is_the_users_orders_newest_first(self, client):
        body = client.get(f"{BASE}/orders", headers=AUTH).get_json()
        assert (body["message"], body["user_id"]) == ("Orders retrieved successfully", 1)
        assert [o["id"] for o in body["orders"]] == [8, 7, 6, 5]

    def test_by_number_and_by_id_give_the_same_order(self, client):
        by_number = client.get(f"{BASE}/orders/number/ORD-20250328-JXIW", headers=AUTH).get_json()
        assert by_number == client.get(f"{BASE}/orders/5", headers=AUTH).get_json()
        assert by_number["order"]["items"][0]["product"]["price"] == 33

    @pytest.mark.parametrize("raw", ["99999", "abc", "1"])   # order 1 exists but is another user's
    def test_unknown_or_foreign_id_is_a_model_404(self, client, raw):
        response = client.get(f"{BASE}/orders/{raw}", headers=AUTH)
        assert response.status_code == 404
        assert response.get_json() == {"message": f"No query results for model [App\\Models\\Order] {raw}"}

    def test_unknown_or_foreign_number_is_a_model_404_without_id(self, client, box):
        foreign = box.store.state("shop")["orders"].get(1)["order_number"]
        for number in ("ORD-20990101-NOPE", foreign):
            response = client.get(f"{BASE}/orders/number/{number}", headers=AUTH)
            assert response.status_code == 404
            assert response.get_json() == {"message": "No query results for model [App\\Models\\Order]."}

    def test_money_keeps_the_documented_types(self, client):
        listed = client.get(f"{BASE}/orders", headers=AUTH).get_json()["orders"]
        for shown in listed:
            assert isinstance(shown["total_price"], str) and shown["total_price"].endswith(".00")
            assert shown["shipping"]["amount"] == 0 and type(shown["tax_amount"]) is int
            assert all(type(item["product"]["price"]) is int for item in shown["items"])

    def test_every_seeded_order_adds_up(self, client, box):
        for stored in box.store.state("shop")["orders"].all():
            items = stored["items"]
            assert Decimal(stored["total_price"]) == sum(Decimal(i["total_price"]) for i in items)
            assert all(Decimal(i["total_price"]) == Decimal(i["price"]) * i["quantity"] for i in items)
            assert stored["order_number"].startswith("ORD-" + stored["created_at"][:10].replace("-", ""))

    def test_the_seed_has_every_status_and_users_besides_the_docs_one(self, box):
        orders = box.store.state("shop")["orders"].all()
        assert {o["status"] for o in orders} == {"pending", "processing", "shipped", "completed", "cancelled",
                                                 "refunded"}
        assert len({o["user_id"] for o in orders}) > 5 and len(orders) == 60


class TestCreate:
    def test_an_order_from_the_cart_which_is_then_empty(self, client, box):
        freeze(box, "2025-04-02T10:00:00Z")
        response = client.post(f"{BASE}/orders", json=CREATE, headers=AUTH)
        assert response.status_code == 200
        created = response.get_json()["order"]
        assert (created["id"], created["status"], created["user_id"], created["email"]) == (
            61, "pending", 1, "jane@example.com")
        assert created["order_number"].startswith("ORD-20250402-") and len(created["order_number"]) == 17
        assert created["billing_address"] == created["shipping_address"] == ADDRESS
        assert created["notes"] == "Side door" and created["created_at"] == "2025-04-02T10:00:00.000000Z"
        assert box.store.state("shop")["carts"].get("user_1")["items"] == []
        assert [o["id"] for o in client.get(f"{BASE}/orders", headers=AUTH).get_json()["orders"]][:2] == [61, 8]

    def test_a_given_billing_address_is_kept_and_notes_may_be_left_out(self, client):
        billing = {**ADDRESS, "city": "York"}
        body = {key: value for key, value in CREATE.items() if key != "notes"}
        created = client.post(f"{BASE}/orders", json={**body, "billing_address": billing},
                              headers=AUTH).get_json()["order"]
        assert created["billing_address"] == billing and created["notes"] is None

    def test_an_empty_cart_is_refused_and_changes_nothing(self, client, box):
        client.post(f"{BASE}/orders", json=CREATE, headers=AUTH)
        with Unchanged(box):
            response = client.post(f"{BASE}/orders", json=CREATE, headers=AUTH)
        assert response.status_code == 422 and response.get_json() == {"message": "Your cart is empty."}
        assert response.headers["X-Sandbox-Rule"] == "shop.create-needs-cart-items"

    def test_prices_and_totals_are_computed_in_decimal(self, client, box):
        cents = next(p for p in box.store.state("shop")["products"].all() if not p["price"].endswith(".00"))
        put_cart(box, 1, [{"product_sku": cents["sku"], "quantity": 3}, {"product_sku": "EH-1-1", "quantity": "1",
                                                                          "options": {"size": "S"}}])
        created = client.post(f"{BASE}/orders", json=CREATE, headers=AUTH).get_json()["order"]
        expected = Decimal(cents["price"]) * 3 + Decimal("67.00")
        assert created["total_price"] == f"{expected:.2f}"
        assert created["items"][0]["product"]["price"] == float(cents["price"])
        assert created["items"][1]["product"]["parent_product"] == {"id": 1, "title": "Main product 1", "sku": "EH-1"}
        assert created["meta"]["subtotal"] == format(expected.normalize(), "f")
        assert list(created["meta"]) == ["source", f"item_{created['items'][0]['id']}_name",
                                         f"item_{created['items'][1]['id']}_name", "subtotal", "source_cart_id",
                                         "created_at"]


    def test_a_second_user_orders_from_their_own_cart(self):
        client = create_app({**TEST_CONFIG, "SHOP_USERS": {"u3": 3}}).test_client()
        box = client.application.extensions["sandbox"]
        put_cart(box, 3, [{"product_sku": "EH-2", "quantity": 2}])
        created = client.post(f"{BASE}/orders", json=CREATE, headers={**AUTH, "Authorization": "Bearer u3"})
        shown = created.get_json()["order"]
        assert (shown["user_id"], shown["total_price"], shown["meta"]["source_cart_id"]) == (3, "112.00", "user_3")
        assert box.store.state("shop")["carts"].get("user_1")["items"], "user 1's cart is untouched"

    def test_a_cart_takes_only_known_skus(self, box):
        before = state(box)
        with pytest.raises(Invalid) as refused:
            put_cart(box, 1, [{"product_sku": "EH-1", "quantity": 1}, {"product_sku": "NOPE", "quantity": 1}])
        assert refused.value.details == {"items.1.product_sku": ["The selected items.1.product_sku is invalid."]}
        assert state(box) == before


def put_cart(box, user_id, items):
    """How a test fills a cart: the docs have no cart endpoint (docs/fidelity.md)."""
    backend = ShopBackend(box.store.state("shop"), box.clock)
    backend.put_cart(user_id, load_laravel(cart_in, {"items": items})["items"])


UPDATE = {"items": [{"product_sku": "EH-1", "quantity": 1, "options": {"color": "red"}},
                    {"product_sku": "EH-2", "quantity": 1}, {"product_sku": "EH-1-1", "quantity": 2}]}


class TestUpdate:
    def test_the_docs_update_end_to_end(self, client, box):
        freeze(box, "2025-03-31T09:32:26Z")
        before = order(client, 7)
        updated = client.put(f"{BASE}/orders/7", json={**UPDATE, "shipping_address": {**ADDRESS, "city": "Bath"}},
                             headers=AUTH).get_json()["order"]
        assert updated == order(client, 7), "what the update answers is what is stored"
        assert [(i["id"], i["price"], i["total_price"]) for i in updated["items"]] == [
            (78, "33.00", "33.00"), (79, "56.00", "56.00"), (80, "67.00", "134.00")]
        assert updated["total_price"] == "223.00" and updated["meta"]["subtotal"] == "223"
        assert updated["shipping_address"]["city"] == "Bath" and updated["billing_address"] == before["billing_address"]
        assert (updated["created_at"], updated["updated_at"]) == (before["created_at"], "2025-03-31T09:32:26.000000Z")
        assert updated["email"] == before["email"] and updated["notes"] == before["notes"]
        listed = client.get(f"{BASE}/orders", headers=AUTH).get_json()["orders"]
        assert next(o for o in listed if o["id"] == 7)["total_price"] == "223.00"

    def test_new_item_ids_are_never_reused(self, client, box):
        client.put(f"{BASE}/orders/7", json=UPDATE, headers=AUTH)
        taken = {i["id"] for o in box.store.state("shop")["orders"].all() for i in o["items"]}
        again = client.put(f"{BASE}/orders/7", json=UPDATE, headers=AUTH).get_json()["order"]["items"]
        assert [i["id"] for i in again] == [max(taken) + 1, max(taken) + 2, max(taken) + 3]

    def test_a_non_pending_order_is_refused_and_unchanged(self, client, box):
        with Unchanged(box):
            response = client.put(f"{BASE}/orders/6", json=UPDATE, headers=AUTH)
        assert response.status_code == 422
        assert response.get_json() == {"message": "Only pending orders can be updated."}
        assert response.headers["X-Sandbox-Rule"] == "shop.update-only-pending"

    def test_a_cancelled_order_cannot_be_updated(self, client, box):
        client.post(f"{BASE}/orders/8/cancel", headers=AUTH)
        with Unchanged(box):
            assert client.put(f"{BASE}/orders/8", json=UPDATE, headers=AUTH).status_code == 422


class TestCancel:
    def test_cancel_keeps_the_order_cancelled(self, client, box):
        freeze(box, "2025-04-01T12:00:00Z")
        cancelled = client.post(f"{BASE}/orders/8/cancel", headers=AUTH).get_json()
        assert cancelled["message"] == "Order cancelled successfully"
        assert order(client, 8)["status"] == "cancelled" and order(client, 8)["updated_at"].startswith("2025-04-01")

    @pytest.mark.parametrize("order_id", ["6", "8"])   # 6 is processing; 8 is cancelled first
    def test_only_pending_orders_can_be_cancelled(self, client, box, order_id):
        client.post(f"{BASE}/orders/8/cancel", headers=AUTH)
        with Unchanged(box):
            response = client.post(f"{BASE}/orders/{order_id}/cancel", headers=AUTH)
        assert response.status_code == 422
        assert response.get_json() == {"message": "Only pending orders can be cancelled."}
        assert response.headers["X-Sandbox-Rule"] == "shop.cancel-only-pending"


def invalid_body(errors: dict) -> dict:
    messages = [m for ms in errors.values() for m in ms]
    more = len(messages) - 1
    suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
    return {"message": messages[0] + suffix, "errors": errors}


REQUIRED_ON_CREATE = {
    "customer_name": ["The customer name field is required."],
    "customer_email": ["The customer email field is required."],
    "shipping_address": ["The shipping address field is required."],
    **{f"shipping_address.{f}": [f"The shipping address.{f.replace('_', ' ')} field is required."]
       for f in ("first_name", "last_name", "address", "city", "postcode", "country")},
    "shipping_method": ["The shipping method field is required."],
}


class TestValidation:
    @pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'"text"', b"{}"])
    def test_malformed_or_empty_create_is_laravel_422_for_every_required_field(self, client, box, raw):
        with Unchanged(box):
            response = client.post(f"{BASE}/orders", data=raw, headers=AUTH, content_type="application/json")
        assert response.status_code == 422
        assert_same_json(invalid_body(REQUIRED_ON_CREATE), response.get_json())

    def test_malformed_update_needs_the_items(self, client, box):
        with Unchanged(box):
            response = client.put(f"{BASE}/orders/7", data=b"{oops", headers=AUTH, content_type="application/json")
        assert response.status_code == 422
        assert response.get_json() == invalid_body({"items": ["The items field is required."]})

    @pytest.mark.parametrize("email", ["not-an-email", "john doe@example.com", "[email protected]", "a@"])
    def test_a_bad_email_is_refused(self, client, box, email):
        with Unchanged(box):
            response = client.post(f"{BASE}/orders", json={**CREATE, "customer_email": email}, headers=AUTH)
        assert response.status_code == 422
        assert response.get_json() == invalid_body(
            {"customer_email": ["The customer email field must be a valid email address."]})

    @pytest.mark.parametrize("quantity,message", [
        (0, "The items.0.quantity field must be at least 1."), (-2, "The items.0.quantity field must be at least 1."),
        (1.5, "The items.0.quantity field must be an integer."), ("two", "The items.0.quantity field must be an integer."),
        (None, "The items.0.quantity field is required.")])
    def test_bad_quantities_are_refused(self, client, box, quantity, message):
        with Unchanged(box):
            response = client.put(f"{BASE}/orders/7", json={"items": [{"product_sku": "EH-1", "quantity": quantity}]},
                                  headers=AUTH)
        assert response.status_code == 422
        assert response.get_json() == invalid_body({"items.0.quantity": [message]})

    def test_unknown_skus_are_refused_all_at_once(self, client, box):
        items = [{"product_sku": "EH-1", "quantity": 1}, {"product_sku": "NOPE", "quantity": 1},
                 {"product_sku": "EH-1-99", "quantity": 1}]
        with Unchanged(box):
            response = client.put(f"{BASE}/orders/7", json={"items": items}, headers=AUTH)
        assert response.status_code == 422
        assert response.get_json() == invalid_body({
            "items.1.product_sku": ["The selected items.1.product_sku is invalid."],
            "items.2.product_sku": ["The selected items.2.product_sku is invalid."]})

    def test_errors_are_listed_rule_by_rule_as_laravel_expands_wildcards(self, client):
        items = [{"quantity": 0}, {"product_sku": 5}]
        response = client.put(f"{BASE}/orders/7", json={"items": items, "customer_email": "x"}, headers=AUTH)
        assert list(response.get_json()["errors"]) == [
            "customer_email", "items.0.product_sku", "items.1.product_sku", "items.0.quantity", "items.1.quantity"]

    @pytest.mark.parametrize("items", [[], "EH-1", ["EH-1"]])
    def test_items_must_be_a_non_empty_list_of_objects(self, client, box, items):
        with Unchanged(box):
            assert client.put(f"{BASE}/orders/7", json={"items": items}, headers=AUTH).status_code == 422

    def test_strings_are_trimmed_and_blank_means_missing(self, client):
        response = client.post(f"{BASE}/orders", json={**CREATE, "customer_name": "   ",
                                                        "customer_email": "  jane@example.com "}, headers=AUTH)
        assert response.get_json() == invalid_body({"customer_name": ["The customer name field is required."]})
        created = client.post(f"{BASE}/orders", json={**CREATE, "customer_email": "  jane@example.com "},
                              headers=AUTH).get_json()["order"]
        assert created["email"] == "jane@example.com"

    def test_validation_comes_before_lookup_and_rules(self, client):
        assert client.put(f"{BASE}/orders/99999", json={}, headers=AUTH).status_code == 422
        assert client.put(f"{BASE}/orders/99999", json=UPDATE, headers=AUTH).status_code == 404


class TestUsersAndAuth:
    @pytest.fixture
    def two_users(self):
        return create_app({**TEST_CONFIG, "SHOP_USERS": {"token-of-2": 2}}).test_client()

    def test_another_user_sees_only_their_orders(self, two_users):
        other = {**AUTH, "Authorization": "Bearer token-of-2"}
        body = two_users.get(f"{BASE}/orders", headers=other).get_json()
        assert body["user_id"] == 2 and body["orders"]
        assert {o["user_id"] for o in body["orders"]} == {2}
        assert two_users.get(f"{BASE}/orders", headers=AUTH).get_json()["user_id"] == 1

    def test_another_users_order_is_a_404_for_every_verb(self, two_users):
        box = two_users.application.extensions["sandbox"]
        other = {**AUTH, "Authorization": "Bearer token-of-2"}
        with Unchanged(box):
            for method, path, body in [("GET", "/orders/7", None), ("PUT", "/orders/7", UPDATE),
                                       ("POST", "/orders/7/cancel", None),
                                       ("GET", "/orders/number/ORD-20250331-IEIK", None)]:
                response = two_users.open(BASE + path, method=method, json=body, headers=other)
                assert response.status_code == 404, path

    def test_environment_names_users(self, monkeypatch):
        monkeypatch.setenv("SANDBOX_SHOP_USERS", "alpha:2, beta:3")
        assert create_app(TEST_CONFIG).config["SHOP_USERS"] == {"alpha": 2, "beta": 3}

    @pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer t"}, {"X-API-Key": "k"},
                                         {"Authorization": "Basic t", "X-API-Key": "k"},
                                         {"Authorization": "Bearer t", "X-API-Key": " "}])
    @pytest.mark.parametrize("method,path", [("GET", "/orders"), ("GET", "/orders/7"), ("POST", "/orders"),
                                             ("PUT", "/orders/7"), ("POST", "/orders/8/cancel")])
    def test_both_headers_are_required(self, client, box, headers, method, path):
        with Unchanged(box):
            response = client.open(BASE + path, method=method, headers=headers, json=UPDATE)
        assert response.status_code == 401 and response.get_json() == {"message": "Unauthenticated."}


class TestRouting:
    def test_unknown_route_is_laravel_404(self, client):
        response = client.get(f"{BASE}/invoices")
        assert response.get_json() == {"message": "The route api/v1/shop/invoices could not be found."}

    def test_wrong_method_is_laravel_405(self, client):
        response = client.delete(f"{BASE}/orders/7", headers=AUTH)
        assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD, PUT"
        assert response.get_json() == {"message": "The DELETE method is not supported for route "
                                                  "api/v1/shop/orders/7. Supported methods: GET, HEAD, PUT."}


def test_same_seed_same_bytes_and_another_seed_other_data():
    def orders(seed):
        client = create_app({**TEST_CONFIG, "SEED": seed, "SHOP_USERS": {"u2": 2}}).test_client()
        return client.get(f"{BASE}/orders", headers={**AUTH, "Authorization": "Bearer u2"}).get_data()
    assert orders(42) == orders(42)
    assert orders(42) != orders(7)
