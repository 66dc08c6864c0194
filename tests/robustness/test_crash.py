"""Crash safety: ``sandbox serve --data-dir DIR`` killed with SIGKILL in the middle of a write load against
shop and slyk, then started again on the same DIR, holds every acknowledged write (at 1k and 20k orders
per API: the second start loads the files, it seeds nothing) and leaves no temporary file.

Each record's state after the restart must be the one the last acknowledged write to it answered with;
only a record the actor's request in flight (sent, never answered) was changing may have moved on."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import requests

from tests.robustness.workload import SHOP, SLYK, SLYK_AUTH, Op, make_actors, run, shop_token
from tests.test_cli import Server

ACTORS = 8
ENOUGH_WRITES = 60
EMBEDS = ("order", "lines", "product", "user")   # related records, shown differently by reads and writes


def acknowledged_writes(actors) -> list[Op]:
    return [op for actor in actors for op in actor.ops if op.ok and op.method != "GET"]


def record_of(op: Op) -> tuple[str, str]:
    """(api, order id) the request wrote to."""
    if op.method == "POST" and op.path in (f"{SHOP}/orders", f"{SLYK}/orders"):
        created = op.answer["order"]["id"] if op.api == "shop" else op.answer["data"]["id"]
        return op.api, str(created)
    base = f"{SHOP}/orders/" if op.api == "shop" else f"{SLYK}/orders/"
    return op.api, op.path[len(base):].split("/")[0]


def disagreements(op: Op, current: dict) -> list[str]:
    """Where the record read after the restart differs from what ``op`` acknowledged."""
    if op.api == "shop":
        same = current["order"] == op.answer["order"]
        return [] if same else [f"{op.path}: {op.answer['order']} != {current['order']}"]
    order = current["data"]
    if op.answer is None:                       # cancel answers 204
        return [] if order["orderStatus"] == "canceled" else [f"{op.path}: not canceled after the restart"]
    answered = op.answer["data"]
    if "order" in answered:                     # a line: the line and its order
        line = next(l for l in order["lines"] if l["id"] == answered["id"])
        pairs = [(answered, line), (answered["order"], order)]
    else:
        pairs = [(answered, order)]
    return [f"{op.path}: {key} {before[key]!r} != {after[key]!r}"
            for before, after in pairs for key in before if key in after and key not in EMBEDS
            and before[key] != after[key]]


@pytest.mark.parametrize("orders", [1000, 20000])
def test_kill_9_mid_load_keeps_every_acknowledged_write(tmp_path, monkeypatch, orders):
    monkeypatch.setenv("SANDBOX_SHOP_USERS", ",".join(f"{shop_token(u)}:{u}" for u in range(1, ACTORS + 1)))
    server = Server("--data-dir", str(tmp_path), "--quiet", "--seed-orders", str(orders), start_timeout=600)
    seeded = {api: requests.get(f"{server.url}/__sandbox/state?api={api}", timeout=300).json()["apis"][api]
              for api in ("shop", "slyk")}
    actors = make_actors(seeded, ["default"], ACTORS)
    stop = threading.Event()
    load = threading.Thread(target=run, args=(server.url, actors, 100_000, stop))
    load.start()
    deadline = time.monotonic() + 20
    while len(acknowledged_writes(actors)) < ENOUGH_WRITES and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=10)
    stop.set()
    load.join(timeout=30)
    server.process.stdout.close()
    written = acknowledged_writes(actors)
    assert len(written) >= ENOUGH_WRITES, f"only {len(written)} writes were acknowledged"

    again = Server("--data-dir", str(tmp_path), "--quiet", start_timeout=120)
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")], "no temporary file is left"
    try:
        in_flight = {record_of(op) for actor in actors for op in actor.ops[-1:]
                     if op.status is None and op.method != "GET" and not op.path.endswith("/orders")}
        last_write: dict[tuple[str, str], Op] = {}
        for op in written:
            last_write[record_of(op)] = op
        problems = []
        for (api, order_id), op in last_write.items():
            headers = SLYK_AUTH if api == "slyk" else {
                "Authorization": f"Bearer {shop_token(actors[op.actor].shop_user)}", "X-API-Key": "k"}
            status, current = again.get(f"{SHOP if api == 'shop' else SLYK}/orders/{order_id}", headers)
            if status != 200:
                problems.append(f"{api} order {order_id}: {status} after the restart")
            elif (api, order_id) not in in_flight:
                problems.extend(disagreements(op, current))
        assert not problems, "\n".join(problems[:10])
    finally:
        again.stop()
