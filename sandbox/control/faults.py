"""Fault rules: answers, delays and dropped connections on chosen requests."""

from __future__ import annotations

from sandbox.control import schemas as S
from sandbox.control.base import box, bp, request_json
from sandbox.core import errors
from sandbox.core.api import session_name
from sandbox.core.faults import FaultIn, parse_rule
from sandbox.core.openapi import documented


@bp.post("/faults")
@documented(response=S.FaultOut, status=201, body=FaultIn, errors=(400,),
            example={"api": "slyk", "method": "POST", "path": "/orders", "status": 503, "times": 1})
def add_fault():
    """POST /__sandbox/faults {api, method, path, status, body, message, delay_ms, drop, times, probability}."""
    rule = box().faults.add(session_name(), parse_rule(request_json(), list(box().apis)))
    return rule.as_json(), 201


@bp.get("/faults")
@documented("GET /__sandbox/faults: the fault rules with how often each fired.", response=S.FaultsOut)
def list_faults():
    return {"faults": [rule.as_json() for rule in box().faults.rules(session_name())]}


@bp.delete("/faults")
@documented("DELETE /__sandbox/faults: remove every fault rule.", response=None, status=204)
def clear_faults():
    box().faults.clear(session_name())
    return "", 204


@bp.delete("/faults/<int:fault_id>")
@documented("DELETE /__sandbox/faults/{id}: remove one fault rule.", response=None, status=204, params={"fault_id": "1"})
def remove_fault(fault_id):
    if not box().faults.remove(session_name(), fault_id):
        raise errors.NotFound(f"No fault rule {fault_id} in session {session_name()!r}.")
    return "", 204
