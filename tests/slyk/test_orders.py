"""slyk through HTTP: lists, every endpoint, every transition and every refusal (which changes nothing)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sandbox import create_app
from sandbox.config import TEST_CONFIG

KEY = {"apikey": "any-key"}
BASE = "/slyk"
C = "fc78d28f-a8dd-49de-a22f-722fe3bd26"
WALDO = "7938e446-1c77-4513-8cb0-8b1f2e9f47b9"
THUD = "88b1a9a6-a35c-4938-868a-396e468e592b"
ORDER = C + "c8"                 # unfulfilled, unpaid, 7.00, lines c5 x2 and c6 x2
LINED = C + "c7"                 # unfulfilled, lines c8 (1 of 2 fulfilled) and c9 (1 of 4)
LINE, OTHER_LINE = C + "c8", C + "c9"
NOW = datetime(2024, 5, 1, 9, 30, 15, 123000, tzinfo=timezone.utc)
STAMP = "2024-05-01T09:30:15.123Z"


@pytest.fixture(autouse=True)
def frozen(box):
    box.clock.freeze(NOW)


def get(client, path, **params):
    return client.get(BASE + path, headers=KEY, query_string=params)


def post(client, path, body=None):
    return client.post(BASE + path, headers=KEY, json=body) if body is not None else client.post(BASE + path, headers=KEY)


def data(response):
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def order(client, order_id=ORDER):
    return data(get(client, f"/orders/{order_id}"))


class Unchanged:
    """Asserts that the API's whole state is the same after the block (a refused request changes nothing)."""

    def __init__(self, box):
        self.box = box

    def __enter__(self):
        self.before = self.box.store.state("slyk").export()

    def __exit__(self, *exc):
        assert self.box.store.state("slyk").export() == self.before


def refused(client, box, method, path, body=None, *, status, code):
    with Unchanged(box):
        response = client.open(BASE + path, method=method, headers=KEY, json=body)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["code"] == code
    return response.get_json()


