"""appx through HTTP: the docs' examples, pagination as Laravel renders it, auth and errors."""

from __future__ import annotations

import pytest

from sandbox import create_app
from sandbox.config import TEST_CONFIG

AUTH = {"Authorization": "Bearer any-token", "Accept": "application/json"}
BASE = "/appx/api/v1"
LINK = "http://localhost" + BASE


def test_money_and_dates_keep_the_documented_formats(client):
    order = client.get(f"{BASE}/orders/15", headers=AUTH).get_json()["data"]["attributes"]
    assert order["value"] == 610 and isinstance(order["value"], int)
    assert order["order_date"] == "05-02-2026" and order["expiry_date"] == "19-02-2026"
    listed = client.get(f"{BASE}/customers/43/orders", headers=AUTH).get_json()["data"][0]["attributes"]
    assert listed["value"] == 300.5


def test_every_generated_order_keeps_the_documented_invariants(client, box):
    from datetime import datetime, timedelta
    for order in box.store.state("appx")["orders"].all():
        attributes = client.get(f"{BASE}/orders/{order['id']}", headers=AUTH).get_json()["data"]["attributes"]
        assert attributes["order_number"] == f"T{order['id']:08d}"
        ordered = datetime.strptime(attributes["order_date"], "%d-%m-%Y")
        assert datetime.strptime(attributes["expiry_date"], "%d-%m-%Y") - ordered == timedelta(days=14)
        assert attributes["created_at"].endswith(".000000Z") and len(attributes["created_at"]) == 27
        devices = client.get(f"{BASE}/orders/{order['id']}", headers=AUTH).get_json()["data"]["relationships"]["devices"]
        assert devices and attributes["value"] == sum(d["attributes"]["value"] for d in devices)


class TestPagination:
    def test_a_busy_customer_spans_three_pages_of_fifteen(self, client):
        body = client.get(f"{BASE}/customers/1/orders", headers=AUTH).get_json()
        assert body["meta"]["total"] == 40 and body["meta"]["last_page"] == 3 and len(body["data"]) == 15
        assert body["links"] == {"first": f"{LINK}/customers/1/orders?page=1",
                                 "last": f"{LINK}/customers/1/orders?page=3",
                                 "prev": None, "next": f"{LINK}/customers/1/orders?page=2"}
        assert [link["label"] for link in body["meta"]["links"]] == ["« Previous", "1", "2", "3", "Next »"]
        assert [link["active"] for link in body["meta"]["links"]] == [False, True, False, False, False]

    def test_pages_cover_every_order_once_in_id_order(self, client):
        ids = []
        for page in (1, 2, 3):
            body = client.get(f"{BASE}/customers/1/orders?page={page}", headers=AUTH).get_json()
            ids += [order["id"] for order in body["data"]]
        assert ids == sorted(ids) and len(set(ids)) == 40 and 15 in ids

    def test_last_page(self, client):
        body = client.get(f"{BASE}/customers/1/orders?page=3", headers=AUTH).get_json()
        meta = body["meta"]
        assert (meta["current_page"], meta["from"], meta["to"], len(body["data"])) == (3, 31, 40, 10)
        assert body["links"]["next"] is None and body["links"]["prev"] == f"{LINK}/customers/1/orders?page=2"
        assert meta["links"][-1] == {"url": None, "label": "Next »", "active": False}

    def test_a_page_past_the_last_is_empty_and_not_clamped(self, client):
        body = client.get(f"{BASE}/customers/1/orders?page=7", headers=AUTH).get_json()
        assert body["data"] == []
        assert (body["meta"]["current_page"], body["meta"]["from"], body["meta"]["to"]) == (7, None, None)
        assert body["links"]["prev"] == f"{LINK}/customers/1/orders?page=6" and body["links"]["next"] is None
        assert not any(link["active"] for link in body["meta"]["links"])

    @pytest.mark.parametrize("raw", ["abc", "0", "-2", "1.5", "", "05"])
    def test_a_page_that_is_not_a_positive_integer_means_page_one(self, client, raw):
        body = client.get(f"{BASE}/customers/1/orders?page={raw}", headers=AUTH).get_json()
        assert body["meta"]["current_page"] == 1 and body["meta"]["from"] == 1

    def test_links_point_at_the_host_the_client_used(self, client):
        body = client.get(f"{BASE}/customers/43/orders", headers=AUTH, base_url="http://sandbox.test:9000").get_json()
        assert body["meta"]["path"] == "http://sandbox.test:9000/appx/api/v1/customers/43/orders"
        assert body["data"][0]["links"]["self"] == "http://sandbox.test:9000/appx/api/v1/orders/14"


class TestErrors:
    @pytest.mark.parametrize("path", ["/orders/15", "/customers/43/orders"])
    @pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"},
                                         {"Authorization": "token"}])
    def test_missing_bearer_token_is_401_unauthenticated(self, client, path, headers):
        response = client.get(BASE + path, headers=headers)
        assert response.status_code == 401
        assert response.get_json() == {"message": "Unauthenticated."}

    @pytest.mark.parametrize("path,model,raw", [("/orders/99999", "Order", "99999"), ("/orders/abc", "Order", "abc"),
                                                ("/customers/99999/orders", "Customer", "99999")])
    def test_unknown_records_are_laravel_model_404s(self, client, path, model, raw):
        response = client.get(BASE + path, headers=AUTH)
        assert response.status_code == 404
        assert response.get_json() == {"message": f"No query results for model [App\\Models\\{model}] {raw}"}

    def test_unknown_route_is_laravel_404_even_without_auth(self, client):
        response = client.get(f"{BASE}/invoices")
        assert response.status_code == 404
        assert response.get_json() == {"message": "The route api/v1/invoices could not be found."}

    def test_the_mount_root_is_laravel_404_for_route_slash(self, client):
        assert client.get("/appx").get_json() == {"message": "The route / could not be found."}

    def test_wrong_method_is_laravel_405(self, client):
        response = client.delete(f"{BASE}/orders/15", headers=AUTH)
        assert response.status_code == 405
        assert response.get_json() == {
            "message": "The DELETE method is not supported for route api/v1/orders/15. Supported methods: GET, HEAD."}

    def test_strict_token_list(self):
        app = create_app({**TEST_CONFIG, "TOKENS": {"appx": ["good"]}})
        client = app.test_client()
        assert client.get(f"{BASE}/orders/15", headers={"Authorization": "Bearer bad"}).status_code == 401
        assert client.get(f"{BASE}/orders/15", headers={"Authorization": "Bearer good"}).status_code == 200


def test_same_seed_same_bytes_and_another_seed_other_data():
    def page(seed):
        client = create_app({**TEST_CONFIG, "SEED": seed}).test_client()
        return client.get(f"{BASE}/customers/1/orders?page=2", headers=AUTH).get_data()
    assert page(42) == page(42)
    assert page(42) != page(7)
