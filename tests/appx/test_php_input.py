"""appx reads its query as PHP and Laravel's paginator do (checked with php-cli 8.2), through HTTP."""

from __future__ import annotations

import pytest

from tests.appx.test_orders import AUTH, BASE


def page_of(client, query: str) -> int:
    response = client.get(f"{BASE}/customers/1/orders?{query}", headers=AUTH)
    assert response.status_code == 200
    return response.get_json()["meta"]["current_page"]


def test_a_repeated_page_is_the_last_one_as_php_keeps_it(client):
    """php -r 'parse_str("page=2&page=3", $q); echo $q["page"];' prints 3."""
    assert page_of(client, "page=2&page=3") == 3
    assert page_of(client, "page=3&page=abc") == 1


@pytest.mark.parametrize("raw", ["99999999999999999999", "9223372036854775808", "9" * 5000, "%0C2", "%2B%2B2"])
def test_a_page_filter_var_refuses_is_page_one(client, raw):
    """FILTER_VALIDATE_INT fails on overflow (and on 5000 digits, never given to int()): page 1."""
    assert page_of(client, f"page={raw}") == 1


@pytest.mark.parametrize("raw", ["%202%20", "%2B2", "%092%0A"])
def test_a_page_filter_var_trims_or_signs_is_read(client, raw):
    assert page_of(client, f"page={raw}") == 2


def test_an_order_id_of_5000_digits_is_the_model_404(client):
    response = client.get(f"{BASE}/orders/{'9' * 5000}", headers=AUTH)
    assert response.status_code == 404 and response.get_json()["message"].startswith(
        "No query results for model [App\\Models\\Order] 999")


@pytest.mark.parametrize("path,status", [("/orders/99999", 404), ("/customers/1/orders", 401)])
def test_errors_are_json_whether_or_not_the_request_accepts_json(client, path, status):
    """Stock Laravel renders JSON errors only when expectsJson(); the sandbox always does (docs/fidelity.md,
    "Laravel error bodies"): the same body with and without Accept: application/json."""
    headers = {} if status == 401 else {"Authorization": AUTH["Authorization"]}
    with_accept = client.get(BASE + path, headers={**headers, "Accept": "application/json"})
    without = client.get(BASE + path, headers=headers)
    assert with_accept.status_code == without.status_code == status
    assert with_accept.get_json() == without.get_json() and without.mimetype == "application/json"


@pytest.mark.parametrize("query", ["page=2&page[]=3", "page[]=2", "page[x]=2"])
def test_a_page_that_php_makes_an_array_is_page_one(client, query):
    """php -r 'parse_str("page=2&page[]=3", $q); var_dump($q);' gives page => [3]: no integer, so page 1."""
    assert page_of(client, query) == 1


def test_a_scalar_after_the_array_is_the_page_again(client):
    assert page_of(client, "page[]=3&page=2") == 2