# -- lists ---------------------------------------------------------------------------------------------
class TestOrderList:
    def test_default_page_is_thirty_newest_first_with_the_total(self, client):
        body = get(client, "/orders").get_json()
        assert list(body) == ["data", "total"] and body["total"] == 95 and len(body["data"]) == 30
        created = [o["createdAt"] for o in body["data"]]
        assert created == sorted(created, reverse=True)
        assert all(o["user"]["id"] == o["userId"] for o in body["data"])

    def test_pages_cover_every_order_once(self, client):
        ids = []
        for number in (1, 2, 3, 4):
            ids += [o["id"] for o in get(client, "/orders", **{"page[number]": number}).get_json()["data"]]
        assert len(ids) == len(set(ids)) == 95

    def test_a_page_past_the_last_is_empty_with_the_total(self, client):
        assert get(client, "/orders", **{"page[number]": 9}).get_json() == {"data": [], "total": 95}

    def test_page_size_up_to_one_hundred(self, client):
        assert len(get(client, "/orders", **{"page[size]": 100}).get_json()["data"]) == 95

    @pytest.mark.parametrize("key,value", [("page[size]", "101"), ("page[size]", "0"), ("page[number]", "0"),
                                           ("page[number]", "x"), ("sort", "nope"), ("filter[nope]", "1"),
                                           ("filter[amount]", "gte:abc"), ("filter[paidAt]", "lt:yesterday"),
                                           ("filter[orderStatus]", "gte:a")])
    def test_a_bad_query_is_a_400_validation_failure(self, client, key, value):
        response = get(client, "/orders", **{key: value})
        assert response.status_code == 400
        body = response.get_json()
        assert body["code"] == "validation_failed" and body["errors"][0]["field"] == key

    def test_filter_equal_in_and_nin(self, client):
        waldo = get(client, "/orders", **{"filter[userId]": WALDO}).get_json()
        assert {o["id"] for o in waldo["data"]} >= {C + "c6", LINED} and all(o["userId"] == WALDO for o in waldo["data"])
        status = get(client, "/orders", **{"filter[orderStatus]": "in:canceled,draft", "page[size]": 100}).get_json()
        assert status["total"] > 0 and {o["orderStatus"] for o in status["data"]} == {"canceled", "draft"}
        rest = get(client, "/orders", **{"filter[orderStatus]": "nin:canceled,draft"}).get_json()
        assert rest["total"] + status["total"] == 95

    def test_filter_ranges_on_amounts_and_dates(self, client):
        def ids(**params):
            return {o["id"] for o in get(client, "/orders", **params, **{"page[size]": 100}).get_json()["data"]}
        assert ids(**{"filter[amount]": "7"}) == ids(**{"filter[amount]": "gte:7", "filter[bonus]": "lte:1.00"}) & ids(**{"filter[amount]": "lte:7.00000000"})
        high = get(client, "/orders", **{"filter[amount]": "gt:50", "page[size]": 100}).get_json()["data"]
        assert high and all(float(o["amount"]) > 50 for o in high)
        low = get(client, "/orders", **{"filter[paidAmount]": "lt:0.01", "page[size]": 100}).get_json()["data"]
        assert low and all(o["paidAmount"] == "0.00000000" for o in low)
        paid = get(client, "/orders", **{"filter[paidAt]": "gte:2020-01-01", "page[size]": 100}).get_json()["data"]
        assert paid and all(o["paidAt"] >= "2020-01-01" for o in paid)
        before = get(client, "/orders", **{"filter[fulfilledAt]": "lt:2019-06-01T00:00:00Z", "page[size]": 100}).get_json()["data"]
        assert before and all(o["fulfilledAt"] and o["fulfilledAt"] < "2019-06-01" for o in before)

    def test_hide_drafts(self, client):
        drafts = get(client, "/orders", **{"filter[orderStatus]": "draft"}).get_json()["total"]
        assert drafts > 0
        assert get(client, "/orders", **{"filter[hideDrafts]": "true"}).get_json()["total"] == 95 - drafts

    def test_sort_on_several_fields_with_nulls_as_postgres(self, client):
        rows = get(client, "/orders", sort="paidAt,-createdAt", **{"page[size]": 100}).get_json()["data"]
        paid = [o["paidAt"] for o in rows]
        first_null = paid.index(None)
        assert paid[:first_null] == sorted(paid[:first_null]) and set(paid[first_null:]) == {None}
        unpaid = [o["createdAt"] for o in rows[first_null:]]
        assert unpaid == sorted(unpaid, reverse=True)
        descending = get(client, "/orders", sort="-paidAt", **{"page[size]": 100}).get_json()["data"]
        assert descending[0]["paidAt"] is None

    def test_sort_by_amount_is_numeric(self, client):
        amounts = [float(o["amount"]) for o in get(client, "/orders", sort="-amount", **{"page[size]": 100}).get_json()["data"]]
        assert amounts == sorted(amounts, reverse=True)


class TestLineList:
    def test_lines_of_an_order_with_order_and_product(self, client):
        body = get(client, f"/orders/{LINED}/lines").get_json()
        assert body["total"] == 2 and [l["id"] for l in body["data"]] == [LINE, OTHER_LINE]
        assert body["data"][0]["product"]["category"]["title"] == "Music"

    def test_filters_and_sort(self, client):
        assert [l["id"] for l in get(client, f"/orders/{LINED}/lines", **{"filter[quantity]": "gte:3"}).get_json()["data"]] == [OTHER_LINE]
        assert [l["id"] for l in get(client, f"/orders/{LINED}/lines", **{"filter[unitPrice]": "0.5"}).get_json()["data"]] == [LINE]
        assert [l["id"] for l in get(client, f"/orders/{LINED}/lines", sort="-quantity").get_json()["data"]] == [OTHER_LINE, LINE]
        assert get(client, f"/orders/{LINED}/lines", **{"filter[status]": "in:fulfilled"}).get_json() == {"data": [], "total": 0}
        page = get(client, f"/orders/{LINED}/lines", **{"page[size]": 1, "page[number]": 2}).get_json()
        assert page["total"] == 2 and [l["id"] for l in page["data"]] == [OTHER_LINE]

    def test_a_filter_lines_do_not_have_is_refused(self, client):
        assert get(client, f"/orders/{LINED}/lines", **{"filter[paymentStatus]": "unpaid"}).status_code == 400

    def test_unknown_order_and_line_of_another_order_are_404(self, client):
        assert get(client, "/orders/nope/lines").get_json()["code"] == "order_not_found"
        assert get(client, f"/orders/{C}c6/lines/{LINE}").get_json() == {
            "code": "order_line_not_found", "message": f"Order line {LINE} was not found on order {C}c6."}
        assert get(client, f"/orders/{LINED}/lines/nope").status_code == 404


