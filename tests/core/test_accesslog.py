"""The access log never blocks or fails a request: a full or closed stream loses lines, counted, said once."""

from __future__ import annotations

import io
import os
import time

from sandbox.core.accesslog import AccessLog


def _wait_for(condition, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_lines_reach_the_stream_in_order():
    stream = io.StringIO()
    log = AccessLog(stream)
    log.write("GET", "/slyk/orders", "page[size]=5", 200, 0.84)
    log.write("POST", "/slyk/orders", "", 201, 1.25)
    log.close(5)
    lines = stream.getvalue().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["GET /slyk/orders?page[size]=5 200 0.8ms",
                                                         "POST /slyk/orders 201 1.2ms"]


def test_a_stream_nobody_reads_drops_lines_beyond_the_queue_and_says_so_once():
    read_end, write_end = os.pipe()
    notices = io.StringIO()
    log = None
    try:
        with os.fdopen(write_end, "w", closefd=False) as stream:
            log = AccessLog(stream, capacity=50, notices=notices)
            started = time.perf_counter()
            for n in range(5000):                  # ~0.5 MB of lines: the pipe (64 kB) fills, then the queue
                log.write("GET", "/appx/api/v1/orders/15", "x" * 80, 200, 0.5)
            assert time.perf_counter() - started < 2   # never blocked on the full pipe
            assert _wait_for(lambda: "being dropped" in notices.getvalue())
            assert log.dropped > 4000
            assert notices.getvalue().count("being dropped") == 1
    finally:
        os.close(read_end)                         # unblocks the writer (EPIPE) ...
        if log is not None:
            log.close(5)                           # ... which drains the queue before its fd goes away
        os.close(write_end)


def test_a_stream_whose_reader_is_gone_drops_lines_and_never_raises():
    read_end, write_end = os.pipe()
    os.close(read_end)                             # `sandbox serve | head`: the reader has gone
    notices = io.StringIO()
    try:
        with os.fdopen(write_end, "w", closefd=False) as stream:
            log = AccessLog(stream, notices=notices)
            for _ in range(10):
                log.write("GET", "/__sandbox/health", "", 200, 0.1)
            assert _wait_for(lambda: log.dropped == 10)
            assert _wait_for(lambda: notices.getvalue().count("being dropped") == 1)
            log.close(5)
    finally:
        os.close(write_end)
