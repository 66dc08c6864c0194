"""Webhooks: subscriptions, an outbox of every event, and background senders with bounded retries.

A backend emits an event after its transaction commits (``Backend.emit``); every event lands in the
session's outbox, with one delivery per matching subscription. A dispatcher thread hands due deliveries to a
bounded pool of senders (``senders``), at most one at a time per receiver (scheme, host, port), so a slow or
dead receiver holds one sender and never delays deliveries to the others; a receiver gets its events in order.
Each attempt is one POST through ``core.outbound`` (allowed targets only, no redirects, a deadline); a failed
one is retried with exponential backoff up to ``max_attempts``. ``flush`` attempts everything pending of a
session at once, for deterministic tests, and answers by its deadline. Nothing here runs on the request path
except appending to the outbox, so a receiver that is down never slows or fails the API request.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import threading
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

from sandbox.core.outbound import PRIVATE_NETWORKS, Refused, Targets, TimedOut, post

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


def _now(clock=None) -> datetime:
    return clock.now() if clock else datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _now_iso(clock=None) -> str:
    return _iso(_now(clock))


@dataclass
class Subscription:
    id: int
    api: str
    url: str
    events: tuple[str, ...]          # empty: every event of the API

    def wants(self, api: str, event: str) -> bool:
        return self.api == api and (not self.events or event in self.events)

    def as_json(self) -> dict:
        return {"id": self.id, "api": self.api, "url": self.url, "events": list(self.events)}


@dataclass
class Delivery:
    subscription: int
    url: str
    status: str = PENDING
    attempts: list[dict] = field(default_factory=list)
    due: float = 0.0                 # time.monotonic() of the next attempt
    in_flight: bool = False

    @property
    def receiver(self) -> str:
        """Deliveries to one receiver go one at a time: what it is keyed by."""
        try:
            parts = urlsplit(self.url)
            return f"{parts.scheme}://{parts.hostname}:{parts.port}"
        except ValueError:
            return self.url

    def as_json(self) -> dict:
        return {"subscription": self.subscription, "url": self.url, "status": self.status,
                "attempts": list(self.attempts)}


class Event:
    """One emitted event. Built on every write's path, so what only a reader of the outbox or a delivery needs (the
    id's text, the timestamp's, the POSTed body) is made the first time it is asked for, from what was drawn at the
    write: its 16 random bytes and the clock's instant."""
    __slots__ = ("api", "name", "payload", "deliveries", "_random", "_moment", "_id", "_created_at", "_body")

    def __init__(self, random: bytes, api: str, name: str, moment: datetime, payload: dict,
                 deliveries: list[Delivery]):
        self.api, self.name, self.payload, self.deliveries = api, name, payload, deliveries
        self._random, self._moment = random, moment
        self._id = self._created_at = self._body = None

    @property
    def id(self) -> str:
        if self._id is None:
            self._id = str(uuid.UUID(bytes=self._random, version=4))
        return self._id

    @property
    def created_at(self) -> str:
        if self._created_at is None:
            self._created_at = _iso(self._moment)
        return self._created_at

    @property
    def body(self) -> dict:
        """What is POSTed."""
        if self._body is None:
            self._body = {"id": self.id, "event": self.name, "createdAt": self.created_at, "data": self.payload}
        return self._body

    def as_json(self) -> dict:
        return {"id": self.id, "api": self.api, "event": self.name, "created_at": self.created_at,
                "payload": self.body, "deliveries": [d.as_json() for d in self.deliveries]}