# -- create and patch ----------------------------------------------------------------------------------
class TestCreate:
    BODY = {"deliveryMethod": "shipping", "userId": THUD, "useBonus": True,
            "lines": [{"productId": C + "c5", "quantity": 2}, {"productId": C + "c6", "quantity": 2}]}

    def test_prices_from_the_catalogue_and_stores_the_order_with_its_lines(self, client):
        created = data(post(client, "/orders", self.BODY))
        assert (created["amount"], created["bonus"], created["shippingAmount"], created["taxesAmount"]) == (
            "7.00000000", "1.00000000", "1.00000000", "0.90000000")
        assert created["createdAt"] == created["updatedAt"] == STAMP and created["orderStatus"] == "unfulfilled"
        detail = order(client, created["id"])
        assert [(l["productId"], l["quantity"], l["unitPrice"], l["unitBonus"]) for l in detail["lines"]] == [
            (C + "c5", 2, "0.25000000", "0.00000000"), (C + "c6", 2, "3.25000000", "0.50000000")]
        assert detail["user"]["name"] == "thud" and get(client, "/orders").get_json()["total"] == 96

    def test_without_bonus_and_with_pickup(self, client):
        created = data(post(client, "/orders", {**self.BODY, "useBonus": False, "deliveryMethod": "pickup"}))
        assert (created["amount"], created["bonus"], created["shippingAmount"], created["taxesAmount"]) == (
            "7.00000000", "0.00000000", "0.00000000", "1.05000000")
        assert created["amountWithoutTaxes"] == "5.95000000" and created["metadata"]["deliveryMethod"] == "pickup"

    def test_quantity_defaults_to_one_and_delivery_to_pickup(self, client):
        created = data(post(client, "/orders", {"userId": THUD, "lines": [{"productId": C + "c2"}]}))
        assert created["amount"] == "3.50000000" and created["deliveryMethod"] == "pickup"

    def test_dry_run_prices_without_storing(self, client, box):
        with Unchanged(box):
            quoted = data(post(client, "/orders", {**self.BODY, "dryRun": True}))
        assert quoted["amount"] == "7.00000000"

    @pytest.mark.parametrize("body,field", [
        ({"userId": THUD}, "lines"), ({"userId": THUD, "lines": []}, "lines"),
        ({"userId": "", "lines": [{"productId": C + "c2"}]}, "userId"),
        ({"userId": THUD, "lines": [{"productId": C + "c2", "quantity": 0}]}, "lines.0.quantity"),
        ({"userId": THUD, "lines": [{"productId": C + "c2", "quantity": "2"}]}, "lines.0.quantity"),
        ({"userId": THUD, "lines": [{"productId": C + "c2"}], "deliveryMethod": "drone"}, "deliveryMethod"),
        ({"userId": THUD, "lines": [{"productId": C + "c2"}], "colour": "red"}, "colour"),
    ])
    def test_a_bad_body_is_400_validation_failed(self, client, box, body, field):
        body = refused(client, box, "POST", "/orders", body, status=400, code="validation_failed")
        assert field in [e["field"] for e in body["errors"]]

    def test_unknown_user_or_product_is_404(self, client, box):
        refused(client, box, "POST", "/orders", {"userId": "nobody", "lines": [{"productId": C + "c2"}]},
                status=404, code="user_not_found")
        refused(client, box, "POST", "/orders", {"userId": THUD, "lines": [{"productId": C + "c2"}, {"productId": "x"}]},
                status=404, code="product_not_found")

    @pytest.mark.parametrize("raw", [b"", b"{not json", b"[1, 2]"])
    def test_an_unreadable_body_is_400(self, client, box, raw):
        with Unchanged(box):
            response = client.post(f"{BASE}/orders", headers=KEY, data=raw, content_type="application/json")
        assert response.status_code == 400 and response.get_json()["code"] == "bad_request"


