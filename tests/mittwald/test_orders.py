"""mittwald through HTTP: the docs' example, the list's filters and paging, the order by id, auth and errors.

Every answer goes through ``calls`` (tests/mittwald/conftest.py), which validates its body against the
spec excerpt before the test looks at it."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from sandbox import create_app
from sandbox.config import TEST_CONFIG
from tests.conftest import Examples, assert_same_json
from tests.mittwald.conftest import BASE, DOCS_CUSTOMER, TOKEN, spec_errors

SPEC_CUSTOMER, SPEC_CUSTOMER_NUMBER = "13eac206-ada6-4ac8-a4c0-21b263df6cbf", "1000026"
STATUSES = ["NEW", "CONFIRMED", "REJECTED", "ABORTED", "EXECUTED"]


def ids(body) -> list[str]:
    return [order["orderId"] for order in body]


def pagination(response) -> tuple[str, str, str, str]:
    h = response.headers
    return (h["X-Pagination-TotalCount"], h["X-Pagination-Limit"], h["X-Pagination-Skip"], h["X-Pagination-Page"])


def test_the_docs_curl_is_reproduced(client):
    examples = Examples(client, "mittwald")
    for example in examples.all():
        response, expected = examples.replay(example)
        assert response.status_code == example["response"]["status"], example["name"]
        assert_same_json(expected, response.get_json())


class TestList:
    def test_the_docs_customer_has_fifteen_orders_newest_first(self, calls):
        response = calls.orders()
        body = response.get_json()
        assert response.status_code == 200 and len(body) == 15
        assert {order["customerId"] for order in body} == {DOCS_CUSTOMER}
        dates = [order["orderDate"] for order in body]
        assert dates == sorted(dates, reverse=True)
        assert pagination(response) == ("15", "1000", "0", "1")

    def test_every_status_and_both_types_are_seeded(self, calls):
        body = calls.orders().get_json()
        assert {order["status"] for order in body} == set(STATUSES)
        assert {order["type"] for order in body} == {"NEW_ORDER", "CONTRACT_CHANGE"}

    def test_the_trailing_slash_of_the_docs_answers_the_same_without_redirect(self, calls, client):
        plain = calls.orders()
        slashed = client.get(f"{BASE}/customers/{DOCS_CUSTOMER}/orders/", headers=TOKEN)
        assert slashed.status_code == 200 and slashed.get_data() == plain.get_data()

    def test_a_customer_is_addressed_by_uuid_or_customer_number(self, calls):
        by_uuid = calls.orders(SPEC_CUSTOMER).get_json()
        assert by_uuid and calls.orders(SPEC_CUSTOMER_NUMBER).get_json() == by_uuid

    def test_each_customer_sees_only_its_own_orders(self, calls, box):
        for customer in box.store.state("mittwald")["customers"].all():
            body = calls.orders(customer["id"]).get_json()
            assert {order["customerId"] for order in body} <= {customer["id"]}


class TestFilters:
    @pytest.mark.parametrize("query", ["?includesStatus=NEW&includesStatus=EXECUTED",
                                       "?includesStatus=NEW,EXECUTED", "?includesStatus=NEW, EXECUTED&includesStatus="])
    def test_includes_status_as_repeated_keys_or_comma_separated(self, calls, query):
        everything = calls.orders().get_json()
        response = calls.orders(query=query)
        expected = [o for o in everything if o["status"] in ("NEW", "EXECUTED")]
        assert response.get_json() == expected and expected
        assert response.headers["X-Pagination-TotalCount"] == str(len(expected))

    def test_excludes_status(self, calls):
        everything = calls.orders().get_json()
        body = calls.orders(query="?excludesStatus=EXECUTED&excludesStatus=ABORTED").get_json()
        assert body == [o for o in everything if o["status"] not in ("EXECUTED", "ABORTED")]

    def test_includes_and_excludes_together(self, calls):
        everything = calls.orders().get_json()
        body = calls.orders(query="?includesStatus=NEW,CONFIRMED&excludesStatus=CONFIRMED").get_json()
        assert body == [o for o in everything if o["status"] == "NEW"]

    @pytest.mark.parametrize("templates", [["Domain"], ["Space-Server", "Webhosting"]])
    def test_template_names_match_any_item_template(self, calls, templates):
        everything = calls.orders().get_json()
        query = "?" + "&".join(f"templateNames={t}" for t in templates)
        body = calls.orders(query=query).get_json()
        assert body == [o for o in everything if any(i.get("articleTemplateName") in templates for i in o["items"])]
        assert body and len(body) < len(everything)

    def test_an_unknown_template_name_is_an_empty_list(self, calls):
        response = calls.orders(query="?templateNames=string")
        assert response.get_json() == [] and response.headers["X-Pagination-TotalCount"] == "0"

    def test_unknown_parameters_are_ignored(self, calls):
        assert calls.orders(query="?types=NEW_ORDER&foo=bar").get_json() == calls.orders().get_json()


class TestPaging:
    def test_limit_keeps_the_filtered_total(self, calls):
        everything = ids(calls.orders().get_json())
        response = calls.orders(query="?limit=4")
        assert ids(response.get_json()) == everything[:4]
        assert pagination(response) == ("15", "4", "0", "1")

    def test_skip_and_the_page_it_lands_on(self, calls):
        everything = ids(calls.orders().get_json())
        response = calls.orders(query="?limit=4&skip=8")
        assert ids(response.get_json()) == everything[8:12]
        assert pagination(response) == ("15", "4", "8", "3")

    def test_page_counts_from_one(self, calls):
        everything = ids(calls.orders().get_json())
        response = calls.orders(query="?limit=4&page=2")
        assert ids(response.get_json()) == everything[4:8]
        assert pagination(response) == ("15", "4", "4", "2")

    def test_page_zero_is_the_first_page(self, calls):
        assert calls.orders(query="?limit=4&page=0").get_json() == calls.orders(query="?limit=4&page=1").get_json()

    def test_skip_wins_over_page(self, calls):
        assert calls.orders(query="?limit=4&page=3&skip=1").get_json() == calls.orders(query="?limit=4&skip=1").get_json()

    def test_the_last_page_is_short_and_past_it_is_empty(self, calls):
        everything = ids(calls.orders().get_json())
        assert ids(calls.orders(query="?limit=4&page=4").get_json()) == everything[12:]
        response = calls.orders(query="?limit=4&page=9")
        assert response.get_json() == [] and pagination(response) == ("15", "4", "32", "9")

    def test_limit_zero_is_an_empty_window(self, calls):
        response = calls.orders(query="?limit=0")
        assert response.get_json() == [] and pagination(response) == ("15", "0", "0", "1")

    def test_paging_applies_after_filtering(self, calls):
        filtered = ids(calls.orders(query="?excludesStatus=EXECUTED").get_json())
        response = calls.orders(query="?excludesStatus=EXECUTED&limit=2&skip=2")
        assert ids(response.get_json()) == filtered[2:4]
        assert response.headers["X-Pagination-TotalCount"] == str(len(filtered))


class TestValidation:
    @pytest.mark.parametrize("query,violation", [
        ("?limit=abc", {"message": "must be integer", "path": ".limit", "type": "type",
                        "context": {"type": "integer"}}),
        ("?page=1.5", {"message": "must be integer", "path": ".page", "type": "type",
                       "context": {"type": "integer"}}),
        ("?skip=-1", {"message": "must be >= 0", "path": ".skip", "type": "minimum",
                      "context": {"comparison": ">=", "limit": "0"}}),
        ("?includesStatus=NEW,DONE", {"message": "must be equal to one of the allowed values",
                                      "path": ".includesStatus[1]", "type": "enum",
                                      "context": {"allowedValues": "NEW, CONFIRMED, REJECTED, ABORTED, EXECUTED"}}),
        ("?excludesStatus=new", {"message": "must be equal to one of the allowed values",
                                 "path": ".excludesStatus[0]", "type": "enum",
                                 "context": {"allowedValues": "NEW, CONFIRMED, REJECTED, ABORTED, EXECUTED"}}),
    ])
    def test_invalid_parameters_are_a_400_validation_error(self, calls, box, query, violation):
        before = box.store.state("mittwald").export()
        response = calls.orders(query=query)
        assert response.status_code == 400
        assert_same_json({"type": "ValidationError", "message": "Validation failed",
                          "validationErrors": [violation]}, response.get_json())
        assert box.store.state("mittwald").export() == before

    def test_every_wrong_parameter_is_listed(self, calls):
        body = calls.orders(query="?limit=x&skip=-3&includesStatus=A&includesStatus=NEW&includesStatus=B").get_json()
        assert [v["path"] for v in body["validationErrors"]] == [
            ".limit", ".skip", ".includesStatus[0]", ".includesStatus[2]"]

    def test_parameters_are_validated_before_the_customer_is_looked_up(self, calls):
        """An invalid parameter is refused before the customer is looked up (ajv runs before the handler)."""
        assert calls.orders("unknown-customer", query="?limit=abc").status_code == 400

    def test_empty_values_count_as_absent(self, calls):
        assert calls.orders(query="?limit=&skip=&includesStatus=").get_json() == calls.orders().get_json()


class TestOrder:
    def test_an_order_by_uuid_equals_its_list_entry(self, calls):
        listed = calls.orders().get_json()
        for order in listed:
            response = calls.order(order["orderId"])
            assert response.status_code == 200 and response.get_json() == order

    def test_an_order_by_order_number(self, calls):
        order = calls.orders().get_json()[0]
        assert calls.order(order["orderNumber"]).get_json() == order
        assert calls.order(order["orderNumber"] + "/").get_json() == order

    def test_an_unknown_order_is_404(self, calls):
        response = calls.order("0b15641e-26e2-4e56-9b83-96a995c8bf05")
        assert response.status_code == 404
        assert response.get_json() == {"type": "NotFound",
                                       "message": "order 0b15641e-26e2-4e56-9b83-96a995c8bf05 not found"}
        assert response.headers["X-Sandbox-Rule"] == "mittwald.record.exists"


class TestWireFormat:
    def all_orders(self, calls, box) -> list[dict]:
        customers = box.store.state("mittwald")["customers"].all()
        return [o for c in customers for o in calls.orders(c["id"]).get_json()]

    def test_absent_optional_fields_are_left_out_never_null(self, calls, box):
        orders = self.all_orders(calls, box)

        def nulls(node, path="$"):
            if node is None:
                yield path
            elif isinstance(node, dict):
                for key, value in node.items():
                    yield from nulls(value, f"{path}.{key}")
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    yield from nulls(value, f"{path}[{i}]")
        assert list(nulls(orders)) == []
        assert any("profile" not in o for o in orders) and any("profile" in o for o in orders)
        assert any("dueDate" not in o for o in orders)

    def test_only_contract_changes_name_the_contract_and_refer_to_its_item(self, calls, box):
        for order in self.all_orders(calls, box):
            changes = order["type"] == "CONTRACT_CHANGE"
            assert ("contractChangeContractId" in order) == changes
            assert all(("reference" in item) == changes for item in order["items"])

    def test_the_summary_adds_up_and_money_is_a_number(self, calls, box):
        for order in self.all_orders(calls, box):
            prices = [item["price"] for item in order["items"]]
            assert all(type(p) in (int, float) for p in prices)
            total = order["summary"]
            assert Decimal(str(total["summary"])) == Decimal(str(total["recurring"])) + Decimal(str(total["nonRecurring"]))
            assert Decimal(str(total["summary"])) == sum(Decimal(str(p)) for p in prices)
            assert all(item["price"] == 0 for item in order["items"] if item["isInclusive"])

    def test_keys_follow_the_spec_order(self, calls):
        order = calls.orders(query="?limit=1").get_json()[0]
        keys = list(order)
        assert keys == sorted(keys), "the spec lists CustomerOrder's properties alphabetically"
        assert list(order["summary"]) == ["nonRecurring", "recurring", "summary"]

    def test_date_times_are_rfc3339_in_utc_with_milliseconds(self, calls):
        import re
        for order in calls.orders().get_json():
            for key in ("orderDate", "dueDate"):
                if key in order:
                    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", order[key]), order[key]


class TestSpecValidation:
    """The validator used by every test above must be able to fail."""

    def valid_order(self, calls) -> dict:
        return calls.orders(query="?limit=1").get_json()[0]

    @pytest.mark.parametrize("spoil", [
        lambda o: o.update(profile=None),
        lambda o: o.update(orderId="not-a-uuid"),
        lambda o: o.update(status="DONE"),
        lambda o: o.update(orderDate="27.10.2025"),
        lambda o: o.update(surprise=1),
        lambda o: o["items"][0].update(price="9.99"),
        lambda o: o.pop("summary"),
    ])
    def test_a_spoilt_order_fails_validation(self, calls, spoil):
        order = copy.deepcopy(self.valid_order(calls))
        assert spec_errors([order], "customer_orders", 200) == []
        spoil(order)
        assert spec_errors([order], "customer_orders", 200)
        assert spec_errors(order, "get_order", 200)

    def test_errors_satisfy_the_default_error_schema(self, calls):
        body = calls.orders(query="?limit=x").get_json()
        assert {"type", "message"} <= set(body) and all(isinstance(body[k], str) for k in ("type", "message"))
        assert spec_errors({"type": "NotFound"}, "get_order", 404)


class TestAuthAndErrors:
    @pytest.mark.parametrize("headers", [{"x-access-token": "t"}, {"Authorization": "Bearer t"},
                                         {"X-Access-Token": "t"}, {"Authorization": "bearer t"}])
    def test_either_documented_header_is_accepted(self, calls, headers):
        assert calls.orders(headers=headers).status_code == 200

    @pytest.mark.parametrize("path", [f"/customers/{DOCS_CUSTOMER}/orders", "/orders/x", "/customers/nobody/orders"])
    @pytest.mark.parametrize("headers", [{}, {"x-access-token": ""}, {"Authorization": "Bearer "},
                                         {"Authorization": "Basic abc"}, {"Authorization": "t"}])
    def test_missing_credentials_are_401_before_any_lookup(self, client, path, headers):
        response = client.get(BASE + path, headers=headers)
        assert response.status_code == 401
        assert response.get_json() == {
            "type": "Unauthorized",
            "message": "Missing credentials: send x-access-token: <key> or Authorization: Bearer <token>."}

    def test_a_customer_the_sandbox_does_not_know_is_403_permission_denied(self, calls):
        response = calls.orders("string")
        assert response.status_code == 403
        assert response.get_json() == {"type": "PermissionDenied", "message": "permission denied for customer string"}
        assert response.headers["X-Sandbox-Rule"] == "mittwald.customer-must-be-accessible"

    def test_strict_token_list(self):
        client = create_app({**TEST_CONFIG, "TOKENS": {"mittwald": ["good"]}}).test_client()
        path = f"{BASE}/customers/{DOCS_CUSTOMER}/orders"
        assert client.get(path, headers={"x-access-token": "bad"}).status_code == 401
        assert client.get(path, headers={"x-access-token": "good"}).status_code == 200
        assert client.get(path, headers={"Authorization": "Bearer good"}).status_code == 200

    def test_an_unknown_route_is_a_json_404_even_without_auth(self, client):
        response = client.get(f"{BASE}/invoices")
        assert response.status_code == 404
        assert response.get_json() == {"type": "NotFound", "message": "no route for GET /v2/invoices"}
        assert spec_errors(response.get_json(), "get_order", 404) == []

    def test_a_wrong_method_is_a_json_405_with_allow(self, client):
        response = client.post(f"{BASE}/orders/x", headers=TOKEN)
        assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"
        assert response.get_json() == {"type": "MethodNotAllowed",
                                       "message": "method POST not allowed for /v2/orders/x; allowed: GET, HEAD"}

    def test_a_body_over_one_mebibyte_is_413(self, client):
        response = client.post(f"{BASE}/orders", data=b"x" * (1024 * 1024 + 1), headers=TOKEN)
        assert response.status_code == 413 and response.get_json()["type"] == "PayloadTooLarge"

    def test_an_unexpected_failure_is_the_spec_example_500(self, client, monkeypatch):
        from sandbox.apis.mittwald.backend import MittwaldBackend

        def explode(*args, **kwargs):
            raise RuntimeError("boom")
        monkeypatch.setattr(MittwaldBackend, "customer_orders", explode)
        response = client.get(f"{BASE}/customers/{DOCS_CUSTOMER}/orders", headers=TOKEN)
        assert response.status_code == 500
        assert response.get_json() == {"type": "InternalServerError", "message": "Something went wrong"}


def test_same_seed_same_bytes_and_another_seed_other_data():
    def listing(seed):
        client = create_app({**TEST_CONFIG, "SEED": seed}).test_client()
        return client.get(f"{BASE}/customers/{DOCS_CUSTOMER}/orders", headers=TOKEN).get_data()
    assert listing(42) == listing(42)
    assert listing(42) != listing(7)


@pytest.mark.parametrize("raw,limit", [("1e1", 10), ("2.0", 2), ("0x3", 3), ("%207%20", 7), ("%2B4", 4), ("0b11", 3)])
def test_limit_is_coerced_as_ajv_does(calls, raw, limit):
    """ajv coerceTypes: ``data && data == +data`` gives ``+data`` (checked with node: "1e1" == +"1e1")."""
    response = calls.orders(query=f"?limit={raw}")
    assert response.status_code == 200 and len(response.get_json()) == limit
    assert response.headers["X-Pagination-Limit"] == str(limit)


@pytest.mark.parametrize("raw", ["1.5", "0x1_0", "-0x1", "Infinity", "1e400", "1e-1", "5px"])
def test_what_ajv_cannot_coerce_to_an_integer_is_400(calls, raw):
    response = calls.orders(query=f"?limit={raw}")
    assert response.status_code == 400
    assert response.get_json()["validationErrors"][0]["message"] == "must be integer"
