"""The browser journey end to end in headless Chromium (Debian's ``chromium``, driven by Playwright).

Against a real server on a free port with the registered APIs plus the test-only ``fakeshop``. A frontend
developer's walk: open ``/``, reach the dashboard, read a record of every API, transition records (a shop
order of a user other than 1 included) seeing only the moves their state allows, create one from the example
form, add and remove a fault, freeze the clock, switch to a new session, download the HAR and parse it, then
"Try it out" a write in Swagger UI. Every request the page makes stays on the sandbox's origin; any other is
aborted and fails the test, as does any script error.

``.ci/run`` installs the browser, so under CI (``CI`` set) a missing one is a failure; on a developer's machine
without it the module is skipped, with the reason in pytest's summary. The screenshots go to pytest's
tmp_path; ``SANDBOX_UPDATE_SCREENSHOTS=1`` also copies them to ``docs/`` for the README (not on every run:
the port and times in them would change tracked files).
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

from sandbox import __version__
from sandbox.pytest_plugin import SandboxServer
from tests import fake_api
from tests.conftest import APIS, api_specs
from tests.test_har import assert_har

CHROMIUM = os.environ.get("SANDBOX_TEST_CHROMIUM", "/usr/bin/chromium")
# No network here but the package registries: keep Chromium from reaching for anything on its own.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DOCS = Path(__file__).resolve().parent.parent / "docs"
SCREENSHOT_LIMIT = 600_000          # bytes: a larger picture is not worth keeping in the repository
PER_PAGE = 2                        # a few records per API: the dashboard fits one readable picture
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
def box(server):
    """The server's sandbox, back to its seeded state with no faults, journal or frozen clock."""
    box = server.app.extensions["sandbox"]
    box.store.reset()
    for session in box.store.sessions():
        box.faults.clear(session)
        box.journal.clear(session)
        box.store.drop_session(session)
    box.clock.unfreeze()
    yield box
    box.clock.unfreeze()


