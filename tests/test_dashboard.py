"""The dashboard and docs pages through HTTP, and the derivations behind them as plain functions."""

from __future__ import annotations

import html
import json
import re
from types import SimpleNamespace

import pytest
from flask import Blueprint
from werkzeug.routing import Map, Rule

from sandbox import create_app
from sandbox.config import TEST_CONFIG
from sandbox.core.auth import Auth, Credential
from sandbox.core.examples import load_examples
from sandbox.ui import describe
from tests import fake_api
from tests.conftest import APIS, api_specs

SPECS = api_specs()


def fake_spec(name="shop", tables=None, extra=None, auth=None):
    return SimpleNamespace(name=name, blueprint=Blueprint(name, __name__), tables=tables or {"orders": ()},
                           extra=extra or {}, url_prefix=f"/{name}/api", mount=f"/{name}", machines={},
                           auth=auth or Auth.of(Credential("Authorization", "Bearer")))


def fake_map(name, *rules):
    """A url_map with ``(method, path)`` rules of blueprint ``name`` and one rule of another blueprint."""
    return Map([Rule(path, endpoint=f"{name}.view{i}", methods=[method]) for i, (method, path) in enumerate(rules)]
               + [Rule("/other/orders/<order_id>/refund", endpoint="other.refund", methods=["POST"])])


# -- derivations ----------------------------------------------------------------------------------
def test_transitions_are_post_routes_ending_in_an_order_id_and_a_verb():
    url_map = fake_map("shop",
                       ("POST", "/shop/api/orders/<order_id>/cancel"),
                       ("POST", "/shop/api/orders/<int:orderId>/fulfill"),
                       ("POST", "/shop/api/orders/<id>/pay"),
                       ("GET", "/shop/api/orders/<order_id>/lines"),           # not a POST
                       ("POST", "/shop/api/orders"),                          # no id
                       ("POST", "/shop/api/orders/<order_id>/notes/<note_id>"),   # ends in a variable
                       ("POST", "/shop/api/customers/<customer_id>/block"),   # not an order
                       ("POST", "/shop/api/orders/<order_id>/lines/<id>/fulfill"),   # a line's (Slyk has these)
                       ("POST", "/shop/api/orders/<order_id>/cancel"))        # the same verb twice
    actions = describe.transitions(url_map, fake_spec())
    assert [(a.verb, a.method, a.rule) for a in actions] == [
        ("cancel", "POST", "/shop/api/orders/<order_id>/cancel"),
        ("fulfill", "POST", "/shop/api/orders/<int:orderId>/fulfill"),
        ("pay", "POST", "/shop/api/orders/<id>/pay")]
    assert [a.url({"id": 7}) for a in actions] == [
        "/shop/api/orders/7/cancel", "/shop/api/orders/7/fulfill", "/shop/api/orders/7/pay"]


def test_transitions_follow_the_table_and_collection_the_api_names():
    url_map = fake_map("slyk", ("POST", "/slyk/order/<order_id>/cancel"), ("POST", "/slyk/orders/<order_id>/pay"))
    singular = describe.transitions(url_map, fake_spec("slyk"))
    assert [a.verb for a in singular] == ["cancel", "pay"]     # "order" is the singular of the table
    chosen = describe.transitions(url_map, fake_spec("slyk", extra={"dashboard": {"collection": "order"}}))
    assert [a.verb for a in chosen] == ["cancel"]
    assert describe.transitions(url_map, fake_spec("slyk", tables={"customers": ()})) == []


def test_the_read_route_is_the_get_of_one_order_not_of_a_line_or_by_number():
    url_map = fake_map("slyk", ("GET", "/slyk/orders/<order_id>/lines/<id>"),
                       ("GET", "/slyk/orders/number/<orderNumber>"), ("GET", "/slyk/orders"),
                       ("GET", "/slyk/orders/<id>"))
    assert describe.read_action(url_map, fake_spec("slyk")).rule == "/slyk/orders/<id>"


def test_an_api_without_routes_has_no_transitions_and_no_read_route():
    assert describe.transitions(fake_map("none"), fake_spec()) == []
    assert describe.read_action(fake_map("none"), fake_spec()) is None