class TestPatch:
    def test_sets_fields_and_touches_updated_at(self, client):
        patched = data(client.patch(f"{BASE}/orders/{ORDER}", headers=KEY,
                                    json={"trackingId": "T-1", "customData": {"gift": True}, "shippingAddress": {"city": "Porto"}}))
        assert (patched["trackingId"], patched["customData"], patched["updatedAt"]) == ("T-1", {"gift": True}, STAMP)
        assert patched["shippingAddress"] == {"city": "Porto"}
        assert list(patched).index("shippingAddress") == list(patched).index("shippingAmount") - 1
        assert "shippingAddress" not in order(client, C + "c6")

    def test_an_empty_patch_changes_nothing(self, client, box):
        with Unchanged(box):
            assert data(client.patch(f"{BASE}/orders/{ORDER}", headers=KEY))["updatedAt"] == "2020-08-10T11:00:00.000Z"

    def test_a_canceled_order_cannot_be_patched(self, client, box):
        post(client, f"/orders/{ORDER}/cancel")
        refused(client, box, "PATCH", f"/orders/{ORDER}", {"trackingId": "x"}, status=409, code="order_already_canceled")

    def test_unknown_order_is_404(self, client, box):
        assert refused(client, box, "PATCH", "/orders/nope", {"trackingId": "x"}, status=404, code="order_not_found") == {
            "code": "order_not_found", "message": "Order nope was not found."}


# -- transitions ---------------------------------------------------------------------------------------
class TestCancel:
    def test_cancel_is_204_with_no_body_and_sets_canceled(self, client):
        response = client.post(f"{BASE}/orders/{ORDER}/cancel", headers=KEY)
        assert response.status_code == 204 and response.get_data() == b""
        canceled = order(client)
        assert (canceled["orderStatus"], canceled["canceledAt"], canceled["updatedAt"]) == ("canceled", STAMP, STAMP)

    def test_a_second_cancel_is_refused(self, client, box):
        post(client, f"/orders/{ORDER}/cancel")
        refused(client, box, "POST", f"/orders/{ORDER}/cancel", status=409, code="order_already_canceled")

    def test_a_fulfilled_order_cannot_be_canceled(self, client, box):
        post(client, f"/orders/{ORDER}/fulfill")
        refused(client, box, "POST", f"/orders/{ORDER}/cancel", status=409, code="order_already_fulfilled")

    def test_refund_amount_gives_back_what_was_paid(self, client):
        post(client, f"/orders/{ORDER}/pay", {"amount": "5"})
        assert post(client, f"/orders/{ORDER}/cancel", {"reason": "out of stock", "refundAmount": "2.5"}).status_code == 204
        canceled = order(client)
        assert (canceled["paidAmount"], canceled["paymentStatus"]) == ("2.50000000", "partially_refunded")

    def test_a_refund_amount_above_the_paid_amount_is_refused(self, client, box):
        post(client, f"/orders/{ORDER}/pay", {"amount": "1"})
        refused(client, box, "POST", f"/orders/{ORDER}/cancel", {"refundAmount": "1.5"}, status=409,
                code="amount_exceeds_paid_amount")
        refused(client, box, "POST", f"/orders/{C}c6/cancel", {"refundAmount": "1"}, status=409, code="order_not_paid")

    def test_a_draft_can_be_canceled_but_not_fulfilled_or_paid(self, client, box):
        draft = get(client, "/orders", **{"filter[orderStatus]": "draft"}).get_json()["data"][0]["id"]
        refused(client, box, "POST", f"/orders/{draft}/fulfill", status=409, code="order_is_draft")
        refused(client, box, "POST", f"/orders/{draft}/pay", status=409, code="order_is_draft")
        assert post(client, f"/orders/{draft}/cancel").status_code == 204


