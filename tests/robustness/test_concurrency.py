"""32 threads writing to shop and slyk on one real server, in the default session and three named ones.

Afterwards: every answer and the final state of each session equal a serial replay of the same requests
against a fresh app (so no update was lost, no session saw another's writes, and concurrency changed
nothing a client can see); ids are unique; every invariant of the records holds. A second test makes all
32 threads fight over the same records, where the arithmetic of the acknowledged writes must add up."""

from __future__ import annotations

import json
import random
import threading
from decimal import Decimal

import pytest
import requests

from sandbox import create_app
from sandbox.apis.shop import states as shop_states
from sandbox.apis.slyk import states as slyk_states
from sandbox.config import TEST_CONFIG
from sandbox.core import fake
from sandbox.pytest_plugin import SandboxServer
from tests.robustness.endpoints import FROZEN_AT
from tests.served import ServedInThread
from tests.robustness.workload import SHOP, SLYK, SLYK_AUTH, Op, make_actors, run, shop_token, shop_users_config

SESSIONS = ["default", "ci-a", "ci-b", "ci-c"]
ACTORS_PER_SESSION = 8          # 32 threads in all
OPS_EACH = 30
CONFIG = {"SHOP_USERS": shop_users_config(range(1, ACTORS_PER_SESSION + 1)), "THREADS": 32}
NOW = FROZEN_AT.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module", params=["waitress", "sandbox-server"])
def server(request):
    # The pytest plugin's server (waitress), and the one `sandbox serve` runs, whose GETs may be replays of kept
    # answers (core/replay.py): every answer must still equal the serial model's.
    running = SandboxServer(CONFIG) if request.param == "waitress" else ServedInThread(CONFIG)
    requests.put(running.base_url + "/__sandbox/clock", json={"now": NOW}).raise_for_status()
    yield running
    running.stop()


def exported(server, session: str) -> dict:
    headers = {} if session == "default" else {"X-Sandbox-Session": session}
    response = requests.get(server.base_url + "/__sandbox/state", headers=headers)
    response.raise_for_status()
    return response.json()["apis"]


# -- the serial order a concurrent run is equivalent to ---------------------------------------------------
def allocated_ids(op: Op) -> int | None:
    """The first order item id a shop create or update took from the shared counter (None: took none).

    Ids are handed out in commit order, so they order these writes across actors."""
    allocates = op.method == "PUT" or (op.method == "POST" and op.path == f"{SHOP}/orders")
    if op.api == "shop" and op.ok and allocates:
        return min(item["id"] for item in op.answer["order"]["items"])
    return None


def serial_order(ops_by_actor: list[list[Op]]) -> list[Op]:
    """An order of every request consistent with what happened: each actor's own order (its records changed
    in no other), and the shared id counter's order among the writes that drew from it."""
    queues = [list(ops) for ops in ops_by_actor]
    order = []
    while any(queues):
        for queue in queues:
            while queue and allocated_ids(queue[0]) is None:
                order.append(queue.pop(0))
        waiting = [queue for queue in queues if queue]
        if waiting:
            order.append(min(waiting, key=lambda q: allocated_ids(q[0])).pop(0))
    return order


def replay(ops: list[Op], final_states: dict[str, dict]):
    """Send ``ops`` one by one to a fresh app on the same frozen clock; slyk's new records get the ids the
    server gave them. Returns the app and the requests whose answer differed."""
    app = create_app({**TEST_CONFIG, **CONFIG})
    app.extensions["sandbox"].clock.freeze(FROZEN_AT)
    client = app.test_client()
    differences = []
    original = fake.new_uuid
    try:
        for op in ops:
            if not op.decidable:
                continue
            if op.api == "slyk" and op.ok and op.method == "POST" and op.path == f"{SLYK}/orders":
                order_id = op.answer["data"]["id"]
                ids = iter([order_id, *(line["id"] for line in final_states[op.session]["slyk"]["lines"]
                                        if line["orderId"] == order_id)])
                fake.new_uuid = lambda ids=ids: next(ids)
            else:
                fake.new_uuid = original
            response = client.open(op.path, method=op.method, headers=op.headers,
                                   data=None if op.body is None else json.dumps(op.body))
            answer = response.get_json() if response.data else None
            if (response.status_code, answer) != (op.status, op.answer):
                differences.append(f"{op.session} actor {op.actor} #{op.index} {op.method} {op.path}: "
                                   f"{op.status} {op.answer!r:.200} then {response.status_code} {answer!r:.200}")
    finally:
        fake.new_uuid = original
    return app, differences


