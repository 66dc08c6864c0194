"""formations' rules without HTTP: query reading, filters, paging, the rate limiter, the seed."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from werkzeug.datastructures import MultiDict

from sandbox.apis.formations.backend import ORDER_FILTERS, FormationsBackend
from sandbox.apis.formations.ratelimit import RateLimiter, limit_at, limiter_for, uk_ymdhis
from sandbox.apis.formations.schemas import money, order_query, ymdhis
from sandbox.apis.formations.seed import incorporation_id
from sandbox.core.clock import Clock
from sandbox.core.errors import NotFound, RateLimited
from sandbox.core.store import ApiState, Table


def test_order_query_reads_both_prefixes_and_the_page_and_keys_the_typo_as_php_does():
    args = MultiDict([("filters[statuses]", "0"), ("filter[statuses]", "700"), ("filter[createdTo[]", "20200101"),
                      ("page[number]", "2"), ("page[size]", "5"), ("sort", "id"), ("filter[invoicedFrom]", " ")])
    # php -r 'parse_str("filter[createdTo[]=1", $q); var_dump($q);' gives ["filter" => ["createdTo[" => "1"]]
    assert order_query(args) == {"createdTo[": "20200101", "statuses": "700", "page": "2"}


def test_order_query_keeps_the_last_of_repeated_parameters_as_php_does():
    assert order_query(MultiDict([("filter[statuses]", "0"), ("filter[statuses]", "900")])) == {"statuses": "900"}


def test_wire_formats():
    assert ymdhis("2020-01-01T09:55:00") == 20200101095500 and ymdhis(None) == ""
    # php -r 'echo json_encode([2.0, 17.98]);' prints [2,17.98]
    assert money("17.98") == 17.98 and money("2") == 2 and type(money("2")) is int and type(money("2.50")) is float


def test_incorporation_ids_follow_orders_from_the_documented_pair():
    assert incorporation_id(123) == 456 and incorporation_id(1) > 0


ORDER = {"status": 700, "created_at": "2020-01-01T23:59:59", "invoiced_at": None}


@pytest.mark.parametrize("name,value,matches", [
    ("statuses", frozenset({700, 900}), True), ("statuses", frozenset({0}), False),
    ("created_from", date(2020, 1, 1), True), ("created_from", date(2020, 1, 2), False),
    ("created_to", date(2020, 1, 1), True), ("created_to", date(2019, 12, 31), False),
    ("invoiced_from", date(2000, 1, 1), False), ("invoiced_to", date(2099, 1, 1), False),
])
def test_filter_table(name, value, matches):
    assert ORDER_FILTERS[name](ORDER, value) is matches


def backend_with(orders, lines=()):
    tables = {"orders": Table("orders", orders, indexes=("status",)),
              "orderlines": Table("orderlines", lines, indexes=("order_id",))}
    return FormationsBackend(ApiState("formations", tables, threading.RLock()), Clock())


def test_backend_pages_by_id_and_answers_empty_past_the_end():
    backend = backend_with([{"id": i, **ORDER} for i in range(250, 0, -1)])
    assert [o["id"] for o in backend.orders(page=3)] == list(range(201, 251))
    assert backend.orders(page=4) == []
    assert len(backend.orders(page=1, statuses=frozenset({700}), created_to=None)) == 100


def test_backend_lines_of_an_unknown_order_are_not_found():
    backend = backend_with([{"id": 1, **ORDER}], [{"id": 2, "order_id": 1}, {"id": 1, "order_id": 1}])
    assert [line["id"] for line in backend.order_lines("1")] == [1, 2]
    for raw in ("2", "x", "¹"):
        with pytest.raises(NotFound):
            backend.order_lines(raw)


UTC = timezone.utc


@pytest.mark.parametrize("moment,limit", [
    (datetime(2024, 1, 15, 7, 59, 59, tzinfo=UTC), 180),   # 07:59 GMT
    (datetime(2024, 1, 15, 8, 0, tzinfo=UTC), 120),        # 08:00 GMT
    (datetime(2024, 1, 15, 17, 59, tzinfo=UTC), 120),
    (datetime(2024, 1, 15, 18, 0, tzinfo=UTC), 180),
    (datetime(2024, 7, 1, 7, 0, tzinfo=UTC), 120),         # 08:00 BST
    (datetime(2024, 7, 1, 17, 0, tzinfo=UTC), 180),        # 18:00 BST
])
def test_peak_hours_are_uk_local_time(moment, limit):
    assert limit_at(moment) == limit


def test_retry_after_is_uk_ymdhis_rounded_up_to_the_second():
    assert uk_ymdhis(datetime(2024, 7, 1, 9, 30, 0, tzinfo=UTC)) == "20240701103000"
    assert uk_ymdhis(datetime(2024, 12, 31, 23, 59, 59, 1, tzinfo=UTC)) == "20250101000000"


def test_when_the_limit_drops_at_eight_the_wait_covers_the_surplus():
    limiter, start = RateLimiter(), datetime(2024, 1, 15, 7, 59, 0, tzinfo=UTC)
    for n in range(150):
        limiter.admit("k", start + timedelta(seconds=n * 0.2))      # 150 off-peak requests in 30 s
    with pytest.raises(RateLimited) as refused:
        limiter.admit("k", datetime(2024, 1, 15, 8, 0, 0, tzinfo=UTC))
    # 120 allowed at peak: the 31st oldest (admitted at 07:59:06) must leave the window first.
    assert refused.value.headers == {"Retry-After": "20240115080006"} and refused.value.rule == "rate-limit"


def test_one_limiter_per_owner():
    class Owner:
        pass
    first, second = Owner(), Owner()
    assert limiter_for(first) is limiter_for(first) and limiter_for(first) is not limiter_for(second)
