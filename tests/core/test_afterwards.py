"""core/afterwards.py: what a request leaves until its answer has gone out, and where it may."""

from __future__ import annotations

import logging
import threading

from sandbox.core import afterwards


def test_later_runs_a_step_at_once_where_nothing_defers():
    ran = []
    afterwards.later(lambda: ran.append("now"))
    assert ran == ["now"]


def test_inside_deferring_steps_wait_for_run_and_run_in_the_order_they_came():
    ran = []
    with afterwards.deferring() as pending:
        afterwards.later(lambda: ran.append(1))
        afterwards.later(lambda: ran.append(2))
        assert ran == []
    afterwards.later(lambda: ran.append("after the block: at once"))
    assert ran == ["after the block: at once"]
    afterwards.run(pending)
    assert ran == ["after the block: at once", 1, 2] and pending == []


def test_a_step_that_raises_is_logged_and_the_rest_still_run(caplog):
    ran = []
    with afterwards.deferring() as pending:
        afterwards.later(lambda: 1 / 0)
        afterwards.later(lambda: ran.append("still"))
    with caplog.at_level(logging.ERROR, logger="sandbox"):
        afterwards.run(pending)
    assert ran == ["still"]
    assert "after the answer failed" in caplog.text and "ZeroDivisionError" in caplog.text


def test_a_step_that_defers_more_runs_it_at_once_and_deferring_blocks_nest():
    ran = []
    with afterwards.deferring() as outer:
        with afterwards.deferring() as inner:
            afterwards.later(lambda: ran.append("inner"))
        afterwards.later(lambda: afterwards.later(lambda: ran.append("from a step")))
    assert inner and len(outer) == 1
    afterwards.run(outer)
    assert ran == ["from a step"]
    afterwards.run(inner)
    assert ran == ["from a step", "inner"]


def test_deferring_holds_for_its_own_thread_only():
    ran = []
    with afterwards.deferring() as pending:
        other = threading.Thread(target=lambda: afterwards.later(lambda: ran.append("other thread")))
        other.start()
        other.join(10)
        assert ran == ["other thread"] and pending == []
