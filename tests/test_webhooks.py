"""Slyk's store webhooks: subscriptions, the outbox and deliveries to a real receiver on loopback."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sandbox import create_app
from sandbox.config import TEST_CONFIG
from tests.test_cli import free_port

KEY = {"apikey": "key"}
C = "fc78d28f-a8dd-49de-a22f-722fe3bd26"
ORDER, LINED, THUD = C + "c8", C + "c7", "88b1a9a6-a35c-4938-868a-396e468e592b"
PAYLOAD_FIELDS = ["id", "userId", "amount", "assetCode", "trackingId", "paidAmount", "orderStatus", "paymentStatus",
                  "metadata", "reference", "canceledAt", "paidAt", "fulfilledAt", "createdAt", "updatedAt"]


class Receiver:
    """An HTTP server on loopback that records what it is sent and answers with the statuses it is given."""

    def __init__(self, statuses=()):
        self.received: list[dict] = []
        self.statuses = list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": json.loads(body)})
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


def subscribe(client, url, events=None, headers=None):
    body = {"api": "slyk", "url": url, **({"events": events} if events is not None else {})}
    response = client.post("/__sandbox/webhooks", json=body, headers=headers or {})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def outbox(client, **query):
    return client.get("/__sandbox/webhooks/outbox", query_string=query).get_json()["events"]


def flush(client, headers=None):
    return client.post("/__sandbox/webhooks/flush", headers=headers or {}).get_json()["events"]


def pay(client, order=ORDER, amount=None, headers=None):
    return client.post(f"/slyk/orders/{order}/pay", json={} if amount is None else {"amount": amount},
                       headers={**KEY, **(headers or {})})


def test_a_state_change_is_delivered_with_the_documented_payload(client, receiver):
    subscription = subscribe(client, receiver.url)
    assert pay(client).status_code == 200
    events = flush(client)
    assert [e["event"] for e in events] == ["store.order.paid"]
    delivery = events[0]["deliveries"][0]
    assert delivery["status"] == "delivered" and delivery["subscription"] == subscription["id"]
    assert delivery["attempts"][0]["status_code"] == 204
    sent = receiver.received[0]
    assert sent["headers"]["X-Sandbox-Event"] == "store.order.paid"
    assert sent["body"]["event"] == "store.order.paid" and sent["body"]["id"] == events[0]["id"]
    assert list(sent["body"]["data"]) == PAYLOAD_FIELDS
    assert sent["body"]["data"]["paymentStatus"] == "fully_paid" and sent["body"]["data"]["paidAmount"] == "7.00000000"


def test_the_background_sender_delivers_without_a_flush(client, receiver):
    subscribe(client, receiver.url)
    pay(client)
    deadline = time.monotonic() + 10
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [r["body"]["event"] for r in receiver.received] == ["store.order.paid"]


def test_every_documented_event_is_emitted(client, receiver):
    subscribe(client, receiver.url)
    created = client.post("/slyk/orders", json={"userId": THUD, "lines": [{"productId": C + "c2", "quantity": 1}]},
                          headers=KEY).get_json()["data"]
    pay(client, created["id"], "1.00000000")
    client.post(f"/slyk/orders/{created['id']}/refund", json={"amount": "1.00000000"}, headers=KEY)
    client.post(f"/slyk/orders/{created['id']}/fulfill", headers=KEY)
    client.post(f"/slyk/orders/{ORDER}/pay", json={"amount": "2.50000000"}, headers=KEY)
    client.post(f"/slyk/orders/{ORDER}/cancel", json={"refundAmount": "2.50000000"}, headers=KEY)
    names = [e["event"] for e in flush(client)]
    assert names == ["store.order.created", "store.order.paid", "store.order.refunded", "store.order.fulfilled",
                     "store.order.paid", "store.order.cancelled", "store.order.refunded"]
    assert len(receiver.received) == 7


def test_a_line_fulfilment_that_completes_the_order_emits_fulfilled(client):
    lines = client.get(f"/slyk/orders/{LINED}/lines", headers=KEY).get_json()["data"]
    for line in lines:
        client.post(f"/slyk/orders/{LINED}/lines/{line['id']}/fulfill", headers=KEY)
    assert [e["event"] for e in outbox(client)] == ["store.order.fulfilled"]


def test_a_refused_request_emits_nothing(client):
    assert pay(client, amount="999.00000000").status_code == 409
    assert client.post(f"/slyk/orders/{ORDER}/unfulfill", headers=KEY).status_code == 409
    assert outbox(client) == []


def test_events_filter_and_outbox_filters(client, receiver):
    subscribe(client, receiver.url, events=["store.order.fulfilled"])
    pay(client)
    client.post(f"/slyk/orders/{ORDER}/fulfill", headers=KEY)
    events = flush(client)
    assert [(e["event"], len(e["deliveries"])) for e in events] == [("store.order.paid", 0),
                                                                     ("store.order.fulfilled", 1)]
    assert [r["body"]["event"] for r in receiver.received] == ["store.order.fulfilled"]
    assert [e["event"] for e in outbox(client, event="store.order.paid")] == ["store.order.paid"]


def test_a_failing_receiver_is_retried_with_backoff_then_marked_failed():
    app = create_app({**TEST_CONFIG, "WEBHOOK_ATTEMPTS": 3, "WEBHOOK_BACKOFF_SECONDS": 60})
    client = app.test_client()
    down = f"http://127.0.0.1:{free_port()}/nobody-listens"
    subscribe(client, down)
    assert pay(client).status_code == 200, "a receiver that is down never fails the API request"
    attempts = [flush(client)[0]["deliveries"][0] for _ in range(3)][-1]
    assert attempts["status"] == "failed" and len(attempts["attempts"]) == 3
    assert all("error" in attempt for attempt in attempts["attempts"])
    assert flush(client)[0]["deliveries"][0]["attempts"] == attempts["attempts"], "no attempt after failing"


def test_a_receiver_error_is_retried_until_it_succeeds():
    # a long backoff keeps the background sender out of the way: only the flushes attempt
    client = create_app({**TEST_CONFIG, "WEBHOOK_BACKOFF_SECONDS": 60}).test_client()
    flaky = Receiver(statuses=[500, 503])
    try:
        subscribe(client, flaky.url)
        pay(client)
        results = [flush(client)[0]["deliveries"][0] for _ in range(3)]
        assert [r["status"] for r in results] == ["pending", "pending", "delivered"]
        assert [a["status_code"] for a in results[-1]["attempts"]] == [500, 503, 204]
    finally:
        flaky.close()


def test_sessions_and_reset_apply_to_subscriptions_and_outbox(client, receiver):
    job = {"X-Sandbox-Session": "job-7"}
    subscribe(client, receiver.url, headers=job)
    pay(client, headers=job)
    assert [e["event"] for e in flush(client, job)] == ["store.order.paid"] and outbox(client) == []
    assert client.get("/__sandbox/webhooks", headers=job).get_json()["webhooks"][0]["url"] == receiver.url
    assert client.get("/__sandbox/webhooks").get_json() == {"webhooks": []}
    client.post("/__sandbox/reset", headers=job)
    assert client.get("/__sandbox/webhooks/outbox", headers=job).get_json()["events"] == []
    assert client.get("/__sandbox/webhooks", headers=job).get_json() == {"webhooks": []}


def test_unsubscribe(client, receiver):
    first = subscribe(client, receiver.url)
    assert client.delete(f"/__sandbox/webhooks/{first['id']}").status_code == 204
    assert client.delete(f"/__sandbox/webhooks/{first['id']}").status_code == 404
    subscribe(client, receiver.url)
    assert client.delete("/__sandbox/webhooks").status_code == 204
    pay(client)
    assert flush(client)[0]["deliveries"] == []


@pytest.mark.parametrize("body", [
    {"api": "appx", "url": "http://127.0.0.1:1/x"}, {"api": "slyk", "url": "ftp://x"}, {"api": "slyk"},
    {"api": "slyk", "url": "http://127.0.0.1:1/x", "events": ["store.order.exploded"]},
    {"api": "slyk", "url": "http://127.0.0.1:1/x", "events": "store.order.paid"},
    {"api": "slyk", "url": "http://127.0.0.1:1/x", "secret": "x"}, [],
])
def test_bad_subscriptions_are_400(client, body):
    response = client.post("/__sandbox/webhooks", json=body)
    assert response.status_code == 400 and response.get_json()["message"]
    assert client.get("/__sandbox/webhooks").get_json() == {"webhooks": []}


# -- where deliveries may go and how long one may take (issue 16) --------------------------------------------
class Answering:
    """A receiver whose handler is given: ``answer(handler)`` writes the whole response."""

    def __init__(self, answer):
        self.received: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                owner.received.append(self.path)
                answer(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_a_redirect_is_a_failed_attempt_and_never_followed():
    target = Receiver()
    redirecting = Answering(lambda h: (h.send_response(302), h.send_header("Location", target.url),
                                       h.send_header("Content-Length", "0"), h.end_headers()))
    client = create_app({**TEST_CONFIG, "WEBHOOK_ATTEMPTS": 1}).test_client()
    try:
        subscribe(client, redirecting.url)
        pay(client)
        delivery = flush(client)[0]["deliveries"][0]
        assert delivery["status"] == "failed"
        assert delivery["attempts"][0]["status_code"] == 302
        assert "redirect not followed" in delivery["attempts"][0]["error"]
        assert redirecting.received == ["/hooks"] and target.received == []
    finally:
        redirecting.close()
        target.close()


def trickle(handler, stop: threading.Event):
    """A status line, then one header byte every 50 ms: every read succeeds, the answer never ends."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    while not stop.wait(0.05):
        try:
            handler.wfile.write(b"X")
            handler.wfile.flush()
        except OSError:
            return


