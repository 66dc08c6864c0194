"""Work that a request leaves until its answer has gone out: the journal entry, the access-log line, the side effects
of a kept commit (webhook events), letting go of its contexts.

A client that sends one request at a time waits for every microsecond of work done before its answer, and for none
done after it: the answer's bytes cross to the client, and the next request crosses back, while this work runs
(make bench, slyk creates at one client: ~55 us of ~580 us a round trip). It may only be done after when nothing
can see that it is not done yet. The server allows it (``deferring``) only on granian's own Python thread, which
also hands every later request over, the control plane's included: a request that comes after the answer is
handed over only once this work is done, so it finds the journal entry and the webhook event there. Everywhere
else (the thread pools, the test client, waitress in the pytest plugin) ``later`` runs the work at once, as before.

Nothing here can fail an answer: a step that raises is logged, and the next one still runs.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

log = logging.getLogger("sandbox")

_here = threading.local()      # .pending: the list of the request this thread is answering, while it defers


def later(step: Callable[[], object]) -> None:
    """Run ``step`` once the current request's answer has gone out, where the server allows it; else now."""
    pending = getattr(_here, "pending", None)
    if pending is None:
        step()
    else:
        pending.append(step)


@contextmanager
def deferring() -> Iterator[list]:
    """On this thread, until the block ends, ``later`` keeps its steps in the list given (``run`` runs them)."""
    outer = getattr(_here, "pending", None)
    pending = _here.pending = []
    try:
        yield pending
    finally:
        _here.pending = outer


def run(pending: list) -> None:
    """The steps kept, in the order they came; one that raises is logged and the rest still run. A step that
    defers more work (``later`` inside one) runs it at once: nothing defers by then."""
    for step in pending:
        try:
            step()
        except Exception:           # noqa: BLE001 - the answer is out: nothing can be told but the log
            log.exception("a step left for after the answer failed; the answer went out as it was")
    pending.clear()