class TestFulfil:
    def test_fulfill_with_no_body_and_no_content_type_fills_every_line(self, client):
        response = client.post(f"{BASE}/orders/{LINED}/fulfill", headers=KEY)
        fulfilled = data(response)
        assert (fulfilled["orderStatus"], fulfilled["fulfilledAt"], fulfilled["trackingId"]) == (
            "fulfilled", STAMP, "ec78d28f-a8dd-49de-a22f-722fe3bd26c4")
        lines = order(client, LINED)["lines"]
        assert [(l["fulfilledQuantity"], l["status"], l["fulfilledAt"]) for l in lines] == [
            (2, "fulfilled", STAMP), (4, "fulfilled", STAMP)]

    def test_tracking_id_is_stored(self, client):
        assert data(post(client, f"/orders/{ORDER}/fulfill", {"trackingId": "TRACK"}))["trackingId"] == "TRACK"

    def test_unfulfill_empties_every_line(self, client):
        post(client, f"/orders/{LINED}/fulfill")
        undone = data(client.post(f"{BASE}/orders/{LINED}/unfulfill", headers=KEY))
        assert (undone["orderStatus"], undone["fulfilledAt"]) == ("unfulfilled", None)
        assert [(l["fulfilledQuantity"], l["status"], l["fulfilledAt"]) for l in order(client, LINED)["lines"]] == [
            (0, "unfulfilled", None), (0, "unfulfilled", None)]

    def test_refusals(self, client, box):
        refused(client, box, "POST", f"/orders/{ORDER}/unfulfill", status=409, code="order_not_fulfilled")
        post(client, f"/orders/{ORDER}/fulfill")
        refused(client, box, "POST", f"/orders/{ORDER}/fulfill", status=409, code="order_already_fulfilled")
        post(client, f"/orders/{C}c6/cancel")
        refused(client, box, "POST", f"/orders/{C}c6/fulfill", status=409, code="order_already_canceled")
        refused(client, box, "POST", f"/orders/{C}c6/unfulfill", status=409, code="order_already_canceled")
        refused(client, box, "POST", f"/orders/{ORDER}/fulfill", {"tracking": 1}, status=400, code="validation_failed")
        refused(client, box, "POST", "/orders/nope/fulfill", status=404, code="order_not_found")


class TestPay:
    def test_partial_then_full_payment(self, client, box):
        partial = data(post(client, f"/orders/{ORDER}/pay", {"amount": "2.5", "walletId": "w1"}))
        assert (partial["paidAmount"], partial["unpaidAmount"], partial["paymentStatus"], partial["paidAt"]) == (
            "2.50000000", "4.50000000", "partially_paid", STAMP)
        box.clock.advance(60)
        full = data(client.post(f"{BASE}/orders/{ORDER}/pay", headers=KEY))
        assert (full["paidAmount"], full["unpaidAmount"], full["paymentStatus"], full["paidAt"]) == (
            "7.00000000", "0.00000000", "fully_paid", "2024-05-01T09:31:15.123Z")

    def test_refusals(self, client, box):
        refused(client, box, "POST", f"/orders/{ORDER}/pay", {"amount": "7.00000001"}, status=409,
                code="amount_exceeds_unpaid_amount")
        for amount in ("0", "-1", "abc", "0.000000001", True):
            refused(client, box, "POST", f"/orders/{ORDER}/pay", {"amount": amount}, status=400, code="validation_failed")
        post(client, f"/orders/{ORDER}/pay")
        refused(client, box, "POST", f"/orders/{ORDER}/pay", {"amount": "1"}, status=409, code="order_already_paid")
        post(client, f"/orders/{C}c6/cancel")
        refused(client, box, "POST", f"/orders/{C}c6/pay", status=409, code="order_already_canceled")

    def test_a_fulfilled_order_can_still_be_paid(self, client):
        post(client, f"/orders/{ORDER}/fulfill")
        assert data(post(client, f"/orders/{ORDER}/pay"))["paymentStatus"] == "fully_paid"


