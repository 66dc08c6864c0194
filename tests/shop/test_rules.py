"""shop's rules and formats as plain units: the status table, money, Laravel's wording, id sequences."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from sandbox.apis.shop.backend import ShopBackend, money, php_string
from sandbox.apis.shop.schemas import displayable, laravel_input, order_update_in, php_number, rule_order
from sandbox.apis.shop.states import CUSTOMER_ACTIONS, STATUSES
from sandbox.core.errors import Conflict


def test_only_pending_orders_may_be_updated_or_cancelled():
    for status in STATUSES:
        for action in ("update", "cancel"):
            assert CUSTOMER_ACTIONS.allows(status, action) == (status == "pending"), (status, action)
    with pytest.raises(Conflict):
        CUSTOMER_ACTIONS.check("processing", "cancel")


@pytest.mark.parametrize("amount,column,php", [("56", "56.00", "56"), ("223", "223.00", "223"),
                                                ("19.9", "19.90", "19.9"), ("59.97", "59.97", "59.97"),
                                                ("100", "100.00", "100"), ("0", "0.00", "0")])
def test_money_formats(amount, column, php):
    assert money(Decimal(amount)) == column and php_string(Decimal(amount)) == php


def test_numbers_are_whole_ints_or_exact_decimals():
    assert php_number("56.00") == 56 and type(php_number("56.00")) is int
    assert php_number("19.99") == 19.99 and repr(php_number("19.99")) == "19.99"


@pytest.mark.parametrize("attribute,shown", [("customer_email", "customer email"),
                                             ("shipping_address.first_name", "shipping address.first name"),
                                             ("items.0.product_sku", "items.0.product_sku")])
def test_attributes_are_displayed_as_laravel_does(attribute, shown):
    assert displayable(attribute) == shown


def test_rule_order_follows_the_declarations_with_wildcards():
    order = rule_order(order_update_in)
    assert order.index("shipping_address") < order.index("shipping_address.city") < order.index("items")
    assert order[-3:] == ["items.*.product_sku", "items.*.quantity", "items.*.options"]


def test_laravel_input_trims_and_nulls_blanks_deeply():
    assert laravel_input({"a": " x ", "b": "", "c": [" ", {"d": "  y"}], "e": 3}) == {
        "a": "x", "b": None, "c": [None, {"d": "y"}], "e": 3}


@pytest.fixture
def backend(box):
    return ShopBackend(box.store.state("shop"), box.clock)


def test_item_ids_start_at_the_docs_next_id_and_skip_taken_ones(backend):
    with backend.state.transaction():
        assert backend._new_item_ids(3) == [78, 79, 80]
        following = backend._new_item_ids(1)[0]
    taken = {i["id"] for o in backend.state["orders"].all() for i in o["items"]}
    assert following not in taken and following > 81


def test_a_refused_write_rolls_the_sequence_back(backend, box):
    before = box.store.state("shop").export()
    with pytest.raises(Conflict):
        backend.update_order(1, "6", {"items": [{"product_sku": "EH-1", "quantity": 1}]})
    assert box.store.state("shop").export() == before


def test_order_numbers_are_unique_and_repeatable(backend):
    now = datetime(2025, 3, 31, tzinfo=timezone.utc)
    first = backend._order_number(61, now)
    assert first == backend._order_number(61, now) and first != backend._order_number(62, now)
    existing = backend.state["orders"].get(7)["order_number"]
    assert all(backend._order_number(n, now) != existing for n in range(61, 200))
