"""The rules every API enforces, with their sources and state tables."""

from __future__ import annotations

from sandbox.control import schemas as S
from sandbox.control.base import api_names, box, bp
from sandbox.core.openapi import documented
from sandbox.core.rules import catalogue, machines


@bp.get("/rules")
@documented(response=S.RulesOut, query=S.ApiQueryIn, errors=(404,))
def list_rules():
    """GET /__sandbox/rules[?api=NAME]: every rule the APIs enforce, with its source and state tables."""
    specs = [box().apis[name] for name in api_names()]
    return {"rules": [rule for spec in specs for rule in catalogue(spec)],
            "machines": [machine for spec in specs for machine in machines(spec)]}