class TestRefund:
    def test_partial_then_full_refund(self, client):
        post(client, f"/orders/{ORDER}/pay")
        partial = data(post(client, f"/orders/{ORDER}/refund", {"amount": "2.00000000", "reason": "late"}))
        assert (partial["paidAmount"], partial["unpaidAmount"], partial["paymentStatus"], partial["refundAmount"]) == (
            "5.00000000", "2.00000000", "partially_refunded", "2.00000000")
        assert list(partial) == sorted(partial)   # refundAmount in its alphabetical place, as the SDK docs print it
        full = data(client.post(f"{BASE}/orders/{ORDER}/refund", headers=KEY))
        assert (full["paidAmount"], full["paymentStatus"], full["refundAmount"]) == ("0.00000000", "fully_refunded", "7.00000000")
        assert "refundAmount" not in order(client)

    def test_refusals(self, client, box):
        refused(client, box, "POST", f"/orders/{ORDER}/refund", status=409, code="order_not_paid")
        post(client, f"/orders/{ORDER}/pay", {"amount": "3"})
        refused(client, box, "POST", f"/orders/{ORDER}/refund", {"amount": "3.5"}, status=409, code="amount_exceeds_paid_amount")
        post(client, f"/orders/{ORDER}/refund")
        refused(client, box, "POST", f"/orders/{ORDER}/refund", {"amount": "1"}, status=409, code="order_already_refunded")
        refused(client, box, "POST", f"/orders/{ORDER}/pay", {"amount": "1"}, status=409, code="order_already_refunded")

    def test_a_canceled_order_can_be_refunded(self, client):
        post(client, f"/orders/{ORDER}/pay")
        post(client, f"/orders/{ORDER}/cancel")
        assert data(post(client, f"/orders/{ORDER}/refund"))["paymentStatus"] == "fully_refunded"


class TestLineFulfilment:
    def path(self, line=LINE, action="fulfill"):
        return f"/orders/{LINED}/lines/{line}/{action}"

    def test_fulfilling_every_line_fulfils_the_order_and_unfulfilling_one_reopens_it(self, client):
        first = data(post(client, self.path(), {"quantity": 1}))
        assert (first["fulfilledQuantity"], first["status"], first["fulfilledAt"]) == (2, "fulfilled", STAMP)
        assert first["order"]["orderStatus"] == "unfulfilled"
        partial = data(post(client, self.path(OTHER_LINE), {"quantity": 2}))
        assert (partial["fulfilledQuantity"], partial["status"]) == (3, "partially_fulfilled")
        done = data(client.post(BASE + self.path(OTHER_LINE), headers=KEY))     # no body: all that remains
        assert (done["fulfilledQuantity"], done["status"]) == (4, "fulfilled")
        assert (done["order"]["orderStatus"], done["order"]["fulfilledAt"], done["order"]["updatedAt"]) == (
            "fulfilled", STAMP, STAMP)
        back = data(post(client, self.path(OTHER_LINE, "unfulfill"), {"quantity": 3}))
        assert (back["fulfilledQuantity"], back["status"], back["fulfilledAt"]) == (1, "partially_fulfilled", STAMP)
        assert (back["order"]["orderStatus"], back["order"]["fulfilledAt"]) == ("unfulfilled", None)
        gone = data(client.post(BASE + self.path(OTHER_LINE, "unfulfill"), headers=KEY))
        assert (gone["fulfilledQuantity"], gone["status"], gone["fulfilledAt"]) == (0, "unfulfilled", None)

    def test_an_order_unchanged_in_status_keeps_its_updated_at(self, client):
        assert data(post(client, self.path(), {"quantity": 1}))["order"]["updatedAt"] == "2020-08-10T12:00:00.000Z"

    def test_refusals(self, client, box):
        refused(client, box, "POST", self.path(), {"quantity": 2}, status=409, code="quantity_exceeds_unfulfilled_quantity")
        refused(client, box, "POST", self.path(action="unfulfill"), {"quantity": 2}, status=409,
                code="quantity_exceeds_fulfilled_quantity")
        for quantity in (0, -1, "1", 1.5):
            refused(client, box, "POST", self.path(), {"quantity": quantity}, status=400, code="validation_failed")
        post(client, self.path())
        refused(client, box, "POST", self.path(), status=409, code="order_line_already_fulfilled")
        post(client, self.path(action="unfulfill"))
        refused(client, box, "POST", self.path(action="unfulfill"), status=409, code="order_line_not_fulfilled")
        refused(client, box, "POST", f"/orders/{C}c6/lines/{LINE}/fulfill", status=404, code="order_line_not_found")
        post(client, f"/orders/{LINED}/cancel")
        refused(client, box, "POST", self.path(), status=409, code="order_already_canceled")