def test_fill_takes_the_order_id_after_the_collection_and_other_variables_from_fields():
    collections = {"orders"}
    record = {"id": "a b/c", "customerId": "c-1", "items": [1]}
    assert describe.fill("/x/customers/<customer_id>/orders/<order_id>/cancel", record, "id", collections) \
        == "/x/customers/c-1/orders/a%20b%2Fc/cancel"
    assert describe.fill("/x/customers/<customer_id>/orders", record, "id", collections) == "/x/customers/c-1/orders"
    assert describe.fill("/x/shops/<shop_id>/orders/<order_id>", record, "id", collections) is None
    assert describe.fill("/x/items/<items>", record, "id", collections) is None   # never a list in a URL
    assert describe.fill("/x/orders", record) == "/x/orders"
    assert describe.fill("/x/orders/<uuid>", {"uuid": "u-1", "id": 1}, "uuid", collections) == "/x/orders/u-1"


def test_status_is_the_first_known_field_unless_the_api_names_one():
    spec = fake_spec()
    assert describe.status_of(spec, {"status": "a", "orderStatus": "b"}) == "a"
    assert describe.status_of(spec, {"orderStatus": "b", "order_status": "c"}) == "b"
    assert describe.status_of(spec, {"order_status": "c"}) == "c"
    assert describe.status_of(spec, {"id": 1}) is None
    named = fake_spec(extra={"dashboard": {"status_field": "phase"}})
    assert describe.status_of(named, {"status": "a", "phase": "p"}) == "p"
    assert describe.status_field(named, {}) == "phase"


def test_orders_table_and_id_field_can_be_overridden():
    assert describe.orders_table(fake_spec()) == "orders"
    assert describe.orders_table(fake_spec(tables={"customers": ()})) is None
    assert describe.orders_table(fake_spec(extra={"dashboard": {"table": "baskets"}})) == "baskets"
    assert describe.id_field(fake_spec()) == "id"
    assert describe.id_field(fake_spec(extra={"dashboard": {"id_field": "uuid"}})) == "uuid"


def test_auth_headers_use_the_first_credential_of_each_requirement():
    auth = Auth.of([Credential("x-access-token"), Credential("Authorization", "Bearer")], Credential("X-API-Key"))
    spec = fake_spec(auth=auth)
    assert describe.auth_headers(spec) == {"x-access-token": "sandbox-dashboard", "X-API-Key": "sandbox-dashboard"}
    assert describe.auth_description(spec) == ["x-access-token: <key> or Authorization: Bearer <token>",
                                               "X-API-Key: <key>"]
    assert describe.auth_headers(fake_spec(), "t") == {"Authorization": "Bearer t"}


def test_every_registered_api_has_a_callable_example_path(app):
    for spec in SPECS:
        state = app.extensions["sandbox"].store.state(spec.name)
        record = state[describe.orders_table(spec)].all()[0]
        path = describe.example_path(app.url_map, spec, record)
        assert path and "<" not in path and path.startswith(spec.url_prefix), spec.name


