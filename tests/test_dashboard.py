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
from sandbox.ui import describe
from tests import fake_api
from tests.conftest import APIS, api_specs

SPECS = api_specs()


def fake_spec(name="shop", tables=None, extra=None, auth=None):
    return SimpleNamespace(name=name, blueprint=Blueprint(name, __name__), tables=tables or {"orders": ()},
                           extra=extra or {}, url_prefix=f"/{name}/api", mount=f"/{name}",
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
        newest = orders[::-1][:20]
        assert rows(text, spec.name) == [(str(o["id"]), str(describe.status_of(spec, o))) for o in newest]
        assert f"{len(orders)} records" in text
    assert 'data-reset="appx"' in text


def test_an_order_row_carries_its_json_and_a_get_button_for_the_real_route(client, box):
    text = page(client, "/__sandbox/?api=appx&per_page=1")
    newest = box.store.state("appx")["orders"].all()[-1]
    shown = re.search(r'<tr class="order-json" hidden><td colspan="4"><pre>(.*?)</pre>', text, re.S)[1]
    assert json.loads(html.unescape(shown)) == newest
    assert f'data-url="/appx/api/v1/orders/{newest["id"]}"' in text
    headers = re.search(r'data-headers="([^"]*)"', text)[1]
    assert json.loads(html.unescape(headers)) == {"Authorization": "Bearer sandbox-dashboard"}


def test_one_api_is_paged_and_the_overview_links_to_it(client, box):
    total = len(box.store.state("formations")["orders"].all())
    overview = page(client, "/__sandbox/")
    assert f"all {total} records" in overview
    ids = [r[0] for r in rows(page(client, "/__sandbox/?api=formations&page=2&per_page=50"), "formations")]
    expected = [str(o["id"]) for o in box.store.state("formations")["orders"].all()[::-1][50:100]]
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
    # looking at a session that does not exist is a 404 and creates nothing
    assert client.get("/__sandbox/?session=elsewhere").status_code == 404
    assert "elsewhere" not in client.application.extensions["sandbox"].store.sessions()


def test_a_reset_from_the_dashboard_restores_the_seeded_orders(client, box):
    before = page(client, "/__sandbox/?api=appx")
    with box.store.state("appx").transaction() as state:
        state["orders"].update(150, {"order_status": "Cancelled by test"})
    assert rows(page(client, "/__sandbox/?api=appx"), "appx")[0] == ("150", "Cancelled by test")
    assert client.post("/__sandbox/reset?api=appx").status_code == 200
    assert page(client, "/__sandbox/?api=appx") == before


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
