"""eFiling's rate limit: 120 requests per 60 s from 08:00 to 18:00 (UK time), 180 otherwise, per brand
(`_rest/1-introduction`); over it, 429 with ``Retry-After`` as a YmdHis timestamp.

Off unless the config key ``FORMATIONS_RATE_LIMIT`` is on. The counters are not state of the emulated API:
they live here, one limiter per app, and neither reset nor snapshots touch them. A brand is an auth key.
Only requests that pass auth and are let through are counted (a refused request does not extend the wait).
Not emulated: any burst allowance or per-end-point limit (nothing public says there is one)."""

from __future__ import annotations

import math
import threading
import weakref
from collections import deque
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sandbox.core.errors import RateLimited

from .states import RATE_LIMIT_OFF_PEAK, RATE_LIMIT_PEAK, RATE_LIMIT_RULE, RATE_PEAK_HOURS, RATE_WINDOW_SECONDS

try:
    UK = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:      # a host without a time-zone database (Windows without tzdata): UTC
    UK = timezone.utc

WINDOW = timedelta(seconds=RATE_WINDOW_SECONDS)


def limit_at(moment: datetime) -> int:
    return RATE_LIMIT_PEAK if moment.astimezone(UK).hour in RATE_PEAK_HOURS else RATE_LIMIT_OFF_PEAK


def uk_ymdhis(moment: datetime) -> str:
    """The moment in UK time as YmdHis, rounded up to the whole second so a retry at that second succeeds."""
    whole = moment.replace(microsecond=0) + timedelta(seconds=math.ceil(moment.microsecond / 1e6))
    return whole.astimezone(UK).strftime("%Y%m%d%H%M%S")


class RateLimiter:
    """A sliding 60 s window of the admitted requests' times, per auth key."""

    def __init__(self):
        self._lock = threading.Lock()
        self._admitted: dict[str, deque[datetime]] = {}

    def admit(self, key: str, now: datetime) -> None:
        """Count one request at ``now``; raise RateLimited (with Retry-After) when the key is over its limit."""
        limit = limit_at(now)
        with self._lock:
            admitted = self._admitted.setdefault(key, deque())
            while admitted and admitted[0] <= now - WINDOW:
                admitted.popleft()
            if len(admitted) >= limit:
                # Once this request leaves the window, fewer than ``limit`` remain in it.
                retry_at = admitted[len(admitted) - limit] + WINDOW
                raise RateLimited(
                    f"Rate limit of {limit} requests per {RATE_WINDOW_SECONDS} seconds exceeded; "
                    f"retry after {uk_ymdhis(retry_at)}.",
                    rule=RATE_LIMIT_RULE, headers={"Retry-After": uk_ymdhis(retry_at)})
            admitted.append(now)


_limiters: "weakref.WeakKeyDictionary[object, RateLimiter]" = weakref.WeakKeyDictionary()
_limiters_lock = threading.Lock()


def limiter_for(owner) -> RateLimiter:
    """The one limiter of ``owner`` (an app): two apps in one process never share counters."""
    with _limiters_lock:
        limiter = _limiters.get(owner)
        if limiter is None:
            limiter = _limiters[owner] = RateLimiter()
        return limiter
