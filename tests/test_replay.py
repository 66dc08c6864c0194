"""Answers kept for replay (sandbox/core/replay.py) on the sandbox's own server: a GET sent again to a state that
has not changed is answered without the app, and every change of any kind is seen by the next GET at once.

The tests talk HTTP to the real server (tests/served.py) and look at ``Replays.hits`` to know that an answer was
in fact replayed: a test of "the write is seen" that never replayed would prove nothing."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import requests

from sandbox.core.replay import Answer, Replayable, Replays
from sandbox.core.store import Changes
from tests.served import ServedInThread

SLYK = {"apikey": "key"}
ORDER = "fc78d28f-a8dd-49de-a22f-722fe3bd26c6"
UNPAID = "fc78d28f-a8dd-49de-a22f-722fe3bd26c8"
EXAMPLES = Path(__file__).parent.parent / "fixtures"
PAY = json.loads((EXAMPLES / "slyk/examples/pay-order.json").read_text())["request"]["body"]
CREATE = json.loads((EXAMPLES / "slyk/examples/create-order.json").read_text())["request"]["body"]


@pytest.fixture
def served():
    running = ServedInThread({"THREADS": 4})
    yield running
    running.stop()


def get(served, path, headers=SLYK, **kwargs):
    return requests.get(served.base_url + path, headers=headers, timeout=10, **kwargs)


def replayed(served, path, headers=SLYK) -> requests.Response:
    """GET ``path`` twice; the second answer must be a replay."""
    get(served, path, headers)
    hits = served.box.replays.hits
    response = get(served, path, headers)
    assert served.box.replays.hits == hits + 1, "the second identical GET was not replayed"
    return response


def test_a_replay_is_the_answer_the_app_gave_and_is_journaled(served):
    first = get(served, f"/slyk/orders/{ORDER}")
    second = replayed(served, f"/slyk/orders/{ORDER}")
    assert second.content == first.content and second.status_code == first.status_code == 200
    assert [(k, v) for k, v in second.headers.items() if k != "date"] == \
        [(k, v) for k, v in first.headers.items() if k != "date"]
    journal = requests.get(served.base_url + "/__sandbox/requests", timeout=10).json()
    entries = journal["requests"] if isinstance(journal, dict) else journal
    mine = [entry for entry in entries if entry["path"] == f"/slyk/orders/{ORDER}"]
    assert len(mine) == 3 and all(entry["status"] == 200 for entry in mine)
    assert mine[-1]["headers"]["Apikey"] == "***"


def test_a_write_is_seen_by_the_next_get(served):
    before = replayed(served, f"/slyk/orders/{UNPAID}").json()["data"]
    assert before["paymentStatus"] != "fully_paid"
    paid = requests.post(served.base_url + f"/slyk/orders/{UNPAID}/pay", json=PAY, headers=SLYK, timeout=10)
    assert paid.status_code == 200, paid.text
    assert get(served, f"/slyk/orders/{UNPAID}").json()["data"]["paymentStatus"] == "fully_paid"


def test_a_create_is_in_the_next_list_page(served):
    total = replayed(served, "/slyk/orders").json()["total"]
    created = requests.post(served.base_url + "/slyk/orders", json=CREATE, headers=SLYK, timeout=10)
    assert created.status_code == 200, created.text
    assert get(served, "/slyk/orders").json()["total"] == total + 1


def test_reset_brings_back_the_seeded_answer(served):
    seeded = get(served, f"/slyk/orders/{UNPAID}").content
    requests.post(served.base_url + f"/slyk/orders/{UNPAID}/pay", json=PAY, headers=SLYK, timeout=10)
    paid = replayed(served, f"/slyk/orders/{UNPAID}").content
    assert paid != seeded
    assert requests.post(served.base_url + "/__sandbox/reset", timeout=10).status_code == 200
    assert get(served, f"/slyk/orders/{UNPAID}").content == seeded


def test_a_fault_rule_hits_a_request_whose_answer_was_kept(served):
    replayed(served, f"/slyk/orders/{ORDER}")
    rule = requests.post(served.base_url + "/__sandbox/faults", timeout=10,
                         json={"api": "slyk", "method": "GET", "path": "/orders/*", "status": 503})
    assert rule.status_code in (200, 201), rule.text
    assert get(served, f"/slyk/orders/{ORDER}").status_code == 503
    requests.delete(served.base_url + "/__sandbox/faults", timeout=10)
    assert get(served, f"/slyk/orders/{ORDER}").status_code == 200


def test_other_credentials_are_never_given_a_kept_answer():
    with ServedInThread({"TOKENS": {"slyk": ["good"]}}) as served:
        assert replayed(served, f"/slyk/orders/{ORDER}", {"apikey": "good"}).status_code == 200
        refused = get(served, f"/slyk/orders/{ORDER}", {"apikey": "bad"})
        assert refused.status_code == 401


def test_sessions_keep_their_own_answers_and_an_evicted_one_starts_seeded():
    with ServedInThread({"MAX_SESSIONS": 1}) as served:
        alice = {**SLYK, "X-Sandbox-Session": "alice"}
        requests.post(served.base_url + f"/slyk/orders/{UNPAID}/pay", json=PAY, headers=alice, timeout=10)
        assert replayed(served, f"/slyk/orders/{UNPAID}", alice).json()["data"]["paymentStatus"] == "fully_paid"
        assert get(served, f"/slyk/orders/{UNPAID}").json()["data"]["paymentStatus"] != "fully_paid"   # default session
        get(served, f"/slyk/orders/{UNPAID}", {**SLYK, "X-Sandbox-Session": "bob"})       # evicts alice
        assert get(served, f"/slyk/orders/{UNPAID}", alice).json()["data"]["paymentStatus"] != "fully_paid"


def test_mittwald_counts_its_rate_limit_on_every_replay(served):
    headers = {"x-access-token": "t"}
    path = "/mittwald/v2/orders/0de83da5-09e0-48ea-8b1b-02186de9bda3"      # the docs' order
    first = get(served, path, headers)
    second = replayed(served, path, headers)
    remaining = int(first.headers["X-RateLimit-Remaining"]), int(second.headers["X-RateLimit-Remaining"])
    assert remaining[1] == remaining[0] - 2          # the replayed GET of the pair was counted too
    assert second.content == first.content


def test_an_answer_that_read_the_clock_is_computed_each_time():
    # eFiling's rate limit reads the time on every request: such an answer is never replayed, and the limit holds.
    with ServedInThread({"FORMATIONS_RATE_LIMIT": True}) as served:
        headers = {"Authorization": "Basic key"}
        statuses = [get(served, "/formations/orders", headers).status_code for _ in range(200)]
        assert served.box.replays.hits == 0
        assert statuses[0] == 200 and 429 in statuses


def test_replay_off_answers_every_request_from_the_app():
    with ServedInThread({"REPLAY_ENTRIES": 0}) as served:
        for _ in range(3):
            assert get(served, f"/slyk/orders/{ORDER}").status_code == 200
        assert served.box.replays.hits == 0


def test_readers_never_see_an_acknowledged_write_undone(served):
    """Writers pay orders one by one; a GET that starts after a pay was answered must show it paid."""
    orders = [o["id"] for o in get(served, "/slyk/orders?page[size]=100").json()["data"]
              if o["paymentStatus"] != "fully_paid" and o["orderStatus"] not in ("canceled", "fulfilled")]
    assert orders, "the seeded state has unpaid orders"
    acknowledged: list[str] = []
    stale: list[str] = []
    done = threading.Event()

    def read():
        with requests.Session() as http:
            while not done.is_set():
                known = list(acknowledged)
                for order_id in known[-3:]:
                    body = http.get(f"{served.base_url}/slyk/orders/{order_id}", headers=SLYK, timeout=10).json()
                    if body["data"]["paymentStatus"] != "fully_paid":
                        stale.append(order_id)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        with requests.Session() as http:
            for order_id in orders[:20]:
                order = http.get(f"{served.base_url}/slyk/orders/{order_id}", headers=SLYK, timeout=10).json()["data"]
                pay = {**PAY, "amount": order["amount"]}
                response = http.post(f"{served.base_url}/slyk/orders/{order_id}/pay", json=pay, headers=SLYK,
                                     timeout=10)
                if response.status_code == 200:
                    acknowledged.append(order_id)
    finally:
        done.set()
        for reader in readers:
            reader.join(timeout=30)
    assert acknowledged and not stale and served.box.replays.hits > 0


# -- the rules of keeping, as plain units ---------------------------------------------------------------------
def _answer(body: bytes = b"{}") -> Answer:
    return Answer(200, [("Content-Type", "application/json")], body,
                  Replayable("slyk", "default", "/slyk/orders", "", [], frozenset()))


def test_an_answer_computed_across_a_change_is_not_kept():
    replays = Replays(Changes(), 8, 1 << 20)
    stamp = replays.changes.stamp()
    with replays.changes.changing():
        pass
    replays.keep(("k",), stamp, _answer())
    assert replays.lookup(("k",)) is None


def test_nothing_is_replayed_while_a_change_is_under_way_nor_after_it():
    replays = Replays(Changes(), 8, 1 << 20)
    replays.keep(("k",), replays.changes.stamp(), _answer())
    assert replays.lookup(("k",)) is not None
    replays.changes.begin()
    assert replays.lookup(("k",)) is None
    assert replays.changes.stamp() is None
    replays.changes.end()
    assert replays.lookup(("k",)) is None


def test_a_change_that_changed_nothing_keeps_the_answers():
    replays = Replays(Changes(), 8, 1 << 20)
    replays.keep(("k",), replays.changes.stamp(), _answer())
    replays.changes.begin()
    replays.changes.end(changed=False)
    assert replays.lookup(("k",)) is not None


def test_the_bounds_drop_the_oldest_answers_first():
    replays = Replays(Changes(), 3, 100)
    stamp = replays.changes.stamp()
    for number in range(5):
        replays.keep((number,), stamp, _answer(b"x" * 10))
    assert len(replays) == 3 and replays.lookup((0,)) is None and replays.lookup((4,)) is not None
    replays.keep(("big",), stamp, _answer(b"x" * 90))
    assert replays.lookup(("big",)) is not None and len(replays) == 2      # 10 + 90 bytes: within 100
    replays.keep(("huge",), stamp, _answer(b"x" * 101))       # larger than the whole budget: never kept
    assert replays.lookup(("huge",)) is None


def test_a_named_sessions_fault_rule_hits_its_kept_answers_only(served):
    ci = {**SLYK, "X-Sandbox-Session": "ci-1"}
    replayed(served, f"/slyk/orders/{ORDER}", ci)
    replayed(served, f"/slyk/orders/{ORDER}")
    rule = requests.post(served.base_url + "/__sandbox/faults", headers={"X-Sandbox-Session": "ci-1"}, timeout=10,
                         json={"api": "slyk", "method": "GET", "path": "/orders/*", "status": 503})
    assert rule.status_code in (200, 201), rule.text
    assert get(served, f"/slyk/orders/{ORDER}", ci).status_code == 503
    assert get(served, f"/slyk/orders/{ORDER}").status_code == 200


def test_a_get_that_sends_a_body_is_never_replayed(served):
    for _ in range(2):
        response = requests.get(served.base_url + f"/slyk/orders/{ORDER}", headers=SLYK, data=b'{"x": 1}', timeout=10)
        assert response.status_code == 200
    assert served.box.replays.hits == 0



def test_a_journal_that_fails_does_not_fail_a_replayed_answer(served, monkeypatch):
    first = get(served, f"/slyk/orders/{ORDER}")

    def broken(*args, **kwargs):
        raise RuntimeError("journal broken")

    monkeypatch.setattr(served.box.journal, "record", broken)
    hits = served.box.replays.hits
    again = get(served, f"/slyk/orders/{ORDER}")
    assert served.box.replays.hits == hits + 1
    assert again.status_code == 200 and again.content == first.content


def test_a_write_to_a_state_loaded_from_a_data_dir_is_seen_by_the_next_get(tmp_path):
    """Tables loaded from a data dir are built apart from seeded ones (Table.loaded): a replay must still never
    serve an answer from before a write to them."""
    with ServedInThread({"DATA_DIR": str(tmp_path)}):
        pass                                            # the first start writes the snapshots
    with ServedInThread({"DATA_DIR": str(tmp_path)}) as served:
        assert replayed(served, f"/slyk/orders/{UNPAID}").json()["data"]["paymentStatus"] != "fully_paid"
        paid = requests.post(served.base_url + f"/slyk/orders/{UNPAID}/pay", json=PAY, headers=SLYK, timeout=10)
        assert paid.status_code == 200, paid.text
        assert get(served, f"/slyk/orders/{UNPAID}").json()["data"]["paymentStatus"] == "fully_paid"
