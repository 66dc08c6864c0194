"""mittwald's own Python client (PyPI ``mittwald-api-client``) against a live sandbox over real HTTP.

The client checks what a sandbox can get wrong unnoticed: required keys, UUIDs, enums and date-times
(``from_dict``), no redirects (``follow_redirects=False``), repeated query keys for arrays, and a
``{type, message}`` body for every non-200 answer."""

from __future__ import annotations

import json
from http import HTTPStatus

import httpx
import pytest
from mittwald_api_client import AuthenticatedClient
from mittwald_api_client.api.contract import order_get_order, order_list_customer_orders
from mittwald_api_client.models.de_mittwald_v1_commons_error import DeMittwaldV1CommonsError
from mittwald_api_client.models.de_mittwald_v1_order_customer_order import DeMittwaldV1OrderCustomerOrder
from mittwald_api_client.models.de_mittwald_v1_order_order_status import DeMittwaldV1OrderOrderStatus as Status
from mittwald_api_client.types import Unset

from tests.mittwald.conftest import DOCS_CUSTOMER, assert_matches_spec

ALL_STATUSES = {s.value for s in Status}


@pytest.fixture(scope="module")
def mittwald(live_sandbox):
    """The client as mittwald's docs set it up: the token in ``x-access-token``, no prefix."""
    with AuthenticatedClient(base_url=live_sandbox.url + "/mittwald", token="any-token", prefix="",
                             auth_header_name="x-access-token", raise_on_unexpected_status=True) as client:
        yield client


def list_orders(client, customer=DOCS_CUSTOMER, **params):
    response = order_list_customer_orders.sync_detailed(customer, client=client, **params)
    assert response.headers.get("content-type") == "application/json"
    assert_matches_spec(json.loads(response.content), "customer_orders", response.status_code)
    return response


def test_the_client_lists_and_parses_every_order(mittwald):
    response = list_orders(mittwald)
    orders = response.parsed
    assert response.status_code == HTTPStatus.OK and len(orders) == 15
    assert all(isinstance(o, DeMittwaldV1OrderCustomerOrder) for o in orders)
    assert all(o.additional_properties == {} for o in orders), "no key outside the client's model"
    assert {o.status.value for o in orders} == ALL_STATUSES
    assert all(o.order_date.tzinfo is not None for o in orders)
    dates = [o.order_date for o in orders]
    assert dates == sorted(dates, reverse=True)
    assert response.headers["X-Pagination-TotalCount"] == "15"


def test_the_client_keeps_optional_fields_unset_not_none(mittwald):
    orders = list_orders(mittwald).parsed
    for order in orders:
        for value in (order.profile, order.due_date, order.contract_change_contract_id):
            assert value is not None
    assert any(isinstance(o.profile, Unset) for o in orders) or any(isinstance(o.due_date, Unset) for o in orders)
    changes = [o for o in orders if o.type_.value == "CONTRACT_CHANGE"]
    assert changes and all(not isinstance(o.contract_change_contract_id, Unset) for o in changes)


@pytest.mark.parametrize("included", [[Status.NEW], [Status.CONFIRMED, Status.EXECUTED]])
def test_includes_status(mittwald, included):
    orders = list_orders(mittwald, includes_status=included).parsed
    assert orders and {o.status for o in orders} <= set(included)


def test_excludes_status(mittwald):
    orders = list_orders(mittwald, excludes_status=[Status.EXECUTED, Status.CONFIRMED]).parsed
    assert orders and {o.status.value for o in orders} == ALL_STATUSES - {"EXECUTED", "CONFIRMED"}


def test_template_names(mittwald):
    orders = list_orders(mittwald, template_names=["Domain"]).parsed
    assert orders and all(any(i.article_template_name == "Domain" for i in o.items) for o in orders)
    assert list_orders(mittwald, template_names=["string"]).parsed == []


def test_paging_with_limit_skip_and_page(mittwald):
    everything = [o.order_id for o in list_orders(mittwald).parsed]
    first = list_orders(mittwald, limit=6)
    second = list_orders(mittwald, limit=6, page=2)
    third = list_orders(mittwald, limit=6, skip=12)
    assert [o.order_id for o in first.parsed + second.parsed + third.parsed] == everything
    assert [third.headers[f"X-Pagination-{h}"] for h in ("TotalCount", "Limit", "Skip", "Page")] == ["15", "6", "12", "3"]


def test_the_client_gets_one_order_by_uuid_and_by_number(mittwald):
    listed = list_orders(mittwald, limit=1).parsed[0]
    by_id = order_get_order.sync_detailed(str(listed.order_id), client=mittwald)
    by_number = order_get_order.sync_detailed(listed.order_number, client=mittwald)
    assert by_id.status_code == HTTPStatus.OK and by_id.parsed.to_dict() == listed.to_dict()
    assert by_number.parsed.to_dict() == listed.to_dict()


def test_the_client_parses_a_permission_error(mittwald):
    response = list_orders(mittwald, "string")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert isinstance(response.parsed, DeMittwaldV1CommonsError)
    assert response.parsed.type_ == "PermissionDenied" and "string" in response.parsed.message


def test_the_client_parses_a_validation_error(mittwald):
    response = list_orders(mittwald, limit=-1)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.parsed
    assert isinstance(error, DeMittwaldV1CommonsError) and error.type_ == "ValidationError"
    assert error.additional_properties["validationErrors"][0]["path"] == ".limit"


def test_the_client_parses_an_unknown_order(mittwald):
    response = order_get_order.sync_detailed("0b15641e-26e2-4e56-9b83-96a995c8bf05", client=mittwald)
    assert response.status_code == HTTPStatus.NOT_FOUND and response.parsed.type_ == "NotFound"


def test_the_docs_bearer_header_works_too(live_sandbox):
    with AuthenticatedClient(base_url=live_sandbox.url + "/mittwald", token="any-token") as client:
        assert len(list_orders(client).parsed) == 15


def test_without_a_token_the_client_parses_a_401(live_sandbox):
    with AuthenticatedClient(base_url=live_sandbox.url + "/mittwald", token="", prefix="",
                             auth_header_name="x-access-token") as client:
        response = list_orders(client)
    assert response.status_code == HTTPStatus.UNAUTHORIZED and response.parsed.type_ == "Unauthorized"


def test_the_docs_path_with_its_trailing_slash_is_served_without_redirect(live_sandbox):
    url = f"{live_sandbox.url}/mittwald/v2/customers/{DOCS_CUSTOMER}/orders/?includesStatus=NEW&includesStatus=CONFIRMED"
    response = httpx.get(url, headers={"Authorization": "Bearer any-token"}, follow_redirects=False)
    assert response.status_code == 200 and response.json()
    assert {o["status"] for o in response.json()} <= {"NEW", "CONFIRMED"}