# -- auth and errors -----------------------------------------------------------------------------------
class TestErrors:
    @pytest.mark.parametrize("headers", [{}, {"apikey": ""}, {"Authorization": "Bearer x"}])
    def test_missing_apikey_is_401(self, client, headers):
        response = client.get(f"{BASE}/orders", headers=headers)
        assert response.status_code == 401
        assert response.get_json() == {"code": "unauthorized", "message": "Unauthorized"}

    def test_strict_key_list(self):
        client = create_app({**TEST_CONFIG, "TOKENS": {"slyk": ["good"]}}).test_client()
        assert client.get(f"{BASE}/orders", headers={"apikey": "bad"}).status_code == 401
        assert client.get(f"{BASE}/orders", headers={"apikey": "good"}).status_code == 200

    def test_unknown_order_is_404(self, client):
        assert get(client, "/orders/nope").get_json() == {"code": "order_not_found", "message": "Order nope was not found."}

    def test_routing_errors(self, client):
        assert client.get(f"{BASE}/invoices").get_json() == {"code": "not_found", "message": "Not Found"}
        response = client.delete(f"{BASE}/orders/{ORDER}", headers=KEY)
        assert response.status_code == 405 and response.get_json()["code"] == "method_not_allowed"
        assert response.headers["Allow"] == "GET, HEAD, PATCH"

    def test_the_refused_rule_is_named_in_a_header(self, client):
        post(client, f"/orders/{ORDER}/cancel")
        response = post(client, f"/orders/{ORDER}/cancel")
        assert response.headers["X-Sandbox-Rule"] == "slyk.order-flow"


def test_same_seed_same_bytes_and_another_seed_other_data():
    def page(seed):
        client = create_app({**TEST_CONFIG, "SEED": seed}).test_client()
        return client.get(f"{BASE}/orders?page[number]=2", headers=KEY).get_data()
    assert page(42) == page(42)
    assert page(42) != page(7)


def test_every_seeded_order_agrees_with_its_lines_and_payments(box):
    from decimal import Decimal
    state = box.store.state("slyk")
    for record in state["orders"].all():
        lines = state["lines"].where("orderId", record["id"])
        assert lines, record["id"]
        assert Decimal(record["paidAmount"]) <= Decimal(record["amount"])
        for line in lines:
            assert 0 <= line["fulfilledQuantity"] <= line["quantity"]
        if record["orderStatus"] == "fulfilled" and record["id"] != "7938e446-1c77-4513-8cb0-8b1f2e9f47b0":
            assert record["fulfilledAt"] and all(l["status"] == "fulfilled" for l in lines)


def test_a_repeated_list_parameter_is_a_validation_error(client):
    response = client.get(BASE + "/orders?filter[amount]=gt:5&filter[amount]=lt:6", headers=KEY)
    assert response.status_code == 400 and response.get_json()["code"] == "validation_failed"
    assert "filter[amount]" in str(response.get_json()["errors"])
    assert client.get(BASE + "/orders?page[size]=2&page[size]=3", headers=KEY).status_code == 400