def test_a_trickling_receiver_is_cut_off_at_the_attempt_deadline():
    stop = threading.Event()
    slow = Answering(lambda h: trickle(h, stop))
    client = create_app({**TEST_CONFIG, "WEBHOOK_ATTEMPTS": 1, "WEBHOOK_TIMEOUT_SECONDS": 0.5}).test_client()
    try:
        subscribe(client, slow.url)
        pay(client)
        delivery = flush(client)[0]["deliveries"][0]
        assert delivery["status"] == "failed"
        assert delivery["attempts"][0]["error"] == "no answer within 0.5 s"
    finally:
        stop.set()
        slow.close()


def test_a_slow_receiver_never_delays_another_and_flush_answers_by_its_deadline():
    release = threading.Event()
    slow = Answering(lambda h: (release.wait(30), h.send_response(204), h.send_header("Content-Length", "0"),
                                h.end_headers()))
    fast = Receiver()
    app = create_app({**TEST_CONFIG, "WEBHOOK_TIMEOUT_SECONDS": 30, "WEBHOOK_FLUSH_SECONDS": 0.3})
    client = app.test_client()
    try:
        subscribe(client, slow.url)          # first in line: a single sender would be stuck on it
        subscribe(client, fast.url)
        pay(client)
        assert wait_for(lambda: fast.received), "the fast receiver waits for the slow one"
        slow_delivery, fast_delivery = flush(client)[0]["deliveries"]     # answers with the slow one held
        assert slow.received and not release.is_set()
        assert slow_delivery["status"] == "pending" and slow_delivery["attempts"] == []
        assert fast_delivery["status"] == "delivered"
    finally:
        release.set()
        slow.close()
        fast.close()
    assert wait_for(lambda: outbox(client)[0]["deliveries"][0]["status"] == "delivered")


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://203.0.113.7/hook",
                                 "http://[2001:db8::1]:8080/hook"])
