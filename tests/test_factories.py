"""Factories and scenarios through HTTP: records made in every status each API knows, read back through the
API's own routes, their derived values checked, the API's rules applied to them; bad overrides refused
with the field named and nothing made."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

HEADERS = {
    "appx": {"Authorization": "Bearer t"},
    "shop": {"Authorization": "Bearer t", "X-API-Key": "k"},
    "slyk": {"apikey": "k"},
    "mittwald": {"x-access-token": "t"},
    "formations": {"Authorization": "Basic k"},
}
# api -> (table, status field) of the main factory
MAIN = {"appx": ("orders", "order_status"), "shop": ("orders", "status"), "slyk": ("orders", "orderStatus"),
        "mittwald": ("orders", "status"), "formations": ("orders", "status")}


def make(client, api, table, body=None, **query):
    response = client.post(f"/__sandbox/factories/{api}/{table}", json={} if body is None else body, query_string=query)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["records"]


def read_back(client, api, record) -> dict:
    """The made record as the API itself serves it (its own routes, its wire format)."""
    get = lambda path, **q: client.get(path, headers=HEADERS[api], query_string=q)  # noqa: E731
    if api == "appx":
        response = get(f"/appx/api/v1/orders/{record['id']}")
        return response.get_json()["data"]
    if api == "shop":
        response = get(f"/shop/api/v1/shop/orders/{record['id']}")
        return response.get_json()["order"]
    if api == "slyk":
        return get(f"/slyk/orders/{record['id']}").get_json()["data"]
    if api == "mittwald":
        return get(f"/mittwald/v2/orders/{record['id']}").get_json()
    page = (record["id"] - 1) // 100 + 1
    listed = get("/formations/orders", **{"page[number]": page}).get_json()
    return next(order for order in listed if order["id"] == record["id"])


def wire_status(api, served):
    return served["attributes"]["order_status"] if api == "appx" else served[MAIN[api][1]]


def statuses(client, api):
    table, status_field = MAIN[api]
    return client.get("/__sandbox/factories").get_json()["factories"][api][table]["statuses"][status_field]


def state(client):
    return client.get("/__sandbox/state").get_json()["apis"]


# -- every status, read back -----------------------------------------------------------------------------
@pytest.mark.parametrize("api", list(MAIN))
def test_every_status_is_made_and_served_by_the_api(client, api):
    table, status_field = MAIN[api]
    known = statuses(client, api)
    assert known
    for status in known:
        (record,) = make(client, api, table, {status_field: status})
        assert record[status_field] == status
        assert wire_status(api, read_back(client, api, record)) == status


def test_listed_states_come_from_the_state_machines_of_the_rules(client):
    machines = {(m["api"], m["name"]): list(m["transitions"]) for m in client.get("/__sandbox/rules").get_json()["machines"]}
    listed = client.get("/__sandbox/factories").get_json()["factories"]
    assert listed["slyk"]["orders"]["statuses"] == {"orderStatus": machines["slyk", "orderStatus"],
                                                    "paymentStatus": machines["slyk", "paymentStatus"]}
    assert listed["shop"]["orders"]["statuses"]["status"] == machines["shop", "customer actions by order status"]
    assert listed["formations"]["orders"]["fields"] == {"status": "integer", "created_at": "string"}


# -- derived values and rules, per API ---------------------------------------------------------------------
def test_slyk_fulfilled_and_paid_order_is_consistent(client):
    (order,) = make(client, "slyk", "orders", {"orderStatus": "fulfilled", "paymentStatus": "fully_paid"})
    served = read_back(client, "slyk", order)
    assert served["fulfilledAt"] and served["paidAt"]
    assert served["paidAmount"] == served["amount"]
    assert all(line["fulfilledQuantity"] == line["quantity"] and line["status"] == "fulfilled" for line in served["lines"])
    goods = sum(Decimal(line["unitPrice"]) * line["quantity"] for line in served["lines"])
    assert Decimal(served["amountWithoutShipment"]) == goods - Decimal(served["bonus"])
    assert Decimal(served["amount"]) == goods + Decimal(served["shippingAmount"]) - Decimal(served["bonus"])
    # Slyk's rules then apply: nothing left to pay, a fulfilled order cannot be canceled.
    assert client.post(f"/slyk/orders/{order['id']}/pay", json={}, headers=HEADERS["slyk"]).status_code == 409
    assert client.post(f"/slyk/orders/{order['id']}/cancel", json={}, headers=HEADERS["slyk"]).status_code == 409


def test_slyk_given_user_and_lines_with_partial_fulfilment(client):
    users = state(client)["slyk"]["users"]
    products = state(client)["slyk"]["products"]
    (order,) = make(client, "slyk", "orders", {
        "userId": users[1]["id"], "paymentStatus": "partially_refunded", "paidAmount": "1.00",
        "lines": [{"productId": products[0]["id"], "quantity": 3, "fulfilledQuantity": 2}]})
    served = read_back(client, "slyk", order)
    assert served["userId"] == users[1]["id"] and served["user"]["id"] == users[1]["id"]
    assert served["orderStatus"] == "unfulfilled"
    (line,) = served["lines"]
    assert (line["quantity"], line["fulfilledQuantity"], line["status"]) == (3, 2, "partially_fulfilled")
    assert line["unitPrice"] == products[0]["price"]
    assert Decimal(served["paidAmount"]) == 1
    assert Decimal(order["refundedAmount"]) == Decimal(served["amount"]) - 1
    # Once refunded, the order takes no new payment (payment-flow).
    refused = client.post(f"/slyk/orders/{order['id']}/pay", json={"amount": "0.5"}, headers=HEADERS["slyk"])
    assert refused.status_code == 409


def test_shop_processing_order_carries_payment_and_refuses_cancel(client):
    (order,) = make(client, "shop", "orders", {"status": "processing", "items": [{"product_sku": "EH-1", "quantity": 2}]})
    served = read_back(client, "shop", order)
    catalogue = {p["sku"]: p for p in state(client)["shop"]["products"]}
    (item,) = served["items"]
    assert item["price"] == catalogue["EH-1"]["price"]
    assert Decimal(item["total_price"]) == 2 * Decimal(item["price"]) == Decimal(served["total_price"])
    assert served["meta"]["payment_status"] == "completed" and served["meta"]["payment_method"] == "stripe"
    assert served["order_number"].startswith("ORD-")
    refused = client.post(f"/shop/api/v1/shop/orders/{order['id']}/cancel", headers=HEADERS["shop"])
    assert refused.status_code == 422
    assert refused.headers["X-Sandbox-Rule"] == "shop.cancel-only-pending"


def test_shop_pending_order_can_be_cancelled_and_keeps_the_users_cart(client):
    cart_before = next(c for c in state(client)["shop"]["carts"] if c["id"] == "user_1")
    (order,) = make(client, "shop", "orders", {})
    assert order["status"] == "pending" and "payment_status" not in order["meta"]
    assert next(c for c in state(client)["shop"]["carts"] if c["id"] == "user_1") == cart_before
    cancelled = client.post(f"/shop/api/v1/shop/orders/{order['id']}/cancel", headers=HEADERS["shop"])
    assert cancelled.status_code == 200, cancelled.get_json()


def test_appx_derived_number_and_expiry(client):
    (order,) = make(client, "appx", "orders", {"order_status": "Paid", "order_date": "2026-03-02", "customer_id": 43})
    served = read_back(client, "appx", order)["attributes"]
    assert served["order_number"] == f"T{order['id']:08d}"
    assert served["order_date"] == "02-03-2026"
    assert served["expiry_date"] == (date(2026, 3, 2) + timedelta(days=14)).strftime("%d-%m-%Y")
    assert served["processed_date"] is not None
    assert served["value"] == sum(d["value"] for d in order["devices"])
    listed = client.get("/appx/api/v1/customers/43/orders", headers=HEADERS["appx"]).get_json()
    assert order["id"] in [o["id"] for o in listed["data"]]


def test_mittwald_summary_follows_items_and_filters_apply(client):
    (order,) = make(client, "mittwald", "orders", {"status": "EXECUTED", "type": "CONTRACT_CHANGE"})
    served = read_back(client, "mittwald", order)
    total = sum(Decimal(item["price"]) for item in order["items"])
    assert Decimal(str(served["summary"]["summary"])) == total
    assert served["type"] == "CONTRACT_CHANGE" and order["contractChangeContractId"]
    listed = client.get(f"/mittwald/v2/customers/{order['customerId']}/orders", headers=HEADERS["mittwald"],
                        query_string={"includesStatus": "EXECUTED"}).get_json()
    assert order["id"] in [o["orderId"] for o in listed]


def test_formations_totals_follow_lines(client):
    (order,) = make(client, "formations", "orders", {"status": 900})
    lines = client.get(f"/formations/orders/{order['id']}/orderlines", headers=HEADERS["formations"]).get_json()
    net = sum(Decimal(str(line["price"])) * line["quantity"] for line in lines)
    tax = sum(Decimal(str(line["tax"])) * line["quantity"] for line in lines)
    assert Decimal(order["net"]) == net and Decimal(order["gross"]) == net + tax
    assert order["cancelled_at"] and order["mlc_status"] == 900
    cancelled = client.get("/formations/orders", headers=HEADERS["formations"],
                           query_string={"filter[statuses]": "900"}).get_json()
    assert order["id"] in [o["id"] for o in cancelled]


# -- bad overrides ---------------------------------------------------------------------------------------
BAD = [
    ("appx", "orders", {"colour": "red"}, "colour"),
    ("appx", "orders", {"order_status": "Shipped"}, "order_status"),
    ("appx", "orders", {"customer_id": "43"}, "customer_id"),
    ("appx", "orders", {"customer_id": 99999}, "customer_id"),
    ("appx", "orders", {"order_date": "tomorrow"}, "order_date"),
    ("appx", "orders", {"devices": [{"id": 1, "value": 1, "model": "x", "grade": "Mint"}]}, "devices.0.grade"),
    ("shop", "orders", {"status": "lost"}, "status"),
    ("shop", "orders", {"user_id": True}, "user_id"),
    ("shop", "orders", {"items": [{"product_sku": "NOPE", "quantity": 1}]}, "items.0.product_sku"),
    ("shop", "orders", {"items": [{"product_sku": "EH-1", "quantity": 0}]}, "items.0.quantity"),
    ("shop", "orders", {"items": []}, "items"),
    ("slyk", "orders", {"orderStatus": "shipped"}, "orderStatus"),
    ("slyk", "orders", {"paymentStatus": "paid"}, "paymentStatus"),
    ("slyk", "orders", {"userId": "no-such-user"}, "userId"),
    ("slyk", "orders", {"paymentStatus": "unpaid", "refundedAmount": "1.00"}, "paymentStatus"),   # refunded but unpaid
    ("slyk", "orders", {"orderStatus": "draft", "paymentStatus": "fully_paid"}, "orderStatus"),
    ("slyk", "orders", {"orderStatus": "canceled", "lines": [{"productId": "x", "quantity": 1}]}, "lines.0.productId"),
    ("slyk", "orders", {"paidAmount": "1000000"}, "paidAmount"),
    ("slyk", "orders", {"deliveryMethod": "drone"}, "deliveryMethod"),
    ("slyk", "users", {"approved": "yes"}, "approved"),
    ("mittwald", "orders", {"status": "DONE"}, "status"),
    ("mittwald", "orders", {"type": "UPGRADE"}, "type"),
    ("mittwald", "orders", {"customerId": "nobody"}, "customerId"),
    ("mittwald", "customers", {"customerNumber": "10001"}, "customerNumber"),
    ("formations", "orders", {"status": "700"}, "status"),
    ("formations", "orders", {"status": 500}, "status"),
    ("formations", "orders", {"created_at": "soon"}, "created_at"),
    ("formations", "orders", {"created_at": "9999-12-31T00:00:00Z"}, "created_at"),
    ("appx", "orders", {"devices": [{"grade": "Good"}]}, "devices.0"),
    ("appx", "orders", {"devices": [{"id": 1, "value": "1", "model": "x", "grade": "Good"}]}, "devices.0.value"),
    ("appx", "orders", {"devices": []}, "devices"),
    ("slyk", "orders", {"createdAt": "yesterday"}, "createdAt"),
    ("mittwald", "orders", {"orderDate": "1900-01-01"}, "orderDate"),
    ("shop", "orders", {"created_at": 20250101}, "created_at"),
]


@pytest.mark.parametrize(("api", "table", "body", "field"), BAD, ids=[f"{a}-{f}" for a, _, _, f in BAD])
def test_bad_overrides_are_refused_naming_the_field_and_make_nothing(client, api, table, body, field):
    before = state(client)
    response = client.post(f"/__sandbox/factories/{api}/{table}", json=body, query_string={"count": 2})
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["details"], response.get_json()
    assert state(client) == before


def test_count_makes_all_or_nothing(client):
    assert len(make(client, "formations", "orders", count=3)) == 3
    for count in ("0", "501", "x"):
        response = client.post("/__sandbox/factories/formations/orders", json={}, query_string={"count": count})
        assert response.status_code == 400 and "count" in response.get_json()["details"]
    assert client.post("/__sandbox/factories/formations/orders", data="[1]", content_type="application/json").status_code == 400


def test_unknown_api_or_table_is_404(client):
    assert client.post("/__sandbox/factories/nope/orders", json={}).status_code == 404
    assert client.post("/__sandbox/factories/slyk/lines", json={}).status_code == 404
    assert client.post("/__sandbox/scenarios/slyk/nope", json={}).status_code == 404
    assert client.post("/__sandbox/scenarios/nope/x", json={}).status_code == 404


# -- made records are ordinary state ------------------------------------------------------------------------
def test_reset_removes_and_snapshots_keep_made_records(client):
    (order,) = make(client, "appx", "orders")
    client.post("/__sandbox/snapshots/made")
    client.post("/__sandbox/reset")
    assert client.get(f"/appx/api/v1/orders/{order['id']}", headers=HEADERS["appx"]).status_code == 404
    client.post("/__sandbox/snapshots/made/restore")
    assert client.get(f"/appx/api/v1/orders/{order['id']}", headers=HEADERS["appx"]).status_code == 200


def test_made_in_a_session_stay_in_it(client):
    session = {"X-Sandbox-Session": "factory-ci"}
    response = client.post("/__sandbox/factories/appx/orders", json={}, headers=session)
    order = response.get_json()["records"][0]
    assert client.get(f"/appx/api/v1/orders/{order['id']}", headers={**HEADERS["appx"], **session}).status_code == 200
    assert client.get(f"/appx/api/v1/orders/{order['id']}", headers=HEADERS["appx"]).status_code == 404


def test_no_webhooks_and_no_journal_entries(client):
    client.post("/__sandbox/webhooks", json={"api": "slyk", "url": "http://127.0.0.1:9/hook"})
    make(client, "slyk", "orders", {"orderStatus": "fulfilled", "paymentStatus": "fully_refunded"})
    client.post("/__sandbox/scenarios/slyk/partly-fulfilled-partly-refunded", json={})
    assert client.get("/__sandbox/webhooks/outbox").get_json()["total"] == 0
    assert client.get("/__sandbox/requests").get_json()["requests"] == []


def test_same_calls_from_a_reset_make_the_same_records(client):
    client.put("/__sandbox/clock", json={"now": "2026-01-05T10:00:00Z"})
    first = [make(client, "appx", "orders", count=2), make(client, "formations", "orders")]
    client.post("/__sandbox/reset")
    assert [make(client, "appx", "orders", count=2), make(client, "formations", "orders")] == first


# -- scenarios ------------------------------------------------------------------------------------------
def test_every_listed_scenario_runs(client):
    listed = client.get("/__sandbox/scenarios").get_json()["scenarios"]
    assert {s["api"] for s in listed} == set(MAIN)
    for scenario in listed:
        response = client.post(f"/__sandbox/scenarios/{scenario['api']}/{scenario['name']}", json={})
        assert response.status_code == 201, (scenario, response.get_json())
        assert all(response.get_json()["records"].values())


def test_appx_three_pages_scenario_fills_the_paginator(client):
    made = client.post("/__sandbox/scenarios/appx/a-customer-with-three-pages-of-orders", json={}).get_json()["records"]
    (customer,) = made["customers"]
    page = client.get(f"/appx/api/v1/customers/{customer['id']}/orders", headers=HEADERS["appx"],
                      query_string={"page": 3}).get_json()
    assert len(page["data"]) == 1 and page["meta"]["last_page"] == 3


def test_slyk_partly_fulfilled_partly_refunded_scenario(client):
    made = client.post("/__sandbox/scenarios/slyk/partly-fulfilled-partly-refunded", json={}).get_json()["records"]
    served = read_back(client, "slyk", made["orders"][0])
    assert served["paymentStatus"] == "partially_refunded" and served["orderStatus"] == "unfulfilled"
    assert [line["status"] for line in served["lines"]].count("partially_fulfilled") == 1


# -- the OpenAPI document's examples run as they stand ---------------------------------------------------------
def test_openapi_examples_of_the_factory_route_run(client):
    document = client.get("/__sandbox/openapi.json").get_json()
    operation = document["paths"]["/factories/{api}/{table}"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    parameters = {p["name"]: p["examples"] for p in operation["parameters"] if p["in"] == "path"}
    assert {name.split("-")[0] for name in examples} == set(MAIN)
    for name, example in examples.items():
        path = f"/__sandbox/factories/{parameters['api'][name]['value']}/{parameters['table'][name]['value']}"
        response = client.post(path, json=example["value"])
        assert response.status_code == 201, (name, response.get_json())
    assert "/scenarios/{api}/{name}" in document["paths"] and "/factories" in document["paths"]


# -- the pytest plugin's handle ------------------------------------------------------------------------------
def test_the_pytest_handle_makes_records_and_scenarios(sandbox):
    import json
    import urllib.request

    orders = sandbox.make("shop", "orders", count=3, status="processing")
    assert [o["status"] for o in orders] == ["processing"] * 3
    request = urllib.request.Request(f"{sandbox.url('shop')}/api/v1/shop/orders/{orders[0]['id']}", headers=HEADERS["shop"])
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["order"]["status"] == "processing"
    made = sandbox.scenario("slyk", "partly-fulfilled-partly-refunded")
    assert made["orders"][0]["paymentStatus"] == "partially_refunded"
    with pytest.raises(AssertionError, match="400"):
        sandbox.make("slyk", "orders", orderStatus="shipped")


def test_a_refusal_by_the_apis_rules_names_the_rule(client):
    response = client.post("/__sandbox/factories/slyk/orders", json={"paidAmount": "1000000"})
    assert response.status_code == 400
    assert response.get_json()["details"]["paidAmount"][0].endswith("(slyk.pay-not-more-than-unpaid)")
