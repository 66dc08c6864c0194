"""What the dashboard may offer on a Slyk order beyond its two state machines (``describe.allowed_verbs``
reads those): a payment also needs a placed order that is not canceled (``states.check_open``), while a
refund is the payment machine's alone (canceled orders included, as the backend allows)."""

from __future__ import annotations

from typing import Any, Mapping

from sandbox.core.errors import Conflict

from . import states


def offers(order: Mapping[str, Any], verb: str) -> bool:
    if verb != "pay":
        return True
    try:
        states.check_open(order["orderStatus"])
    except Conflict:
        return False
    return True