# -- invariants ---------------------------------------------------------------------------------------------
def invariant_violations(state: dict, seeded: dict) -> list[str]:
    found = []
    for table in ("orders",):
        for api in ("shop", "slyk"):
            ids = [r["id"] for r in state[api][table]]
            if len(ids) != len(set(ids)):
                found.append(f"{api}.{table}: duplicate ids")
    item_ids = [item["id"] for order in state["shop"]["orders"] for item in order["items"]]
    if len(item_ids) != len(set(item_ids)):
        found.append("shop: duplicate order item ids")
    for order in state["shop"]["orders"]:
        if order["status"] not in shop_states.STATUSES:
            found.append(f"shop order {order['id']}: status {order['status']}")
        for item in order["items"]:
            if Decimal(item["total_price"]) != Decimal(item["price"]) * item["quantity"]:
                found.append(f"shop order {order['id']}: item {item['id']} total")
        if Decimal(order["total_price"]) != sum(Decimal(i["total_price"]) for i in order["items"]):
            found.append(f"shop order {order['id']}: total {order['total_price']} is not its items'")

    lines_of: dict[str, list[dict]] = {}
    for line in state["slyk"]["lines"]:
        lines_of.setdefault(line["orderId"], []).append(line)
        if not 0 <= line["fulfilledQuantity"] <= line["quantity"]:
            found.append(f"slyk line {line['id']}: fulfilled {line['fulfilledQuantity']} of {line['quantity']}")
        if line["status"] not in slyk_states.LINE_STATUSES:
            found.append(f"slyk line {line['id']}: status {line['status']}")
    seeded_orders = {o["id"]: o for o in seeded["slyk"]["orders"]}
    seeded_lines = {}
    for line in seeded["slyk"]["lines"]:
        seeded_lines.setdefault(line["orderId"], []).append(line)
    for order in state["slyk"]["orders"]:
        oid, lines = order["id"], lines_of.get(order["id"], [])
        if order["orderStatus"] not in slyk_states.ORDER_STATUSES:
            found.append(f"slyk order {oid}: status {order['orderStatus']}")
        if order["paymentStatus"] not in slyk_states.PAYMENT_STATUSES:
            found.append(f"slyk order {oid}: payment status {order['paymentStatus']}")
        if not Decimal(0) <= Decimal(order["paidAmount"]) <= Decimal(order["amount"]):
            found.append(f"slyk order {oid}: paid {order['paidAmount']} of {order['amount']}")
        # Rules the seed's documented oddities break are checked wherever they held when seeded.
        before = seeded_orders.get(oid)
        if before is None or _priced_right(before, seeded_lines.get(oid, [])):
            if not _priced_right(order, lines):
                found.append(f"slyk order {oid}: amount {order['amount']} is not its lines'")
        if before is None or _status_follows(before, seeded_lines.get(oid, [])):
            if not _status_follows(order, lines):
                found.append(f"slyk order {oid}: {order['orderStatus']} with lines "
                             f"{[(l['fulfilledQuantity'], l['quantity']) for l in lines]}")
    return found


def _priced_right(order: dict, lines: list[dict]) -> bool:
    goods = sum((Decimal(l["unitPrice"]) - Decimal(l["unitBonus"])) * l["quantity"] for l in lines)
    return Decimal(order["amount"]) - Decimal(order["shippingAmount"]) == goods


def _status_follows(order: dict, lines: list[dict]) -> bool:
    if order["orderStatus"] not in (slyk_states.FULFILLED, slyk_states.UNFULFILLED):
        return True
    return order["orderStatus"] == slyk_states.order_status_for_lines(lines) and all(
        line["status"] == slyk_states.line_status(line["quantity"], line["fulfilledQuantity"]) for line in lines)


# -- the tests ----------------------------------------------------------------------------------------------
def test_32_threads_across_sessions_equal_a_serial_replay(server):
    seeded = exported(server, "default")
    for session in SESSIONS:
        requests.post(server.base_url + "/__sandbox/reset", headers=_session(session)).raise_for_status()
    actors = make_actors(seeded, SESSIONS, ACTORS_PER_SESSION)
    run(server.base_url, actors, OPS_EACH)

    ops = [op for actor in actors for op in actor.ops]
    assert len(ops) == len(actors) * OPS_EACH and all(op.status is not None for op in ops)
    assert not [op for op in ops if op.status >= 500], "a 5xx under concurrency"
    written = [op for op in ops if op.ok and op.method != "GET"]
    assert len(written) > len(ops) // 4, "the load must mostly write"

    finals = {session: exported(server, session) for session in SESSIONS}
    for session, state in finals.items():
        assert not invariant_violations(state, seeded), (session, invariant_violations(state, seeded)[:10])

    created = {session: {op.answer["data"]["id"] if op.api == "slyk" else op.answer["order"]["id"]
                         for op in written if op.session == session and op.method == "POST"
                         and op.path in (f"{SHOP}/orders", f"{SLYK}/orders")} for session in SESSIONS}
    for session in SESSIONS:
        others = {oid for name, ids in created.items() if name != session for oid in ids
                  if isinstance(oid, str)}       # slyk ids are unique across sessions; shop ids are per session
        assert not others & {o["id"] for o in finals[session]["slyk"]["orders"]}, f"{session} sees others' orders"

    for session in SESSIONS:
        by_actor = [actor.ops for actor in actors if actor.session == session]
        app, differences = replay(serial_order(by_actor), finals)
        assert not differences, "\n".join(differences[:10])
        box = app.extensions["sandbox"]
        replayed = json.loads(json.dumps({api: box.store.state(api, session).export() for api in box.apis}))
        for api in replayed:
            # Rows keyed by id: two actors' new slyk orders may be stored in either order.
            assert by_id(replayed[api]) == by_id(finals[session][api]), f"{session}/{api} differs from the replay"


