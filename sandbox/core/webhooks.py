"""Webhooks: subscriptions, an outbox of every event, and a background sender with bounded retries.

A backend emits an event after its transaction commits (``Backend.emit``); every event lands in the
session's outbox, with one delivery per matching subscription. A daemon thread POSTs due deliveries
(JSON, a short timeout) and retries a failed one with exponential backoff up to ``max_attempts``;
``flush`` delivers everything pending at once, for deterministic tests. Nothing here runs on the request
path except appending to the outbox, so a receiver that is down never slows or fails the API request.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


def _now_iso(clock=None) -> str:
    moment = clock.now() if clock else datetime.now(timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


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

    def as_json(self) -> dict:
        return {"subscription": self.subscription, "url": self.url, "status": self.status,
                "attempts": list(self.attempts)}


@dataclass
class Event:
    id: str
    api: str
    name: str
    created_at: str
    body: dict                        # what is POSTed
    deliveries: list[Delivery]

    def as_json(self) -> dict:
        return {"id": self.id, "api": self.api, "event": self.name, "created_at": self.created_at,
                "payload": self.body, "deliveries": [d.as_json() for d in self.deliveries]}


class Webhooks:
    def __init__(self, clock=None, *, max_attempts: int = 5, backoff_seconds: float = 0.5,
                 timeout_seconds: float = 2.0, outbox_size: int = 1000):
        self.clock = clock
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self._outbox_size = outbox_size
        self._lock = threading.Condition()
        self._subscriptions: dict[str, list[Subscription]] = {}
        self._outbox: dict[str, deque[Event]] = {}
        self._ids = itertools.count(1)
        self._sender: threading.Thread | None = None

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
            kept = [s for s in self._subscriptions.get(session, ())
                    if subscription_id is not None and s.id != subscription_id]
            removed = len(self._subscriptions.get(session, ())) != len(kept)
            self._subscriptions[session] = kept
            return removed

    # -- events -----------------------------------------------------------------------------------
    def sink(self, api: str, session: str) -> Callable[[str, dict], None]:
        """What a backend calls (after commit) to emit ``event`` with ``payload``."""
        return lambda event, payload: self.enqueue(session, api, event, payload)

    def enqueue(self, session: str, api: str, name: str, payload: dict) -> Event:
        # Not uuid.uuid4(): tests that pin an API's uuids (to replay it) must not see events draw from them.
        event_id = str(uuid.UUID(bytes=os.urandom(16), version=4))
        created = _now_iso(self.clock)
        with self._lock:
            deliveries = [Delivery(s.id, s.url, due=time.monotonic())
                          for s in self._subscriptions.get(session, ()) if s.wants(api, name)]
            event = Event(event_id, api, name, created,
                          {"id": event_id, "event": name, "createdAt": created, "data": payload}, deliveries)
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
        """Attempt every pending delivery of the session now, whatever its backoff, and wait for those the
        background sender has in flight; returns the outbox, every attempt of this flush recorded in it."""
        with self._lock:
            todo = [(e, d) for e in self._outbox.get(session, ()) for d in e.deliveries
                    if d.status == PENDING and not d.in_flight]
            for _, delivery in todo:
                delivery.in_flight = True
        for event, delivery in todo:
            self._attempt(event, delivery)
        deadline = time.monotonic() + self.timeout_seconds + 1
        with self._lock:
            while any(d.in_flight for e in self._outbox.get(session, ()) for d in e.deliveries):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
        return self.outbox(session)

    def _due(self) -> tuple[list[tuple[Event, Delivery]], float | None]:
        now, due, next_at = time.monotonic(), [], None
        for outbox in self._outbox.values():
            for event in outbox:
                for delivery in event.deliveries:
                    if delivery.status != PENDING or delivery.in_flight:
                        continue
                    if delivery.due <= now:
                        delivery.in_flight = True
                        due.append((event, delivery))
                    elif next_at is None or delivery.due < next_at:
                        next_at = delivery.due
        return due, next_at

    def _run(self) -> None:
        while True:
            with self._lock:
                due, next_at = self._due()
                if not due:
                    self._lock.wait(timeout=None if next_at is None else max(0.0, next_at - time.monotonic()))
                    continue
            for event, delivery in due:
                self._attempt(event, delivery)

    def _start_sender(self) -> None:
        if self._sender is None:
            self._sender = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
            self._sender.start()

    def _attempt(self, event: Event, delivery: Delivery) -> None:
        started = time.perf_counter()
        attempt: dict[str, Any] = {"at": _now_iso()}
        try:
            request = urllib.request.Request(
                delivery.url, data=json.dumps(event.body).encode(), method="POST",
                headers={"Content-Type": "application/json", "User-Agent": "order-sandbox-webhooks",
                         "X-Sandbox-Event": event.name, "X-Sandbox-Event-Id": event.id})
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                attempt["status_code"] = response.status
                ok = 200 <= response.status < 300
        except urllib.error.HTTPError as error:
            attempt["status_code"], ok = error.code, False
        except (OSError, ValueError) as error:
            attempt["error"], ok = str(getattr(error, "reason", error)), False
        attempt["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        with self._lock:
            delivery.attempts.append(attempt)
            delivery.in_flight = False
            if ok:
                delivery.status = DELIVERED
            elif len(delivery.attempts) >= self.max_attempts:
                delivery.status = FAILED
            else:
                delivery.due = time.monotonic() + self.backoff_seconds * 2 ** (len(delivery.attempts) - 1)
            self._lock.notify_all()     # the sender (a new due time) and flush (nothing in flight) wait on it
