"""The rate-limit headers mittwald sends on each response (developer portal, docs/api/intro.mdx):
``X-RateLimit-Limit`` (requests allowed per period), ``X-RateLimit-Remaining`` (left in this period) and
``X-RateLimit-Reset`` (seconds until the next period), counted per access token in fixed periods of the
sandbox clock. Only reported: the sandbox never refuses a request for it (mittwald's limit is not public),
and no emulated route is exempt, so ``X-RateLimit-Exempt`` is never sent."""

from __future__ import annotations

import math
import threading
from datetime import datetime

from .states import RATE_LIMIT, RATE_LIMIT_PERIOD_SECONDS


class RateLimitCounter:
    """Requests per access token in the current fixed period; counters live per app, outside the API's state."""

    def __init__(self, limit: int = RATE_LIMIT, period: int = RATE_LIMIT_PERIOD_SECONDS):
        self.limit, self.period = limit, period
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}   # token -> (period number, requests in it)

    def count(self, token: str, now: datetime) -> dict[str, str]:
        """Count one request of ``token`` at ``now``; the three headers for its response."""
        moment = now.timestamp()
        current = int(moment // self.period)
        with self._lock:
            period, used = self._counts.get(token, (current, 0))
            used = used + 1 if period == current else 1
            self._counts[token] = (current, used)
            if len(self._counts) > 10_000:   # tokens of past periods say nothing any more
                self._counts = {t: c for t, c in self._counts.items() if c[0] == current}
        reset = max(1, math.ceil((current + 1) * self.period - moment))
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(max(0, self.limit - used)),
                "X-RateLimit-Reset": str(reset)}