def test_32_threads_on_the_same_records_lose_no_update(server):
    session = {"X-Sandbox-Session": "contended"}
    requests.post(server.base_url + "/__sandbox/reset", headers=session).raise_for_status()
    seeded = exported(server, "contended")
    order = next(o for o in seeded["slyk"]["orders"] if o["orderStatus"] == "unfulfilled"
                 and o["paymentStatus"] == "unpaid"
                 and sum(1 for line in seeded["slyk"]["lines"] if line["orderId"] == o["id"]) >= 2)
    lines = [line for line in seeded["slyk"]["lines"] if line["orderId"] == order["id"]]
    shop_auth = {"Authorization": f"Bearer {shop_token(1)}", "X-API-Key": "k"}
    moves: list[tuple[str, str, object, int]] = []
    lock = threading.Lock()

    def fight(number: int):
        dice = random.Random(number)
        with requests.Session() as http:
            for _ in range(12):
                kind = dice.choice(["line fulfill", "line unfulfill", "pay", "refund", "shop update"])
                target = dice.choice(lines)["id"]
                if kind.startswith("line"):
                    path = f"{server.base_url}{SLYK}/orders/{order['id']}/lines/{target}/{kind.split()[1]}"
                    response = http.post(path, json={"quantity": 1}, headers={**session, **SLYK_AUTH})
                elif kind == "shop update":
                    body = {"items": [{"product_sku": "EH-1", "quantity": dice.randint(1, 5)}]}
                    response = http.put(f"{server.base_url}{SHOP}/orders/7", json=body,
                                        headers={**session, **shop_auth})
                else:
                    path = f"{server.base_url}{SLYK}/orders/{order['id']}/{kind}"
                    response = http.post(path, json={"amount": "0.01000000"}, headers={**session, **SLYK_AUTH})
                assert response.status_code < 500, response.text
                with lock:
                    moves.append((kind, target, response.json() if response.content else None,
                                  response.status_code))

    threads = [threading.Thread(target=fight, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(moves) == 32 * 12

    final = exported(server, "contended")
    acked = [(kind, target, answer) for kind, target, answer, status in moves if 200 <= status < 300]
    for line in lines:
        now = next(l for l in final["slyk"]["lines"] if l["id"] == line["id"])
        expected = line["fulfilledQuantity"] + sum(
            (1 if kind == "line fulfill" else -1) for kind, target, _ in acked
            if target == line["id"] and kind.startswith("line"))
        assert now["fulfilledQuantity"] == expected, f"line {line['id']}: a fulfilment was lost"
    paid = sum(Decimal("0.01") * (1 if kind == "pay" else -1) for kind, _, _ in acked if kind in ("pay", "refund"))
    refunded = sum(Decimal("0.01") for kind, _, _ in acked if kind == "refund")
    now = next(o for o in final["slyk"]["orders"] if o["id"] == order["id"])
    assert (Decimal(now["paidAmount"]), Decimal(now["refundedAmount"])) == (paid, refunded)

    updates = [answer["order"] for kind, _, answer in acked if kind == "shop update"]
    taken = [item["id"] for update in updates for item in update["items"]]
    assert updates and len(taken) == len(set(taken)), "two updates were given the same item ids"
    last = max(updates, key=lambda o: o["items"][0]["id"])      # ids are handed out in commit order
    current = requests.get(f"{server.base_url}{SHOP}/orders/7", headers={**session, **shop_auth}).json()["order"]
    assert current == last, "the state is not the last acknowledged update"
    assert not invariant_violations(final, seeded)


def by_id(tables: dict) -> dict:
    return {name: {str(row["id"]): row for row in rows} for name, rows in tables.items()}


def _session(name: str) -> dict:
    return {} if name == "default" else {"X-Sandbox-Session": name}