class Webhooks:
    def __init__(self, clock=None, *, max_attempts: int = 5, backoff_seconds: float = 0.5,
                 timeout_seconds: float = 2.0, outbox_size: int = 1000, targets: str = PRIVATE_NETWORKS,
                 senders: int = 8, flush_seconds: float = 10.0):
        self.clock = clock
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self.targets = Targets.parse(targets)
        self.senders = max(1, senders)
        self.flush_seconds = flush_seconds
        self._outbox_size = outbox_size
        self._lock = threading.Condition()
        self._subscriptions: dict[str, list[Subscription]] = {}
        self._outbox: dict[str, deque[Event]] = {}
        self._ids = itertools.count(1)
        self._sender: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._busy: set[str] = set()         # receivers with an attempt in flight

    # -- subscriptions ----------------------------------------------------------------------------
    def subscribe(self, session: str, api: str, url: str, events: list[str]) -> Subscription:
        subscription = Subscription(next(self._ids), api, url, tuple(events))
        with self._lock:
            self._subscriptions.setdefault(session, []).append(subscription)
            self._start_sender()
        return subscription

    def subscriptions(self, session: str) -> list[Subscription]:
        with self._lock:
            return list(self._subscriptions.get(session, ()))

    def unsubscribe(self, session: str, subscription_id: int | None = None) -> bool:
        with self._lock:
            subscriptions = self._subscriptions.get(session)
            kept = [s for s in subscriptions or () if subscription_id is not None and s.id != subscription_id]
            if subscriptions is None or len(kept) == len(subscriptions):
                return False            # nothing kept for a session that had nothing
            self._subscriptions[session] = kept
            return True

    # -- events -----------------------------------------------------------------------------------
    def sink(self, api: str, session: str) -> Callable[[str, dict], None]:
        """What a backend calls (after commit) to emit ``event`` with ``payload``."""
        return lambda event, payload: self.enqueue(session, api, event, payload)

    def enqueue(self, session: str, api: str, name: str, payload: dict) -> Event:
        # Not uuid.uuid4(): tests that pin an API's uuids (to replay it) must not see events draw from them.
        random, moment = os.urandom(16), _now(self.clock)
        with self._lock:
            subscriptions = self._subscriptions.get(session)
            deliveries = [Delivery(s.id, s.url, due=time.monotonic())
                          for s in subscriptions if s.wants(api, name)] if subscriptions else []
            event = Event(random, api, name, moment, payload, deliveries)
            outbox = self._outbox.get(session)
            if outbox is None:
                outbox = self._outbox[session] = deque(maxlen=self._outbox_size)
            outbox.append(event)
            if deliveries:
                self._lock.notify_all()
        return event

    def outbox(self, session: str, *, api: str | None = None, event: str | None = None) -> list[Event]:
        with self._lock:
            return [e for e in self._outbox.get(session, ())
                    if (api is None or e.api == api) and (event is None or e.name == event)]

    def clear(self, session: str, api: str | None = None) -> None:
        """Forget the session's outbox and subscriptions (of one API, or all): what reset does."""
        with self._lock:
            if api is None:
                self._outbox.pop(session, None)
                self._subscriptions.pop(session, None)
                return
            if session in self._outbox:
                self._outbox[session] = deque((e for e in self._outbox[session] if e.api != api),
                                              maxlen=self._outbox_size)
            if session in self._subscriptions:
                self._subscriptions[session] = [s for s in self._subscriptions[session] if s.api != api]

    # -- delivery ---------------------------------------------------------------------------------
    def flush(self, session: str) -> list[Event]:
        """Attempt every pending delivery of the session now, whatever its backoff, and wait until each has had
        an attempt (or ``flush_seconds`` pass); returns the outbox, the attempts of this flush recorded in it."""
        deadline = time.monotonic() + self.flush_seconds
        with self._lock:
            todo = [(d, len(d.attempts)) for e in self._outbox.get(session, ()) for d in e.deliveries
                    if d.status == PENDING]
            now = time.monotonic()
            for delivery, _ in todo:
                delivery.due = min(delivery.due, now)
            if todo:
                self._start_sender()
                self._lock.notify_all()
            while any(d.status == PENDING and (d.in_flight or len(d.attempts) == tried) for d, tried in todo):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
        return self.outbox(session)

    def _due(self) -> tuple[list[tuple[Event, Delivery]], float | None]:
        """Due deliveries to hand to the senders now (under the lock): one per idle receiver, while senders
        are free; and when the next one not yet due will be."""
        now, due, next_at = time.monotonic(), [], None
        free = self.senders - len(self._busy)
        for outbox in self._outbox.values():
            for event in outbox:
                for delivery in event.deliveries:
                    if delivery.status != PENDING or delivery.in_flight:
                        continue
                    if delivery.due > now:
                        next_at = delivery.due if next_at is None else min(next_at, delivery.due)
                    elif free > 0 and delivery.receiver not in self._busy:
                        delivery.in_flight = True
                        self._busy.add(delivery.receiver)
                        due.append((event, delivery))
                        free -= 1
        return due, next_at

    def _run(self) -> None:
        while True:
            with self._lock:
                due, next_at = self._due()
                if not due:
                    # Woken by a new event, a flush or a finished attempt (a sender and a receiver free again).
                    self._lock.wait(timeout=None if next_at is None else max(0.0, next_at - time.monotonic()))
                    continue
            for event, delivery in due:
                try:
                    self._pool.submit(self._attempt, event, delivery)
                except RuntimeError:    # the interpreter is exiting: its pools take no more work
                    return

    def _start_sender(self) -> None:
        if self._sender is None:
            self._pool = ThreadPoolExecutor(max_workers=self.senders, thread_name_prefix="sandbox-webhook")
            self._sender = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
            self._sender.start()

    def _attempt(self, event: Event, delivery: Delivery) -> None:
        started = time.perf_counter()
        attempt: dict[str, Any] = {"at": _now_iso()}
        ok = False
        try:
            status, location = post(
                delivery.url, json.dumps(event.body).encode(), timeout=self.timeout_seconds, targets=self.targets,
                headers={"Content-Type": "application/json", "User-Agent": "order-sandbox-webhooks",
                         "X-Sandbox-Event": event.name, "X-Sandbox-Event-Id": event.id})
            attempt["status_code"], ok = status, 200 <= status < 300
            if 300 <= status < 400:
                attempt["error"] = f"redirect not followed (Location: {(location or '')[:200]})"
        except (Refused, TimedOut) as error:
            attempt["error"] = str(error)
        except (OSError, ValueError, http.client.HTTPException) as error:
            attempt["error"] = str(getattr(error, "reason", error)) or type(error).__name__
        except Exception as error:        # a sender thread must never die: record it, go on
            attempt["error"] = f"{type(error).__name__}: {error}"
        attempt["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        with self._lock:
            delivery.attempts.append(attempt)
            delivery.in_flight = False
            self._busy.discard(delivery.receiver)
            if ok:
                delivery.status = DELIVERED
            elif len(delivery.attempts) >= self.max_attempts:
                delivery.status = FAILED
            else:
                delivery.due = time.monotonic() + self.backoff_seconds * 2 ** (len(delivery.attempts) - 1)
            self._lock.notify_all()     # the dispatcher (a free sender, a new due time) and flush wait on it
