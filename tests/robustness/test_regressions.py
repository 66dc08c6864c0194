"""Bugs the robustness suites found, each pinned where it was fixed."""

from __future__ import annotations

import pytest

from sandbox.apis.shop.schemas import PHP_INT_MAX, laravel_input
from sandbox.core.errors import BadRequest
from sandbox.core.validation import MAX_JSON_DEPTH, json_depth, parse_json_body

SHOP = "/shop/api/v1/shop"
SHOP_AUTH = {"Authorization": "Bearer t", "X-API-Key": "k"}
SLYK_AUTH = {"apikey": "k"}
SLYK_ORDER = "/slyk/orders/fc78d28f-a8dd-49de-a22f-722fe3bd26c8"


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def test_json_depth_counts_arrays_and_objects_without_recursion():
    assert [json_depth(v) for v in (1, [], {"a": [1, {"b": {}}]})] == [0, 1, 4]
    assert json_depth(parse_json_body(nested(MAX_JSON_DEPTH))) == MAX_JSON_DEPTH


def test_a_body_nested_deeper_than_php_allows_is_a_bad_request():
    with pytest.raises(BadRequest):
        parse_json_body(nested(MAX_JSON_DEPTH + 1))


def test_laravel_trimming_walks_a_maximally_nested_body_without_recursing():
    """It recursed twice per level, so a body 900 deep was a 500 in shop."""
    body = parse_json_body(b'{"a": ' * MAX_JSON_DEPTH + b'" x "' + b"}" * MAX_JSON_DEPTH)
    trimmed = laravel_input(body)
    for _ in range(MAX_JSON_DEPTH):
        trimmed = trimmed["a"]
    assert trimmed == "x"
    assert laravel_input({"a": ["  ", " b ", 1, {"c": ""}]}) == {"a": [None, "b", 1, {"c": None}]}


@pytest.mark.parametrize("depth", [450, 900, MAX_JSON_DEPTH + 1])
def test_shop_reads_a_deeply_nested_body_as_laravel_does(client, depth):
    response = client.post(f"{SHOP}/orders", data=nested(depth), headers=SHOP_AUTH, content_type="application/json")
    assert response.status_code == 422 and "errors" in response.get_json()


@pytest.mark.parametrize("quantity", [PHP_INT_MAX + 1, 10 ** 29, 1e30, "99999999999999999999"])
def test_shop_quantity_beyond_php_integers_fails_the_integer_rule(client, quantity):
    """FILTER_VALIDATE_INT refuses what a 64-bit PHP int cannot hold; the sandbox formatted it and failed."""
    body = {"items": [{"product_sku": "TSHIRT-001", "quantity": quantity}]}
    response = client.put(f"{SHOP}/orders/7", json=body, headers=SHOP_AUTH)
    assert response.status_code == 422
    assert response.get_json()["errors"]["items.0.quantity"] == ["The items.0.quantity field must be an integer."]


@pytest.mark.parametrize("amount", ["99999999999999999999999", 10 ** 29, "1e999", 1e300])
def test_slyk_amounts_too_large_for_eight_decimals_are_refused(client, amount):
    """Decimal's 28 digits could not format them with eight decimals: a 500 on pay, refund and cancel."""
    for action, field in (("pay", "amount"), ("refund", "amount"), ("cancel", "refundAmount")):
        response = client.post(f"{SLYK_ORDER}/{action}", json={field: amount}, headers=SLYK_AUTH)
        assert response.status_code == 400, (action, response.get_json())
        assert response.get_json()["code"] == "validation_failed"


def test_slyk_line_quantities_beyond_a_32_bit_column_are_refused(client, box):
    user = box.store.state("slyk")["users"].all()[0]["id"]
    product = box.store.state("slyk")["products"].all()[0]["id"]
    response = client.post("/slyk/orders", json={"userId": user, "lines": [{"productId": product,
                                                                             "quantity": 10 ** 29}]},
                           headers=SLYK_AUTH)
    assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == "lines.0.quantity"
