"""A test suite in any language fills a shop cart over HTTP through the control plane, then orders from it."""

from __future__ import annotations

AUTH = {"Authorization": "Bearer t", "X-API-Key": "k"}
CREATE = {"customer_name": "John Doe", "customer_email": "john.doe@example.com", "shipping_method": "standard",
          "shipping_address": {"first_name": "John", "last_name": "Doe", "address": "123 Main Street",
                               "city": "New York", "state": "NY", "postcode": "10001", "country": "US",
                               "phone": "212-555-1234"}}


def test_importing_only_the_carts_fills_a_cart_and_keeps_every_other_table(client, box):
    before = box.store.state("shop").export()
    cart = {"id": "user_1", "user_id": 1, "items": [{"product_sku": "EH-1", "quantity": 2}]}
    response = client.put("/__sandbox/state", json={"apis": {"shop": {"carts": [cart]}}})
    assert response.status_code == 200
    after = box.store.state("shop").export()
    assert after["carts"] == [cart]
    assert {k: v for k, v in after.items() if k != "carts"} == {k: v for k, v in before.items() if k != "carts"}
    order = client.post("/shop/api/v1/shop/orders", json=CREATE, headers=AUTH).get_json()["order"]
    assert [(i["sku"], i["quantity"], i["total_price"]) for i in order["items"]] == [("EH-1", 2, "66.00")]
    assert order["total_price"] == "66.00"