@pytest.fixture
def page(browser, server, box):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    elsewhere = []

    def only_the_sandbox(route):
        if route.request.url.startswith(server.base_url + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()
    context.route("**/*", only_the_sandbox)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors
    assert not elsewhere, f"requests that left the machine: {elsewhere}"


class Screenshots:
    def __init__(self, folder: Path):
        self.folder = folder

    def take(self, page, name: str, **kwargs) -> None:
        picture = self.folder / name
        page.screenshot(path=str(picture), **kwargs)
        assert picture.stat().st_size > 10_000
        if os.environ.get("SANDBOX_UPDATE_SCREENSHOTS") and picture.stat().st_size <= SCREENSHOT_LIMIT:
            shutil.copyfile(picture, DOCS / name)


@pytest.fixture
def screenshots(tmp_path):
    return Screenshots(tmp_path)


def press_and_reload(page, button):
    """Press a button that changes state: the page reloads and shows the response it carried over."""
    with page.expect_navigation():
        button.click()
    page.wait_for_selector("#result:not([hidden])")
    return page.locator("#result-status").inner_text()


def submit_and_reload(page, form: str, **fields):
    for name, value in fields.items():
        field = page.locator(f"#{form} [name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))
    return press_and_reload(page, page.locator(f"#{form} button[type=submit]"))


def row(page, api, record_id):
    return page.locator(f'#api-{api} tr.order[data-id="{record_id}"]')


def transitions_of(locator) -> set[str]:
    return set(locator.locator("button.transition").all_inner_texts())


def test_the_journey_of_a_frontend_developer(page, server, box, screenshots):
    # open / and reach the dashboard, every API on it
    page.goto(server.base_url + "/")
    assert page.url.startswith(server.base_url + "/__sandbox/")
    for spec in api_specs():
        section = page.locator(f"#api-{spec.name}")
        assert section.locator("h2").inner_text() == spec.title
        assert section.locator("code.base-url").inner_text() == server.url(spec.name)
    assert "newest first by createdAt" in page.locator("#api-slyk .order-note").inner_text()
    assert re.fullmatch(r"\w+ \(\d+\)", page.locator("#api-formations td.status .badge").first.inner_text())

    # read a record of every API: its page shows the API's own rendering
    for spec in api_specs():
        page.goto(server.base_url + "/__sandbox/")
        first = page.locator(f"#api-{spec.name} tr.order").first
        record_id = first.get_attribute("data-id")
        first.locator("td.id a").click()
        page.wait_for_selector("#record")
        assert page.locator("#record").get_attribute("data-id") == record_id
        if page.locator("#rendered").count():
            page.wait_for_function("document.getElementById('rendered-status').textContent !== ''")
            assert page.locator("#rendered-status").inner_text() == "200", spec.name
            assert record_id in page.locator("#rendered").inner_text()
        else:
            assert page.locator("pre.related").count(), spec.name        # formations: its order lines

    # a shop order of a user other than 1: offered only what its state allows, and cancelled
    orders = box.store.state("shop")["orders"].all()
    pending = next(o for o in orders if o["status"] == "pending" and o["user_id"] != 1)
    finished = next(o for o in orders if o["status"] in ("refunded", "cancelled", "completed"))
    page.goto(server.base_url + "/__sandbox/?api=shop&per_page=200")
    assert transitions_of(row(page, "shop", pending["id"])) == {"cancel"}
    assert transitions_of(row(page, "shop", finished["id"])) == set()
    assert press_and_reload(page, row(page, "shop", pending["id"]).locator("button.transition",
                                                                          has_text="cancel")) == "200"
    assert page.locator("#result-label").inner_text() == f"POST /shop/api/v1/shop/orders/{pending['id']}/cancel"
    assert row(page, "shop", pending["id"]).locator("td.status").inner_text() == "cancelled"
    assert transitions_of(row(page, "shop", pending["id"])) == set()

    # Slyk: a canceled order offers nothing; paying an unpaid one leaves no "pay" to press
    page.goto(server.base_url + "/__sandbox/?api=slyk&per_page=200")
    for status, offered in zip(page.locator("#api-slyk td.status").all_inner_texts(),
                               page.locator("#api-slyk td.actions").all()):
        if status.startswith("canceled"):
            assert transitions_of(offered) <= {"refund"}      # what was paid can still be given back
    unpaid = next(o for o in box.store.state("slyk")["orders"].all()
                  if (o["orderStatus"], o["paymentStatus"]) == ("unfulfilled", "unpaid"))
    assert transitions_of(row(page, "slyk", unpaid["id"])) == {"cancel", "fulfill", "pay"}
    assert press_and_reload(page, row(page, "slyk", unpaid["id"]).locator("button.transition", has_text="pay")) == "200"
    assert "fully_paid" in row(page, "slyk", unpaid["id"]).locator("td.status").inner_text()
    assert transitions_of(row(page, "slyk", unpaid["id"])) == {"cancel", "fulfill", "refund"}
    row(page, "slyk", unpaid["id"]).locator("td.id a").click()        # its page: rendering, lines, history
    page.wait_for_function("document.getElementById('rendered-status').textContent === '200'")
    assert "/pay" in page.locator("#history").inner_text()
    assert transitions_of(page.locator("#record")) == {"cancel", "fulfill", "refund"}
    screenshots.take(page, "record.png")
    page.go_back()

    # create a record from the example form, edited before sending
    page.locator("#api-slyk details.create summary").click()
    body = json.loads(page.locator("#api-slyk textarea.create-body").input_value())
    body["lines"] = body["lines"][:1]
    page.locator("#api-slyk textarea.create-body").fill(json.dumps(body, indent=2))
    assert press_and_reload(page, page.locator("#api-slyk button.create-send")) == "200"
    created = json.loads(page.locator("#result-body").inner_text())["data"]
    assert page.locator("#api-slyk tr.order").first.get_attribute("data-id") == created["id"]

    # add a fault, see it fire, remove it
    page.goto(server.base_url + "/__sandbox/")
    assert submit_and_reload(page, "fault-add", api="appx", path="*/orders/*", status=503, times=1) == "201"
    fault = page.locator("#fault-control tr.fault")
    assert fault.count() == 1 and fault.locator("td.fired").inner_text() == "0"
    page.locator("#result-close").click()
    page.locator("#api-appx tr.order").first.locator("button.read").click()
    page.wait_for_selector("#result:not([hidden])")
    assert page.locator("#result-label").inner_text().startswith("GET /appx/api/v1/orders/")
    assert page.locator("#result-status").inner_text() == "503"
    page.reload()
    assert page.locator("#fault-control tr.fault td.fired").inner_text() == "1"
    assert press_and_reload(page, page.locator("#fault-control tr.fault button", has_text="remove")) == "204"
    assert page.locator("#fault-control tr.fault").count() == 0

    # freeze the clock
    assert submit_and_reload(page, "clock-freeze", now="2025-03-31T09:00:00Z") == "200"
    assert page.locator("#clock-now").inner_text() == "2025-03-31T09:00:00Z"
    assert page.locator("#clock-control .badge.frozen").count() == 1

    # the journal shows the requests with their bodies; the HAR downloads and parses
    journal = page.locator("#journal tr.request")
    assert journal.count() >= 4 and "POST /slyk/orders" in page.locator("#journal").inner_text()
    page.goto(server.base_url + f"/__sandbox/?per_page={PER_PAGE}")
    screenshots.take(page, "dashboard.png", full_page=True)
    with page.expect_download() as download:
        page.locator("#har-link").click()
    archive = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    urls = [entry["request"]["url"] for entry in assert_har(archive)]
    assert server.base_url + f"/shop/api/v1/shop/orders/{pending['id']}/cancel" in urls
    assert server.base_url + "/slyk/orders" in urls

    # a session that does not exist is shown, not created; creating it switches to a fresh copy
    page.goto(server.base_url + "/__sandbox/?session=ghost")
    assert page.locator("#no-session").count() == 1 and "ghost" not in box.store.sessions()
    page.goto(server.base_url + "/__sandbox/")
    with page.expect_navigation():
        page.locator("#session-create [name=name]").fill("browser-journey")
        page.locator("#session-create button[type=submit]").click()
    page.wait_for_url(re.compile(r"session=browser-journey"))
    assert page.locator(".top .session code").inner_text() == "browser-journey"
    assert row(page, "fakeshop", 30).locator("td.status").inner_text() == "pending"
    assert press_and_reload(page, row(page, "fakeshop", 30).locator("button.transition", has_text="pay")) == "200"
    assert box.store.state("fakeshop", "browser-journey")["orders"].get(30)["state"] == "paid"
    assert box.store.state("fakeshop")["orders"].get(30)["state"] == "pending"
    page.locator("#session-pick select").select_option("")
    page.locator("#session-pick button[type=submit]").click()
    page.wait_for_url(re.compile(r"/__sandbox/?$"))
    assert page.locator(".top .session code").inner_text() == "default"


def try_it_out(page, operation_id: str) -> str:
    """Open an operation in Swagger UI, press "Try it out" and "Execute" unchanged; the status it got."""
    block = page.locator(f'[id$="-{operation_id}"]').first
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").click()
    status = block.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    return status.inner_text().strip()


def test_docs_run_in_swagger_ui_with_their_examples(page, server, box, screenshots):
    page.goto(server.base_url + "/__sandbox/docs")
    for spec in api_specs():
        assert server.url(spec.name) in page.locator(f"#doc-{spec.name} pre.curl").inner_text()
    screenshots.take(page, "docs.png", full_page=True)

    page.locator("#doc-slyk a.swagger").click()
    page.wait_for_selector(".swagger-ui .info .title")
    # the version and OAS badges: white text on their grey pill, not on our white <pre> background
    badges = page.locator(".swagger-ui .info .title pre.version")
    assert [text.strip() for text in badges.all_inner_texts()] == [__version__, "OAS 3.1"]
    assert set(badges.evaluate_all("all => all.map(e => getComputedStyle(e).backgroundColor)")) == {"rgba(0, 0, 0, 0)"}
    assert try_it_out(page, "create_order") == "200"
    assert try_it_out(page, "pay_order") == "200"
    page.evaluate("window.scrollTo(0, 0)")
    screenshots.take(page, "swagger.png")
    assert len(box.store.state("slyk")["orders"].all()) == len(box.store.seeded("slyk")["orders"].all()) + 1

    page.goto(server.base_url + "/__sandbox/docs/control-plane")
    page.wait_for_selector(".swagger-ui .info .title")
    assert try_it_out(page, "add_fault") == "201"
    assert [rule.as_json()["path"] for rule in box.faults.rules("default")] == ["/orders"]
    # the docs' own fetches of the documents are not in the journal
    assert all(not entry.path.endswith("openapi.json") for entry in box.journal.entries("default"))

    # no spec served: a clear notice
    page.route("**/appx/openapi.json", lambda route: route.fulfill(status=404, body="{}"))
    page.goto(server.base_url + "/__sandbox/docs/appx")
    page.wait_for_selector("#no-spec:not([hidden])")
    assert "No spec yet" in page.locator("#no-spec").inner_text()


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
    box.faults.clear("default")                 # what the journey test before this one left (Try it out)
    box.webhooks.unsubscribe("default")
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
