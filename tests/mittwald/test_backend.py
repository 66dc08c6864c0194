"""mittwald's rules as plain units: the paging window, the query reader, the seed's guarantees."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from sandbox.apis.mittwald.backend import window
from sandbox.apis.mittwald.errors import ValidationFailed
from sandbox.apis.mittwald.schemas import js_number, load_query, order_list_query_in
from sandbox.apis.mittwald.seed import DOCUMENTED_CUSTOMER, seed
from sandbox.apis.mittwald.states import ORDER_STATUSES, ORDER_TYPES
from sandbox.core.fake import faker_for
from sandbox.core.fixtures import load_fixtures

ITEMS = [{"n": i} for i in range(10)]


@pytest.mark.parametrize("params,expected,skip,page", [
    ({}, list(range(10)), 0, 1),
    ({"limit": 3}, [0, 1, 2], 0, 1),
    ({"limit": 3, "page": 2}, [3, 4, 5], 3, 2),
    ({"limit": 3, "page": 0}, [0, 1, 2], 0, 1),
    ({"limit": 3, "skip": 4, "page": 1}, [4, 5, 6], 4, 2),
    ({"limit": 3, "skip": 20}, [], 20, 7),
    ({"limit": 0}, [], 0, 1),
])
def test_window(params, expected, skip, page):
    listing = window(ITEMS, **{"limit": None, "skip": None, "page": None, **params})
    assert [i["n"] for i in listing.items] == expected
    assert (listing.total, listing.skip, listing.page) == (10, skip, page)


def test_the_default_limit_is_the_spec_default():
    assert window(ITEMS, limit=None, skip=None, page=None).limit == 1000


def test_the_query_reader_splits_commas_and_drops_empty_values():
    args = MultiDict([("includesStatus", "NEW, CONFIRMED"), ("includesStatus", "EXECUTED"), ("limit", " 5 "),
                      ("skip", ""), ("other", "x")])
    assert load_query(order_list_query_in, args) == {"includes_status": ["NEW", "CONFIRMED", "EXECUTED"], "limit": 5}


def test_the_query_reader_collects_every_violation():
    with pytest.raises(ValidationFailed) as caught:
        load_query(order_list_query_in, MultiDict([("page", "-1"), ("excludesStatus", "NEW,nope")]))
    assert [(v.path, v.type) for v in caught.value.violations] == [(".page", "minimum"), (".excludesStatus[1]", "enum")]


@pytest.mark.parametrize("raw,expected", [("9.00", 9), ("9.99", 9.99), ("0.00", 0), ("1.10", 1.1)])
def test_money_is_a_json_number_as_javascript_prints_it(raw, expected):
    assert js_number(raw) == expected and type(js_number(raw)) is type(expected)


class TestSeed:
    def tables(self, number=42):
        return seed(faker_for("mittwald", number), load_fixtures("mittwald"))

    def test_the_same_seed_gives_the_same_records(self):
        assert self.tables() == self.tables()
        assert self.tables() != self.tables(7)

    @pytest.mark.parametrize("number", [1, 7, 42, 1234])
    def test_the_docs_customer_always_has_every_status_and_both_types(self, number):
        orders = [o for o in self.tables(number)["orders"] if o["customerId"] == DOCUMENTED_CUSTOMER]
        assert len(orders) >= 12
        assert {o["status"] for o in orders} == set(ORDER_STATUSES)
        assert {o["type"] for o in orders} == set(ORDER_TYPES)

    def test_ids_and_numbers_are_unique(self):
        tables = self.tables()
        for key in ("id", "orderNumber"):
            values = [o[key] for o in tables["orders"]]
            assert len(values) == len(set(values))
        numbers = [c["customerNumber"] for c in tables["customers"]]
        assert len(numbers) == len(set(numbers)) and len(numbers) >= 5

    def test_profiles_are_members_of_the_ordering_customer(self):
        tables = self.tables()
        members = {c["id"]: c["members"] for c in tables["customers"]}
        for order in tables["orders"]:
            if "profile" in order:
                assert order["profile"] in members[order["customerId"]]

    def test_only_each_customers_two_newest_orders_are_still_open(self):
        tables = self.tables()
        for customer in tables["customers"]:
            orders = sorted((o for o in tables["orders"] if o["customerId"] == customer["id"]),
                            key=lambda o: o["orderDate"])
            assert all(o["status"] not in ("NEW", "CONFIRMED") for o in orders[:-2])
            assert all(o["status"] in ("NEW", "CONFIRMED") for o in orders[-2:])
