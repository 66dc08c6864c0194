"""formations (eFiling orders) through HTTP: the docs' examples, every filter, paging, lines, errors, rate limit."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from sandbox import create_app
from sandbox.config import TEST_CONFIG

AUTH = {"Authorization": "Basic auth-key", "Accept": "application/json"}
BASE = "/formations"
ORDER_COUNT = 340


def get(client, path, headers=AUTH):
    return client.get(BASE + path, headers=headers)


def every_page(client, query: str = "") -> list[dict]:
    """All orders a query matches, read page by page until the first empty page."""
    found, page = [], 1
    while True:
        response = get(client, f"/orders?{query}&page[number]={page}")
        assert response.status_code == 200, response.get_json()
        batch = response.get_json()
        if not batch:
            return found
        assert len(batch) <= 100
        found += batch
        page += 1


def day(ymdhis) -> int | None:
    return ymdhis // 1_000_000 if ymdhis != "" else None


@pytest.fixture
def everything(client):
    return every_page(client)


def test_dates_and_money_keep_the_documented_types(everything):
    for order in everything:
        for key in ("created_at", "updated_at"):
            assert isinstance(order[key], int) and len(str(order[key])) == 14
        for key in ("invoiced_at", "cancelled_at"):
            assert order[key] == "" or (isinstance(order[key], int) and len(str(order[key])) == 14)
        for key in ("net", "gross"):   # PHP's json_encode: 2.0 is written 2, 17.98 stays a float
            assert isinstance(order[key], (int, float)) and not isinstance(order[key], bool)
            assert isinstance(order[key], int) == (order[key] == int(order[key]))
        assert list(order) == ["id", "description", "created_at", "updated_at", "invoiced_at", "cancelled_at",
                               "status", "mlc_status", "net", "gross"]


class TestFilters:
    @pytest.mark.parametrize("query,keeps", [
        ("filter[statuses]=0", lambda o: o["status"] == 0),
        ("filter[statuses]=900", lambda o: o["status"] == 900),
        ("filter[statuses]=700,900", lambda o: o["status"] in (700, 900)),
        ("filter[statuses]=0, 900", lambda o: o["status"] in (0, 900)),
        ("filter[statuses]=555", lambda o: False),
        ("filter[invoicedFrom]=20230101", lambda o: o["invoiced_at"] != "" and day(o["invoiced_at"]) >= 20230101),
        ("filter[invoicedTo]=20191231", lambda o: o["invoiced_at"] != "" and day(o["invoiced_at"]) <= 20191231),
        ("filter[createdFrom]=20240501", lambda o: day(o["created_at"]) >= 20240501),
        ("filter[createdTo]=20190630", lambda o: day(o["created_at"]) <= 20190630),
    ])
    def test_each_filter_alone(self, client, everything, query, keeps):
        found = every_page(client, query)
        assert [o["id"] for o in found] == [o["id"] for o in everything if keeps(o)]
        if "555" not in query:
            assert 0 < len(found) < ORDER_COUNT, "the seed must give the filter something to keep and to drop"

    def test_date_bounds_are_whole_days_inclusive(self, client, everything):
        order = next(o for o in everything if o["id"] == 200)
        created = str(day(order["created_at"]))
        found = every_page(client, f"filter[createdFrom]={created}&filter[createdTo]={created}")
        assert 200 in [o["id"] for o in found]
        assert all(day(o["created_at"]) == int(created) for o in found)

    def test_the_documented_invoiced_day_holds_exactly_order_123(self, client):
        found = every_page(client, "filter[invoicedFrom]=20200101&filter[invoicedTo]=20200101")
        assert [o["id"] for o in found] == [123]

    def test_an_invoiced_range_leaves_out_orders_never_invoiced(self, client, everything):
        found = every_page(client, "filter[invoicedFrom]=20000101&filter[invoicedTo]=20991231")
        assert [o["id"] for o in found] == [o["id"] for o in everything if o["invoiced_at"] != ""]
        assert len(found) < ORDER_COUNT

    def test_filters_combine_with_and(self, client, everything):
        query = "filter[statuses]=700,0&filter[createdFrom]=20210101&filter[createdTo]=20231231&filter[invoicedFrom]=20210601"
        found = every_page(client, query)
        expected = [o["id"] for o in everything if o["status"] in (0, 700)
                    and 20210101 <= day(o["created_at"]) <= 20231231
                    and o["invoiced_at"] != "" and day(o["invoiced_at"]) >= 20210601]
        assert [o["id"] for o in found] == expected and expected

    def test_a_range_that_ends_before_it_starts_is_empty(self, client):
        assert get(client, "/orders?filter[createdFrom]=20230101&filter[createdTo]=20220101").get_json() == []

    def test_both_prefix_spellings_mean_the_same(self, client):
        results = [every_page(client, query) for query in (
            "filter[statuses]=900&filter[createdTo]=20221231", "filters[statuses]=900&filters[createdTo]=20221231")]
        assert results[0] and results[0] == results[1]

    @pytest.mark.parametrize("prefix", ["filter", "filters"])
    def test_the_documented_typo_createdTo_bracket_is_ignored_as_php_parses_it(self, client, prefix):
        """PHP reads ``filter[createdTo[]=X`` as the key ``createdTo[`` (php -r 'parse_str(...)'), no filter."""
        unfiltered = every_page(client, f"{prefix}[statuses]=900")
        bounded = every_page(client, f"{prefix}[statuses]=900&{prefix}[createdTo]=20181231")
        assert len(bounded) < len(unfiltered)
        assert every_page(client, f"{prefix}[statuses]=900&{prefix}[createdTo[]=20181231") == unfiltered

    def test_filter_wins_over_filters_for_the_same_filter(self, client, everything):
        found = every_page(client, "filters[statuses]=0&filter[statuses]=900")
        assert [o["id"] for o in found] == [o["id"] for o in everything if o["status"] == 900]

    def test_empty_values_and_unknown_filters_are_ignored(self, client, everything):
        assert every_page(client, "filter[statuses]=&filter[createdFrom]=&filter[colour]=red") == everything


class TestPaging:
    def test_pages_of_one_hundred_to_the_end(self, client):
        sizes = [len(get(client, f"/orders?page[number]={page}").get_json()) for page in (1, 2, 3, 4, 5, 99)]
        assert sizes == [100, 100, 100, 40, 0, 0]

    def test_pages_cover_every_order_once_in_id_order(self, everything):
        ids = [o["id"] for o in everything]
        assert len(ids) == ORDER_COUNT and ids == sorted(set(ids))

    def test_no_page_means_page_one(self, client):
        assert get(client, "/orders").get_json() == get(client, "/orders?page[number]=1").get_json()

    def test_a_filtered_list_pages_too(self, client):
        complete = every_page(client, "filter[statuses]=700")
        assert len(complete) > 200
        last = get(client, f"/orders?filter[statuses]=700&page[number]={len(complete) // 100 + 1}").get_json()
        assert last == complete[len(complete) // 100 * 100:] and last

    def test_trailing_slash(self, client):
        assert get(client, "/orders/").get_json() == get(client, "/orders").get_json()


class TestOrderLines:
    def test_unknown_or_malformed_order_is_404(self, client):
        for order_id in ("99999", "abc", "0", "-1"):
            response = get(client, f"/orders/{order_id}/orderlines")
            assert response.status_code == 404
            assert response.get_json() == {"error": 1, "message": f"Order {order_id} not found."}

    def test_every_generated_order_adds_up_to_its_lines(self, client, everything):
        for order in everything:
            lines = get(client, f"/orders/{order['id']}/orderlines").get_json()
            assert lines and all(line["order_id"] == order["id"] for line in lines)
            assert lines[0]["product"]["is_incorporation"] == 1
            assert all(line["incorporation"]["company_name"] == order["description"] for line in lines)
            if order["id"] == 123:
                continue   # the docs' totals do not add up to the docs' lines; both are kept as documented
            net = sum(Decimal(str(line["price"])) * line["quantity"] for line in lines)
            tax = sum(Decimal(str(line["tax"])) * line["quantity"] for line in lines)
            assert (Decimal(str(order["net"])), Decimal(str(order["gross"]))) == (net, net + tax), order["id"]

    def test_lines_look_like_a_formation_agents_catalogue(self, client, everything):
        products, packages, officers = set(), set(), 0
        for order in everything[::7]:
            for line in get(client, f"/orders/{order['id']}/orderlines").get_json():
                products.add(line["product"]["name"])
                packages.add(line["package"]["name"])
                officers += line["officer"]["first_name"] is not None or line["officer"]["company_name"] is not None
        assert {"Limited Company Formation", "Registered Office Address", "Service Address"} <= products
        assert {"Bronze Package", "Gold Package", None} <= packages and officers


class TestSeed:
    def test_every_status_and_its_dates(self, everything):
        assert {o["status"] for o in everything} == {0, 700, 900}
        for order in everything:
            assert (order["cancelled_at"] != "") == (order["status"] == 900)
            if order["status"] == 0:
                assert order["invoiced_at"] == ""
            assert order["updated_at"] >= order["created_at"]
        assert {o["invoiced_at"] == "" for o in everything if o["status"] == 700} == {True, False}

    def test_dates_span_years_and_follow_ids(self, everything):
        years = {o["created_at"] // 10**10 for o in everything}
        assert len(years) >= 6
        created = [o["created_at"] for o in everything]
        assert created == sorted(created)

    def test_same_seed_same_bytes_and_another_seed_other_data(self):
        def page(seed):
            client = create_app({**TEST_CONFIG, "SEED": seed}).test_client()
            return client.get(f"{BASE}/orders?page[number]=2", headers=AUTH).get_data()
        assert page(42) == page(42)
        assert page(42) != page(7)


class TestErrors:
    @pytest.mark.parametrize("query,message", [
        ("filter[statuses]=700,abc", "filter[statuses] must be a comma-separated list of status codes"),
        ("filter[statuses]=-700", "filter[statuses] must be"),
        ("filter[statuses]=700,", "filter[statuses] must be"),
        ("filter[invoicedFrom]=2020-01-01", "filter[invoicedFrom] must be a date written Ymd"),
        ("filters[invoicedTo]=20201301", "filter[invoicedTo] must be a date written Ymd"),
        ("filter[createdFrom]=2020011", "filter[createdFrom] must be a date written Ymd"),
        ("filter[createdTo]=yesterday", "filter[createdTo] must be a date written Ymd"),
        ("page[number]=0", "page[number] must be a whole number of 1 or more."),
        ("page[number]=-3", "page[number] must be a whole number of 1 or more."),
        ("page[number]=two", "page[number] must be a whole number of 1 or more."),
        ("page[number]=1.5", "page[number] must be a whole number of 1 or more."),
        ("page[number]=%E0%A5%A9", "page[number] must be a whole number of 1 or more."),
        ("filter[statuses]=%D9%A3", "filter[statuses] must be"),
    ])
    def test_bad_input_is_400_and_changes_nothing(self, client, box, query, message):
        before = box.store.state("formations").export()
        response = get(client, f"/orders?{query}")
        assert response.status_code == 400
        body = response.get_json()
        assert list(body) == ["error", "message"] and body["error"] == 1 and body["message"].startswith(message)
        assert box.store.state("formations").export() == before

    @pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic "}, {"Authorization": "Bearer auth-key"},
                                         {"Authorization": "auth-key"}])
    @pytest.mark.parametrize("path", ["/orders", "/orders/123/orderlines"])
    def test_missing_basic_auth_key_is_401(self, client, headers, path):
        response = get(client, path, headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"] == 1

    def test_strict_key_list(self):
        client = create_app({**TEST_CONFIG, "TOKENS": {"formations": ["good"]}}).test_client()
        assert get(client, "/orders/123/orderlines", headers={"Authorization": "Basic bad"}).status_code == 401
        assert get(client, "/orders/123/orderlines", headers={"Authorization": "Basic good"}).status_code == 200

    def test_unknown_end_point_and_wrong_method(self, client):
        assert get(client, "/companies").get_json() == {"error": 1, "message": "Unknown end-point: GET /companies."}
        response = client.post(f"{BASE}/orders", headers=AUTH, json={})
        assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"
        assert response.get_json()["error"] == 1

    def test_body_over_the_limit_is_413(self, client):
        response = client.post(f"{BASE}/orders", headers=AUTH, data=b"x" * (1024 * 1024 + 1))
        assert response.status_code == 413 and response.get_json()["error"] == 1


UK_PEAK = datetime(2024, 7, 1, 9, 30, tzinfo=timezone.utc)        # 10:30 BST
UK_OFF_PEAK = datetime(2024, 1, 15, 19, 0, tzinfo=timezone.utc)   # 19:00 GMT


@pytest.fixture
def limited_app():
    return create_app({**TEST_CONFIG, "FORMATIONS_RATE_LIMIT": True})


def hammer(client, count, key="auth-key"):
    return [get(client, "/orders/123/orderlines", headers={"Authorization": f"Basic {key}"}).status_code
            for _ in range(count)]


class TestRateLimit:
    def test_off_by_default(self, client, box):
        box.clock.freeze(UK_PEAK)
        assert set(hammer(client, 130)) == {200}

    @pytest.mark.parametrize("moment,limit", [(UK_PEAK, 120), (UK_OFF_PEAK, 180)])
    def test_limit_by_uk_time_of_day_then_429_with_retry_after(self, limited_app, moment, limit):
        clock, client = limited_app.extensions["sandbox"].clock, limited_app.test_client()
        clock.freeze(moment)
        assert set(hammer(client, limit)) == {200}
        refused = get(client, "/orders/123/orderlines")
        assert refused.status_code == 429
        assert refused.get_json()["error"] == 1 and str(limit) in refused.get_json()["message"]
        local = moment.astimezone(ZoneInfo("Europe/London"))
        assert refused.headers["Retry-After"] == (local.replace(minute=local.minute + 1)).strftime("%Y%m%d%H%M%S")

    def test_the_window_slides_and_refusals_do_not_count(self, limited_app):
        clock, client = limited_app.extensions["sandbox"].clock, limited_app.test_client()
        clock.freeze(UK_PEAK)
        assert hammer(client, 60) == [200] * 60
        clock.advance(30)
        assert hammer(client, 62) == [200] * 60 + [429] * 2
        clock.advance(29.5)
        assert hammer(client, 1) == [429], "the first 60 are still within 60 s"
        clock.advance(0.5)
        assert hammer(client, 61) == [200] * 60 + [429]

    def test_keys_are_counted_apart_and_unauthenticated_requests_not_at_all(self, limited_app):
        limited_app.extensions["sandbox"].clock.freeze(UK_PEAK)
        client = limited_app.test_client()
        assert {get(client, "/orders", headers={}).status_code for _ in range(130)} == {401}
        assert set(hammer(client, 120, "one")) == {200}
        assert hammer(client, 1, "one") == [429] and hammer(client, 1, "two") == [200]

    def test_two_apps_never_share_counters(self, limited_app):
        other = create_app({**TEST_CONFIG, "FORMATIONS_RATE_LIMIT": True})
        for app in (limited_app, other):
            app.extensions["sandbox"].clock.freeze(UK_PEAK)
        assert set(hammer(limited_app.test_client(), 120)) == {200}
        assert hammer(other.test_client(), 1) == [200]

    def test_switched_on_from_the_environment(self, monkeypatch):
        monkeypatch.setenv("SANDBOX_FORMATIONS_RATE_LIMIT", "1")
        assert create_app(TEST_CONFIG).config["FORMATIONS_RATE_LIMIT"] is True
        monkeypatch.setenv("SANDBOX_FORMATIONS_RATE_LIMIT", "off")
        assert create_app(TEST_CONFIG).config["FORMATIONS_RATE_LIMIT"] is False


def test_the_rate_limit_is_discoverable_at_the_rules_endpoint(client):
    """Off by default, so /__sandbox/rules names the setting that turns it on (issue 18)."""
    rules = client.get("/__sandbox/rules?api=formations").get_json()
    listed = rules["rules"] if isinstance(rules, dict) else rules
    rate_limit = next(rule for rule in listed if rule["id"] == "formations.rate-limit")
    assert "Off by default" in rate_limit["text"] and "SANDBOX_FORMATIONS_RATE_LIMIT=1" in rate_limit["text"]