def test_deliveries_go_only_to_loopback_and_private_networks_by_default(client, url):
    subscribe(client, url)
    pay(client)
    delivery = flush(client)[0]["deliveries"][0]
    assert "outside SANDBOX_WEBHOOK_HOSTS" in delivery["attempts"][0]["error"]


def test_the_allowed_hosts_are_checked_after_name_resolution(receiver):
    named = receiver.url.replace("127.0.0.1", "localhost")
    client = create_app({**TEST_CONFIG, "WEBHOOK_HOSTS": "10.0.0.0/8", "WEBHOOK_ATTEMPTS": 1}).test_client()
    subscribe(client, named)
    pay(client)
    attempt = flush(client)[0]["deliveries"][0]["attempts"][0]
    assert "resolves to" in attempt["error"] and "127.0.0.1" in attempt["error"] and receiver.received == []
    allowed = create_app({**TEST_CONFIG, "WEBHOOK_HOSTS": "localhost"}).test_client()
    subscribe(allowed, named)
    pay(allowed)
    assert flush(allowed)[0]["deliveries"][0]["status"] == "delivered"


def test_target_rules():
    from sandbox.core.outbound import PRIVATE_NETWORKS, Targets

    default = Targets.parse(PRIVATE_NETWORKS)
    assert [default.allows("h", a) for a in ("127.0.0.1", "::1", "10.2.3.4", "172.31.0.1", "192.168.1.1", "fd00::1",
                                             "::ffff:10.0.0.1")] == [True] * 7
    assert [default.allows("h", a) for a in ("169.254.169.254", "8.8.8.8", "172.32.0.1", "fe80::1",
                                             "::ffff:8.8.8.8")] == [False] * 5
    assert Targets.parse("*").allows("h", "8.8.8.8")
    assert Targets.parse("Hooks.Example.").allows("hooks.example", "8.8.8.8")