# -- pages through HTTP ---------------------------------------------------------------------------
def page(client, url, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.content_type.startswith("text/html")
    return response.get_data(as_text=True)


def rows(text: str, api: str) -> list[tuple[str, str]]:
    """(id, status) of each order row shown for ``api``."""
    section = re.search(rf'<section class="api" id="api-{api}".*?</section>', text, re.S)[0]
    return [(html.unescape(i), html.unescape(s).strip()) for i, s in re.findall(
        r'<tr class="order" data-id="([^"]*)">.*?<td class="status"><span class="badge">([^<]*)</span>', section, re.S)]


@pytest.fixture
def fake_client():
    return create_app({**TEST_CONFIG, "APIS": (*APIS, fake_api.NAME)}).test_client()


@pytest.mark.parametrize("url", ["/__sandbox/", "/__sandbox", "/__sandbox/dashboard"])
def test_dashboard_shows_every_registered_api_with_base_url_auth_and_orders(client, box, url):
    text = page(client, url)
    for spec in SPECS:
        assert f'id="api-{spec.name}"' in text
        assert f"http://localhost{spec.client_base}</code>" in text
        for line in describe.auth_description(spec):
            assert line in html.unescape(text)
        orders = box.store.state(spec.name)["orders"].all()
        newest = describe.newest_first(orders)[0][:20]
        assert rows(text, spec.name) == [(str(o["id"]), describe.status_words(spec, describe.status_of(spec, o)))
                                         for o in newest]
        assert f"{len(orders)} records" in text
    assert 'data-reset="appx"' in text


def test_an_order_row_carries_its_json_and_a_get_button_for_the_real_route(client, box):
    text = page(client, "/__sandbox/?api=appx&per_page=1")
    newest = describe.newest_first(box.store.state("appx")["orders"].all())[0][0]
    shown = re.search(r'<tr class="order-json" hidden><td colspan="7"><pre>(.*?)</pre>', text, re.S)[1]
    assert json.loads(html.unescape(shown)) == newest
    assert f'data-url="/appx/api/v1/orders/{newest["id"]}"' in text
    headers = re.search(r'data-headers="([^"]*)"', text)[1]
    assert json.loads(html.unescape(headers)) == {"Authorization": "Bearer sandbox-dashboard"}


def test_one_api_is_paged_and_the_overview_links_to_it(client, box):
    total = len(box.store.state("formations")["orders"].all())
    overview = page(client, "/__sandbox/")
    assert f"all {total} records" in overview
    ids = [r[0] for r in rows(page(client, "/__sandbox/?api=formations&page=2&per_page=50"), "formations")]
    expected = [str(o["id"]) for o in describe.newest_first(box.store.state("formations")["orders"].all())[0][50:100]]
    assert ids == expected
    last = page(client, "/__sandbox/?api=formations&page=999&per_page=50")
    assert f"page {-(-total // 50)} of {-(-total // 50)}" in last
    assert 'rel="next"' not in last and 'rel="prev"' in last
    text = page(client, "/__sandbox/?api=formations&page=abc&per_page=-3")
    assert len(rows(text, "formations")) == 20 and "page 1 of" in text


def test_an_unknown_api_is_a_404(client):
    assert client.get("/__sandbox/?api=nope").status_code == 404
    assert client.get("/__sandbox/docs/nope").status_code == 404


def test_a_sixth_api_appears_with_its_transition_buttons_and_status_field(fake_client):
    text = page(fake_client, "/__sandbox/")
    assert rows(text, "fakeshop")[:3] == [("30", "pending"), ("29", "cancelled"), ("28", "paid")]
    assert "status from <code>state</code>" in text
    assert 'data-url="/fakeshop/v1/orders/30/cancel"' in text and 'data-url="/fakeshop/v1/orders/30/pay"' in text
    assert "block" not in re.search(r'id="api-fakeshop".*?</section>', text, re.S)[0]
    headers = json.loads(html.unescape(re.search(
        r'data-url="/fakeshop/v1/orders/30/cancel" data-headers="([^"]*)"', text)[1]))
    assert headers == {"Authorization": "Bearer sandbox-dashboard", "X-API-Key": "sandbox-dashboard"}
    # what the button sends is accepted by the real route
    response = fake_client.post("/fakeshop/v1/orders/30/pay", headers=headers, json={})
    assert response.status_code == 200 and response.get_json()["state"] == "paid"
    assert rows(page(fake_client, "/__sandbox/"), "fakeshop")[0] == ("30", "paid")


def test_the_session_parameter_shows_that_session_and_the_header_wins(fake_client):
    headers = {"Authorization": "Bearer t", "X-API-Key": "k", "X-Sandbox-Session": "job-1"}
    assert fake_client.post("/fakeshop/v1/orders/30/cancel", headers=headers).status_code == 200
    assert rows(page(fake_client, "/__sandbox/"), "fakeshop")[0] == ("30", "pending")
    in_session = page(fake_client, "/__sandbox/?session=job-1")
    assert rows(in_session, "fakeshop")[0] == ("30", "cancelled")
    assert 'data-session="job-1"' in in_session and "session=job-1" in in_session
    by_header = page(fake_client, "/__sandbox/?session=other", headers={"X-Sandbox-Session": "job-1"})
    assert rows(by_header, "fakeshop")[0] == ("30", "cancelled")
    assert fake_client.get("/__sandbox/?session=a%20b").status_code == 400


def test_the_journal_lists_the_latest_requests_of_the_session(client):
    assert "No requests to the APIs yet" in page(client, "/__sandbox/")
    client.get("/appx/api/v1/orders/15", headers={"Authorization": "Bearer t"})
    client.get("/appx/api/v1/orders/99999", headers={"Authorization": "Bearer t"})
    journal = re.search(r'<section class="journal".*?</section>', page(client, "/__sandbox/"), re.S)[0]
    assert journal.index("GET /appx/api/v1/orders/99999") < journal.index("GET /appx/api/v1/orders/15")
    assert ">404</span>" in journal and ">200</span>" in journal
    # looking at a session that does not exist offers to create it, and creates nothing
    missing = page(client, "/__sandbox/?session=elsewhere")
    assert 'id="create-this-session" data-name="elsewhere"' in missing and 'class="order"' not in missing
    assert "elsewhere" not in client.application.extensions["sandbox"].store.sessions()


def test_a_reset_from_the_dashboard_restores_the_seeded_orders(client, box):
    before = page(client, "/__sandbox/?api=appx")
    with box.store.state("appx").transaction() as state:
        state["orders"].update(150, {"order_status": "Cancelled by test"})
    assert rows(page(client, "/__sandbox/?api=appx"), "appx")[0] == ("150", "Cancelled by test")
    assert client.post("/__sandbox/reset?api=appx").status_code == 200
    section = re.compile(r'<section class="api" id="api-appx".*?</section>', re.S)
    assert section.search(page(client, "/__sandbox/?api=appx"))[0] == section.search(before)[0]


def test_the_pages_are_behind_the_control_plane_guard():
    client = create_app({**TEST_CONFIG, "ADMIN_TOKEN": "s3cret"}).test_client()
    elsewhere = {"REMOTE_ADDR": "10.1.2.3"}
    for url in ("/__sandbox/", "/__sandbox/docs", "/__sandbox/assets/dashboard.js"):
        assert client.get(url, environ_base=elsewhere).status_code == 401
        assert client.get(url, environ_base=elsewhere, headers={"X-Sandbox-Admin-Token": "s3cret"}).status_code == 200
        assert client.get(url).status_code == 200      # loopback


def test_the_pages_work_offline(client):
    """No asset from another host: every src/href is on the sandbox itself."""
    for url in ["/__sandbox/", "/__sandbox/docs", *(f"/__sandbox/docs/{s.name}" for s in SPECS),
                "/__sandbox/docs/control-plane"]:
        text = page(client, url)
        for link in re.findall(r'(?:src|href)="([^"]+)"', text):
            assert link.startswith("/") and not link.startswith("//"), (url, link)
            assert client.get(html.unescape(link)).status_code == 200, (url, link)


def test_docs_list_every_api_with_base_url_auth_curl_and_swagger_link(client, app):
    text = page(client, "/__sandbox/docs")
    for spec in SPECS:
        section = re.search(rf'<section class="api doc" id="doc-{spec.name}">.*?</section>', text, re.S)[0]
        assert spec.title in html.unescape(section)
        assert f"http://localhost{spec.client_base}</code>" in section
        curl = html.unescape(re.search(r'<pre class="curl">(.*?)</pre>', section, re.S)[1])
        assert curl.startswith("curl -g ") and "'http://localhost" + spec.url_prefix in curl
        for name, value in describe.auth_headers(spec).items():
            assert f"-H '{name}: {value}'" in curl
        path = curl.rsplit("'http://localhost", 1)[1].rstrip("'")
        assert client.get(path, headers=describe.auth_headers(spec)).status_code == 200, curl
        assert f'href="/__sandbox/docs/{spec.name}"' in section
        assert f"{spec.mount}/openapi.json" in section
    assert 'id="doc-control-plane"' in text


def test_the_swagger_page_loads_the_api_spec_with_packaged_assets(client):
    text = page(client, "/__sandbox/docs/mittwald")
    assert 'data-spec-url="/mittwald/openapi.json"' in text
    assert "/__sandbox/docs/assets/swagger-ui-bundle.js" in text and 'id="no-spec"' in text
    control = page(client, "/__sandbox/docs/control-plane")
    assert 'data-spec-url="/__sandbox/openapi.json"' in control
    bundle = client.get("/__sandbox/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and b"SwaggerUIBundle" in bundle.data
    assert client.get("/__sandbox/docs/assets/../__init__.py").status_code == 404


def test_the_dashboard_shows_each_api_rules_and_state_machines(client):
    text = html.unescape(client.get("/__sandbox/").get_data(as_text=True))
    for spec in SPECS:
        assert f"Rules of {spec.name}" in text and f"{spec.name}.auth.required" in text
    assert "shop.update-only-pending" in text and "An order can be updated only while its status is pending." in text
    assert "slyk.pay-not-more-than-unpaid" in text
    assert "<strong>orderStatus</strong> (<code>slyk.order-flow</code>)" in text and "(final)" in text


# -- the state inspector --------------------------------------------------------------------------
def buttons(text: str, api: str, record_id) -> dict[str, tuple[str, dict]]:
    """verb -> (url, headers) of the buttons on one record's row."""
    row = re.search(rf'<tr class="order" data-id="{re.escape(str(record_id))}">.*?</tr>',
                    re.search(rf'<section class="api" id="api-{api}".*?</section>', text, re.S)[0], re.S)[0]
    return {verb: (html.unescape(url), json.loads(html.unescape(headers))) for url, headers, verb in re.findall(
        r'data-url="([^"]*)" data-headers="([^"]*)">([^<]+)</button>', row)}


class FakeMachine:
    def __init__(self, table, rule=None):
        self.table = {state: frozenset(targets) for state, targets in table.items()}
        self.rule = rule


def test_only_the_transitions_the_state_machines_allow_are_offered():
    actions = FakeMachine({"pending": {"update", "cancel"}, "refunded": set()})
    shop = SimpleNamespace(**{**vars(fake_spec()), "machines": {"customer actions": actions}})
    assert describe.allowed_verbs(shop, {"status": "pending"}, ["cancel", "pay"]) == ["cancel", "pay"]
    assert describe.allowed_verbs(shop, {"status": "refunded"}, ["cancel", "pay"]) == ["pay"]   # not its verb
    order = FakeMachine({"unfulfilled": {"fulfilled", "canceled"}, "fulfilled": {"unfulfilled"}, "canceled": set()})
    payment = FakeMachine({"unpaid": {"partially_paid", "fully_paid"}, "fully_paid": {"fully_refunded"},
                           "fully_refunded": set()})
    slyk = SimpleNamespace(**{**vars(fake_spec()), "machines": {"orderStatus": order, "paymentStatus": payment}})
    verbs = ["cancel", "fulfill", "unfulfill", "pay", "refund", "note"]
    allowed = lambda o, p: describe.allowed_verbs(slyk, {"orderStatus": o, "paymentStatus": p}, verbs)
    assert allowed("unfulfilled", "unpaid") == ["cancel", "fulfill", "pay", "note"]
    assert allowed("fulfilled", "fully_paid") == ["unfulfill", "refund", "note"]
    assert allowed("fulfilled", "fully_refunded") == ["unfulfill", "note"]
    assert allowed("canceled", "fully_paid") == ["refund", "note"]
    assert describe.allowed_verbs(fake_spec(), {"status": "x"}, verbs) == verbs   # no machine: all offered
    ruled = SimpleNamespace(**{**vars(slyk), "extra": {"dashboard": {"offers": lambda o, verb: verb != "pay"}}})
    assert describe.allowed_verbs(ruled, {"orderStatus": "unfulfilled", "paymentStatus": "unpaid"}, verbs) \
        == ["cancel", "fulfill", "note"]


def test_records_are_newest_first_by_creation_time_and_the_page_says_so():
    records = [{"id": 1, "createdAt": "2020-01-02"}, {"id": 2, "createdAt": "2021-01-01"},
               {"id": 3, "createdAt": "2020-01-02"}]
    ordered, stated = describe.newest_first(records)
    assert [r["id"] for r in ordered] == [2, 3, 1] and stated == "newest first by createdAt"
    assert describe.newest_first([{"id": 1}, {"id": 2}])[0] == [{"id": 2}, {"id": 1}]


def test_status_words_where_the_api_writes_codes(client, box):
    text = page(client, "/__sandbox/?api=formations")
    assert "Complete (700)" in text and "newest first by created_at" in text
    slyk = page(client, "/__sandbox/?api=slyk")
    assert '<span class="badge more" title="paymentStatus">unpaid</span>' in slyk


def test_every_shop_order_is_read_and_cancelled_with_its_owner_token(client, box):
    """The dashboard sent user 1's token for every order: 56 of 60 orders answered 404."""
    orders = box.store.state("shop")["orders"].all()
    text = page(client, "/__sandbox/?api=shop&per_page=200")
    for order in orders:
        url, headers = buttons(text, "shop", order["id"])["GET"]
        assert client.get(url, headers=headers).status_code == 200, order["id"]
    pending = next(o for o in orders if o["status"] == "pending" and o["user_id"] != 1)
    offered = buttons(text, "shop", pending["id"])
    assert set(offered) == {"GET", "cancel"}
    url, headers = offered["cancel"]
    answer = client.post(url, headers={**headers, "Content-Type": "application/json"}, data="{}")
    assert answer.status_code == 200 and answer.get_json()["order"]["status"] == "cancelled"
    done = next(o for o in orders if o["status"] in ("refunded", "completed"))
    assert set(buttons(text, "shop", done["id"])) == {"GET"}


def test_slyk_rows_offer_only_the_moves_their_state_allows(client, box):
    text = page(client, "/__sandbox/?api=slyk&per_page=200")
    for order in box.store.state("slyk")["orders"].all():
        offered = set(buttons(text, "slyk", order["id"])) - {"GET"}
        if order["orderStatus"] in ("canceled", "draft"):
            assert offered <= {"cancel", "refund"} and "pay" not in offered, order
        if order["orderStatus"] == "canceled" and order["paymentStatus"] == "unpaid":
            assert offered == set(), order
        if order["paymentStatus"] in ("fully_refunded", "fully_paid"):
            assert "pay" not in offered
        if order["orderStatus"] == "unfulfilled" and order["paymentStatus"] == "unpaid":
            assert offered == {"cancel", "fulfill", "pay"}, order


def test_a_record_page_shows_its_rendering_route_lines_and_history(client, box):
    order_id = "fc78d28f-a8dd-49de-a22f-722fe3bd26c7"
    client.post(f"/slyk/orders/{order_id}/pay", headers={"apikey": "k"}, json={"amount": "1.00000000"})
    client.get("/slyk/orders/fc78d28f-a8dd-49de-a22f-722fe3bd26c6", headers={"apikey": "k"})   # another order
    text = page(client, f"/__sandbox/records/slyk/{order_id}")
    assert f'data-url="/slyk/orders/{order_id}"' in text                       # the API's own rendering
    lines = [l for l in box.store.state("slyk")["lines"].all() if l["orderId"] == order_id]
    assert f"<h2>lines ({len(lines)})</h2>" in text
    history = re.search(r'<section class="journal" id="history">.*?</section>', text, re.S)[0]
    assert f"POST /slyk/orders/{order_id}/pay" in history and "26c6" not in history
    assert "&#34;amount&#34;: &#34;1.00000000&#34;" in history                  # the request body
    assert client.get("/__sandbox/records/slyk/nope").status_code == 404
    assert client.get("/__sandbox/records/nope/1").status_code == 404
    formations = page(client, "/__sandbox/records/formations/1")
    assert "<h2>orderlines (" in formations and "no route that reads one record" in formations


def test_the_create_form_holds_the_documented_example_and_it_is_accepted(client):
    text = page(client, "/__sandbox/?api=slyk")
    form = re.search(r'<details class="create">.*?</details>', text, re.S)[0]
    body = json.loads(html.unescape(re.search(r'<textarea[^>]*>(.*?)</textarea>', form, re.S)[1]))
    example = next(e for e in load_examples("slyk") if e["name"] == "slyk/create-order")
    assert body == example["request"]["body"]
    url = html.unescape(re.search(r'data-url="([^"]*)"', form)[1])
    headers = json.loads(html.unescape(re.search(r'data-headers="([^"]*)"', form)[1]))
    assert client.post(url, headers=headers, json=body).status_code == 200
    assert "<details class=\"create\">" not in page(client, "/__sandbox/?api=appx")   # appx creates nothing


def test_the_controls_show_faults_clock_and_snapshots_of_the_session(client):
    assert client.post("/__sandbox/faults", json={"api": "slyk", "status": 503, "times": 2}).status_code == 201
    client.get("/slyk/orders", headers={"apikey": "k"})
    assert client.put("/__sandbox/clock", json={"now": "2025-03-31T09:00:00Z"}).status_code == 200
    assert client.post("/__sandbox/snapshots/before").status_code == 201
    text = page(client, "/__sandbox/")
    fault = re.search(r'<tr class="fault" data-id="(\d+)">.*?</tr>', text, re.S)
    assert '<td class="fired">1</td>' in fault[0] and f'data-url="/__sandbox/faults/{fault[1]}"' in fault[0]
    assert "2025-03-31T09:00:00Z</code> <span class=\"badge frozen\">frozen</span>" in text
    assert 'data-snapshot="before"' in text and 'data-url="/__sandbox/snapshots/before/restore"' in text
    assert client.delete(f"/__sandbox/faults/{fault[1]}").status_code == 204
    assert client.delete(f"/__sandbox/faults/{fault[1]}").status_code == 404
    assert client.get("/__sandbox/faults").get_json() == {"faults": []}


def test_a_session_is_created_on_purpose_and_bad_names_are_refused(client, box):
    assert client.put("/__sandbox/sessions/job-7").get_json()["sessions"] == ["default", "job-7"]
    assert client.put("/__sandbox/sessions/job-7").status_code == 200          # idempotent
    assert 'id="create-this-session"' not in page(client, "/__sandbox/?session=job-7")
    bad = client.put("/__sandbox/sessions/" + "x" * 65)
    assert bad.status_code == 400 and bad.get_json()["error"] == "Invalid"
    assert box.store.sessions() == ["default", "job-7"]


def test_the_journal_filters_and_shows_request_and_response_bodies(client):
    client.post("/slyk/orders/fc78d28f-a8dd-49de-a22f-722fe3bd26c6/pay", headers={"apikey": "k"},
                json={"amount": "2.00000000"})
    client.get("/appx/api/v1/orders/15", headers={"Authorization": "Bearer t"})
    journal = re.compile(r'<section class="journal" id="journal">.*?</section>', re.S)
    slyk_only = journal.search(page(client, "/__sandbox/?j_api=slyk&j_method=post"))[0]
    assert "POST /slyk/orders/" in slyk_only and "/appx/" not in slyk_only
    assert 'class="request-body"' in slyk_only and "&#34;paidAmount&#34;: &#34;2.00000000&#34;" in slyk_only
    assert 'href="/__sandbox/requests.har?api=slyk&amp;method=post"' in slyk_only
    nothing = journal.search(page(client, "/__sandbox/?j_status=599"))[0]
    assert "match the filter" in nothing


def test_a_browser_at_the_root_reaches_the_dashboard_and_an_api_client_a_json_404(client):
    browser = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status_code == 302 and browser.headers["Location"].startswith("/__sandbox/")
    for method in ("GET", "POST", "DELETE"):
        api_client = client.open("/", method=method, headers={"Accept": "*/*"})
        assert api_client.status_code == 404 and api_client.get_json()["error"] == "RouteNotFound", method


def test_the_sandbox_own_pages_and_documents_are_not_journaled(client):
    for url in ["/__sandbox/", "/__sandbox/docs", "/slyk/openapi.json", "/shop/openapi.json", "/__sandbox/openapi.json"]:
        assert client.get(url).status_code == 200
    assert client.get("/__sandbox/requests").get_json()["total"] == 0
    client.get("/slyk/orders", headers={"apikey": "k"})
    assert [e["path"] for e in client.get("/__sandbox/requests").get_json()["requests"]] == ["/slyk/orders"]


def test_a_shop_token_names_its_user_by_shop_users_then_sandbox_user_id_else_user_1():
    from sandbox.apis.shop.users import token_for_user, user_for_token

    users = {"alice": 3}
    assert user_for_token("alice", users) == 3 and user_for_token("sandbox-user-4", users) == 4
    assert [user_for_token(t, users) for t in ("anything", "sandbox-user-0", "sandbox-user-x", "sandbox-user-4 ")] \
        == [1, 1, 1, 1]
    assert token_for_user(3, users) == "alice" and token_for_user(5, users) == "sandbox-user-5"
