"""The clock every timestamp comes from: read, freeze, advance, back to real time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sandbox.control import schemas as S
from sandbox.control.base import box, bp, now_iso, request_json
from sandbox.core import errors
from sandbox.core.openapi import documented
from sandbox.core.validation import load

CLOCK_RANGE = (datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(9000, 12, 31, tzinfo=timezone.utc))


def _clock_state():
    return {"now": now_iso(), "frozen": box().clock.frozen}


@bp.get("/clock")
@documented("GET /__sandbox/clock: the time every timestamp comes from.", response=S.ClockOut)
def get_clock():
    return _clock_state()


@bp.put("/clock")
@documented(response=S.ClockOut, body=S.ClockIn, errors=(400,), example={"now": "2025-03-31T09:00:00Z"})
def set_clock():
    """PUT /__sandbox/clock {"now": "2025-03-31T09:00:00Z"} freezes; {"advance_seconds": N} moves it."""
    body = load(S.ClockIn(), request_json())
    clock = box().clock
    moment, seconds = body.get("now"), body.get("advance_seconds", 0)
    # Every timestamp an API writes must stay a valid RFC 3339 / Ymd date: keep the clock within 1970-9000.
    try:
        target = (moment or clock.now()) + timedelta(seconds=seconds)
    except OverflowError:
        target = None
    if target is None or not CLOCK_RANGE[0] <= target <= CLOCK_RANGE[1]:
        raise errors.Invalid("The clock must stay between 1970-01-01 and 9000-12-31.",
                             details={"now": ["The resulting time must be between 1970-01-01 and 9000-12-31."]})
    if moment is not None:
        clock.freeze(moment)
    if seconds:
        clock.advance(seconds)
    return _clock_state()


@bp.delete("/clock")
@documented("DELETE /__sandbox/clock: back to the real time.", response=S.ClockOut)
def real_clock():
    box().clock.unfreeze()
    return _clock_state()
