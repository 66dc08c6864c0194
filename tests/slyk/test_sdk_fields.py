"""What Slyk's Node SDK documents beyond the seed (docs/methods.md: order.create, order.*, orderLine.*), through
HTTP: a create without userId, and the fields every order and line answer shows there."""

from __future__ import annotations

import pytest

from tests.slyk.test_orders import C, KEY, LINED, ORDER, THUD, data, get, post

ORDER_KEYS = {"chosenPaymentMethod", "netAmount", "reference", "userNotes", "walletId"}


def test_the_sdk_create_example_needs_no_user_and_answers_user_id_null(client):
    """The example sends chosenPaymentMethod, customData, deliveryMethod, lines and walletId; no userId."""
    body = {"chosenPaymentMethod": "wallet", "customData": {"qux": "quux"}, "deliveryMethod": "pickup",
            "lines": [{"productId": C + "c4"}], "walletId": "5cabbc16-d845-418f-9ecc-7a9fcab99b49"}
    created = data(post(client, "/orders", body))
    assert created["userId"] is None
    assert (created["chosenPaymentMethod"], created["walletId"], created["customData"]) == (
        "wallet", "5cabbc16-d845-418f-9ecc-7a9fcab99b49", {"qux": "quux"})
    read = data(get(client, f"/orders/{created['id']}"))
    assert read["userId"] is None and read["user"] is None
    listed = get(client, "/orders", **{"filter[userId]": "null"}).get_json()["data"]
    assert created["id"] in [o["id"] for o in listed]


def test_every_order_answer_renders_the_sdk_fields_in_alphabetical_place(client):
    created = data(post(client, "/orders", {"userId": THUD, "lines": [{"productId": C + "c4", "quantity": 2}],
                                             "userNotes": "waldo", "chosenPaymentMethod": "wallet"}))
    assert (created["userNotes"], created["chosenPaymentMethod"], created["walletId"]) == ("waldo", "wallet", None)
    assert created["netAmount"] == "0.85000000" and created["taxesAmount"] == "0.15000000"   # 1.00 less taxes
    assert created["reference"] == created["id"][-8:].upper()
    answers = [created, data(get(client, f"/orders/{created['id']}")),
               data(post(client, f"/orders/{created['id']}/pay")),
               data(post(client, f"/orders/{created['id']}/refund")),
               get(client, "/orders").get_json()["data"][0]]
    for answer in answers:
        assert ORDER_KEYS <= set(answer)
        assert [k for k in answer if k != "user" and k != "lines"] == sorted(k for k in answer if k not in ("user", "lines"))


def test_a_rendered_reference_finds_its_order_with_filter_reference(client):
    reference = data(get(client, f"/orders/{ORDER}"))["reference"]
    assert reference
    found = get(client, "/orders", **{"filter[reference]": reference}).get_json()
    assert [o["id"] for o in found["data"]] == [ORDER]


def test_lines_render_unit_net_price_and_unit_tax(client):
    lines = get(client, f"/orders/{ORDER}/lines").get_json()["data"]
    for line in lines:
        price, bonus = float(line["unitPrice"]), float(line["unitBonus"])
        assert line["unitNetPrice"] == f"{price * line['quantity']:.8f}"
        assert line["unitTax"] == f"{(price - bonus) * 0.15:.8f}"
        assert list(line).index("unitNetPrice") == list(line).index("unitBonus") + 1
    detail_lines = data(get(client, f"/orders/{ORDER}"))["lines"]
    assert {(l["id"], l["unitNetPrice"], l["unitTax"]) for l in detail_lines} == {
        (l["id"], l["unitNetPrice"], l["unitTax"]) for l in lines}


# A replaced record keeps its place in the indexes whose value it keeps (Table._reindex): lines created
# together stay in creation order, the sandbox's rule "ties in seed order".
def test_lines_keep_their_order_after_a_write_to_one_of_them(client):
    before = [line["id"] for line in get(client, f"/orders/{LINED}/lines").get_json()["data"]]
    detail_before = [line["id"] for line in data(get(client, f"/orders/{LINED}"))["lines"]]
    assert len(before) == 2
    assert post(client, f"/orders/{LINED}/lines/{before[0]}/fulfill").status_code == 200
    assert [line["id"] for line in get(client, f"/orders/{LINED}/lines").get_json()["data"]] == before
    assert [line["id"] for line in data(get(client, f"/orders/{LINED}"))["lines"]] == detail_before


@pytest.mark.parametrize("raw,quantity", [("2.0", 2), ("2e0", 2), ("2", 2)])
def test_a_whole_json_number_is_an_integer_quantity_as_node_reads_it(client, raw, quantity):
    """Node's JSON.parse has one number type: 2.0 is the integer 2 to Slyk's server (node -e 'Number.isInteger(2.0)')."""
    body = '{"userId": "%s", "lines": [{"productId": "%sc4", "quantity": %s}]}' % (THUD, C, raw)
    response = client.post("/slyk/orders", data=body, headers={**KEY, "Content-Type": "application/json"})
    assert response.status_code == 200, response.get_json()
    lines = get(client, f"/orders/{data(response)['id']}/lines").get_json()["data"]
    assert [line["quantity"] for line in lines] == [quantity]


@pytest.mark.parametrize("raw", ["1.5", '"2"', "true"])
def test_a_quantity_javascript_does_not_call_an_integer_is_refused(client, raw):
    body = '{"userId": "%s", "lines": [{"productId": "%sc4", "quantity": %s}]}' % (THUD, C, raw)
    response = client.post("/slyk/orders", data=body, headers={**KEY, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == "lines.0.quantity"
