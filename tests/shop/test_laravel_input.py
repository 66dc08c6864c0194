"""shop reads a write's input as Laravel does (php-cli 8.2 and laravel/framework's Request::isJson,
getInputSource, the integer and exists rules): through HTTP, each refusal changing nothing."""

from __future__ import annotations

import json

import pytest

from tests.shop.test_orders import AUTH, BASE, Unchanged

ITEMS = {"items": [{"product_sku": "EH-1", "quantity": 2}]}
REQUIRED = {"message": "The items field is required.", "errors": {"items": ["The items field is required."]}}


def put(client, data, content_type=None, order_id=7):
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    return client.put(f"{BASE}/orders/{order_id}", data=data, headers=headers)


class TestContentType:
    @pytest.mark.parametrize("content_type", [None, "text/plain", "application/octet-stream", "json"])
    def test_a_json_body_without_a_json_content_type_is_no_input(self, client, box, content_type):
        """Laravel reads the JSON bag only when isJson(): Content-Type containing /json or +json."""
        with Unchanged(box):
            response = put(client, json.dumps(ITEMS), content_type)
        assert (response.status_code, response.get_json()) == (422, REQUIRED)

    @pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                              "application/vnd.api+json", "text/json"])
    def test_any_json_content_type_is_read(self, client, content_type):
        response = put(client, json.dumps(ITEMS), content_type)
        assert response.status_code == 200
        assert [(i["sku"], i["quantity"]) for i in response.get_json()["order"]["items"]] == [("EH-1", 2)]

    def test_a_form_encoded_update_is_read_as_php_nests_it(self, client):
        """Symfony parses urlencoded PUT bodies with parse_str: items[0][product_sku]=EH-1 is a nested array."""
        response = put(client, "items[0][product_sku]=EH-1&items[0][quantity]=2&items[1][product_sku]=EH-2"
                               "&items[1][quantity]=1&notes=+By+the+door+", "application/x-www-form-urlencoded")
        assert response.status_code == 200, response.get_json()
        order = response.get_json()["order"]
        assert [(i["sku"], i["quantity"]) for i in order["items"]] == [("EH-1", 2), ("EH-2", 1)]
        assert order["notes"] == "By the door"   # TrimStrings, as for JSON

    def test_a_form_encoded_update_keeps_the_last_of_repeated_fields(self, client):
        response = put(client, "items[0][product_sku]=EH-1&items[0][quantity]=2&items[0][quantity]=3",
                       "application/x-www-form-urlencoded")
        assert [i["quantity"] for i in response.get_json()["order"]["items"]] == [3]

    def test_a_multipart_put_is_no_input(self, client, box):
        """PHP parses multipart bodies into $_POST for POST only; a PUT's stays unread."""
        body = ("--x\r\nContent-Disposition: form-data; name=\"items[0][product_sku]\"\r\n\r\nEH-1\r\n"
                "--x\r\nContent-Disposition: form-data; name=\"items[0][quantity]\"\r\n\r\n2\r\n--x--\r\n")
        with Unchanged(box):
            response = put(client, body, "multipart/form-data; boundary=x")
        assert (response.status_code, response.get_json()) == (422, REQUIRED)


class TestRules:
    def test_quantity_true_passes_the_integer_rule_as_one(self, client):
        """filter_var(true, FILTER_VALIDATE_INT) is 1 (php -r), so Laravel's integer rule passes."""
        response = put(client, json.dumps({"items": [{"product_sku": "EH-1", "quantity": True}]}), "application/json")
        assert response.status_code == 200
        assert [i["quantity"] for i in response.get_json()["order"]["items"]] == [1]

    @pytest.mark.parametrize("quantity", [False, 1e14, "1.0", "0x1A", " 2x"])
    def test_what_filter_var_refuses_fails_the_integer_rule(self, client, box, quantity):
        with Unchanged(box):
            response = put(client, json.dumps({"items": [{"product_sku": "EH-1", "quantity": quantity}]}),
                           "application/json")
        assert response.status_code == 422
        assert response.get_json()["errors"]["items.0.quantity"] == ["The items.0.quantity field must be an integer."]

    def test_an_unknown_sku_is_reported_with_the_shape_errors_in_one_pass(self, client, box):
        body = {"customer_email": "nope", "items": [{"product_sku": "NOPE-1", "quantity": 0},
                                                    {"product_sku": "EH-1", "quantity": 1},
                                                    {"product_sku": "NOPE-2", "quantity": 1}]}
        with Unchanged(box):
            response = put(client, json.dumps(body), "application/json")
        assert response.status_code == 422 and response.headers["X-Sandbox-Rule"] == "shop.item-sku-must-exist"
        assert response.get_json() == {
            "message": "The customer email field must be a valid email address. (and 3 more errors)",
            "errors": {"customer_email": ["The customer email field must be a valid email address."],
                       "items.0.product_sku": ["The selected items.0.product_sku is invalid."],
                       "items.2.product_sku": ["The selected items.2.product_sku is invalid."],
                       "items.0.quantity": ["The items.0.quantity field must be at least 1."]}}

    def test_validation_with_the_exists_rule_runs_before_the_order_lookup(self, client, box):
        with Unchanged(box):
            response = put(client, json.dumps({"items": [{"product_sku": "NOPE", "quantity": 1}]}),
                           "application/json", order_id=99999)
        assert response.status_code == 422
        assert list(response.get_json()["errors"]) == ["items.0.product_sku"]


class TestJsonBoundary:
    """Issue 14 finding 5: what PHP's json_decode refuses is no input (422), never stored."""

    @pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e999", '"\\ud800"', '{"\\udc00": 1}'])
    def test_non_finite_numbers_and_lone_surrogates_are_no_input(self, client, box, raw):
        data = '{"items": [{"product_sku": "EH-1", "quantity": 1, "options": {"x": %s}}]}' % raw
        with Unchanged(box):
            response = put(client, data, "application/json")
        assert (response.status_code, response.get_json()) == (422, REQUIRED)
        assert client.get(f"{BASE}/orders", headers=AUTH).status_code == 200

    def test_an_id_of_5000_digits_is_the_model_404(self, client):
        response = client.get(f"{BASE}/orders/{'9' * 5000}", headers=AUTH)
        assert response.status_code == 404
        assert response.get_json()["message"].startswith("No query results for model [App\\Models\\Order] 999")


FORM_CREATE = [("customer_name", "Jane Roe"), ("customer_email", "jane@example.com"),
               ("shipping_address[first_name]", "Jane"), ("shipping_address[last_name]", "Roe"),
               ("shipping_address[address]", "1 High Street"), ("shipping_address[city]", "Leeds"),
               ("shipping_address[postcode]", "LS1 1AA"), ("shipping_address[country]", "GB"),
               ("shipping_method", "standard")]


def test_a_form_encoded_create_is_read(client):
    from urllib.parse import urlencode
    response = client.post(f"{BASE}/orders", data=urlencode(FORM_CREATE),
                           headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.get_json()
    order = response.get_json()["order"]
    assert order["email"] == "jane@example.com" and order["shipping_address"]["city"] == "Leeds"


def test_a_multipart_create_is_read_for_post(client):
    """PHP fills $_POST from a multipart POST body (unlike a PUT's)."""
    body = "".join(f'--x\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n' for name, value in FORM_CREATE)
    response = client.post(f"{BASE}/orders", data=body + "--x--\r\n",
                           headers={**AUTH, "Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["order"]["shipping_address"]["postcode"] == "LS1 1AA"
