"""slyk's state rules and money arithmetic as plain units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox.apis.slyk import states
from sandbox.apis.slyk.amounts import difference, money, quote, remembered
from sandbox.core.errors import Conflict


@pytest.mark.parametrize("current,target,code", [
    ("canceled", "canceled", "order_already_canceled"), ("canceled", "fulfilled", "order_already_canceled"),
    ("draft", "fulfilled", "order_is_draft"), ("fulfilled", "fulfilled", "order_already_fulfilled"),
    ("fulfilled", "canceled", "order_already_fulfilled"), ("unfulfilled", "unfulfilled", "order_not_fulfilled"),
])
def test_order_flow_refusals_carry_slyk_codes(current, target, code):
    with pytest.raises(Conflict) as caught:
        states.ORDER_FLOW.check(current, target)
    assert caught.value.code == code and caught.value.status == 409


@pytest.mark.parametrize("current,target", [("draft", "canceled"), ("unfulfilled", "fulfilled"),
                                            ("unfulfilled", "canceled"), ("fulfilled", "unfulfilled")])
def test_order_flow_allows(current, target):
    states.ORDER_FLOW.check(current, target)


def test_canceled_is_terminal_for_both_machines_where_it_matters():
    assert not states.ORDER_FLOW.table["canceled"] and not states.PAYMENT_FLOW.table["fully_refunded"]


@pytest.mark.parametrize("current,target,code", [
    ("unpaid", "fully_refunded", "order_not_paid"), ("fully_paid", "fully_paid", "order_already_paid"),
    ("partially_refunded", "fully_paid", "order_already_refunded")])
def test_payment_flow_refusals(current, target, code):
    with pytest.raises(Conflict) as caught:
        states.PAYMENT_FLOW.check(current, target)
    assert caught.value.code == code


@pytest.mark.parametrize("quantity,fulfilled,status", [(2, 0, "unfulfilled"), (2, 1, "partially_fulfilled"),
                                                       (2, 2, "fulfilled")])
def test_line_status(quantity, fulfilled, status):
    assert states.line_status(quantity, fulfilled) == status


def test_order_status_follows_every_line():
    full, half = {"quantity": 2, "fulfilledQuantity": 2}, {"quantity": 2, "fulfilledQuantity": 1}
    assert states.order_status_for_lines([full, full]) == "fulfilled"
    assert states.order_status_for_lines([full, half]) == "unfulfilled"


def test_money_has_eight_decimals_and_no_exponent():
    assert money(Decimal(0)) == "0.00000000" and money("7") == "7.00000000" and money("0.000000015") == "0.00000002"


def test_the_docs_order_is_priced_as_documented():
    lines = [{"unitPrice": "0.25", "unitBonus": "0", "quantity": 2}, {"unitPrice": "3.25", "unitBonus": "0.5", "quantity": 2}]
    assert quote(lines, "shipping") == {"amount": "7.00000000", "bonus": "1.00000000",
                                        "shippingAmount": "1.00000000", "taxesAmount": "0.90000000"}


def test_a_remembered_amount_is_the_computed_one_for_any_spelling_and_any_value():
    assert difference("7.00000000", "1.00000000") == difference("7", "1.0") == "6.00000000"
    assert difference("7.00000000", None) == "7.00000000"
    calls = []
    doubled = remembered(lambda value: calls.append(value)
                         or money(Decimal(value[0] if type(value) is list else value) * 2))
    assert doubled("1.5") == doubled("1.5") == "3.00000000" and calls == ["1.5"]      # kept
    assert doubled(["1.5"]) == "3.00000000" and calls == ["1.5", ["1.5"]]            # no key: computed each time
