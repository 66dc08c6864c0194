"""Factories and named scenarios: arrange any state in one call, made the way each API makes it.

The per-API knowledge lives in ``sandbox/apis/<api>/factories.py`` (``ApiSpec.factories``); the rules of
making (checked overrides, one transaction, seeded Faker, no webhooks) in ``sandbox.core.factories``. Made
records are ordinary state of this request's session: reset removes them, snapshots keep them; the journal
shows only API calls, so they never appear there."""

from __future__ import annotations

from flask import request
from marshmallow import Schema, validate
from marshmallow import fields as ma

from sandbox.control.base import api_spec, box, bp, request_json
from sandbox.core import factories as F
from sandbox.core.api import session_name
from sandbox.core.openapi import documented
from sandbox.core.validation import load


class FactoryQueryIn(Schema):
    count = ma.Integer(load_default=1, strict=False, validate=validate.Range(min=1, max=F.MAX_COUNT),
                          metadata={"description": f"How many records to make (1..{F.MAX_COUNT}), all or none"})


class FactoryOverridesIn(Schema):
    class Meta:
        description = "Stored field names -> values, as GET /__sandbox/state shows them; {} for all defaults"


class MadeOut(Schema):
    records = ma.List(ma.Dict(), metadata={"description": "The made records as the store holds them"})


class FactoryOut(Schema):
    fields = ma.Dict(keys=ma.String(), values=ma.String(),
                         metadata={"description": "overridable field -> JSON type (\"string|null\": either)"})
    statuses = ma.Dict(keys=ma.String(), values=ma.List(ma.Raw()),
                           metadata={"description": "status field -> the states it accepts (from the API's "
                                                    "state machines, as /__sandbox/rules lists them)"})
    description = ma.String()
    example = ma.Dict(metadata={"description": "A body that makes a record"})


class FactoriesOut(Schema):
    factories = ma.Dict(keys=ma.String(), values=ma.Dict(keys=ma.String(), values=ma.Nested(FactoryOut)),
                            metadata={"description": "api -> table -> what can be made"})


class ArrangedOut(Schema):
    scenario = ma.String()
    records = ma.Dict(keys=ma.String(), values=ma.List(ma.Dict()),
                          metadata={"description": "table -> the records the scenario made"})


class ScenarioOut(Schema):
    api = ma.String()
    name = ma.String()
    description = ma.String()


class ScenariosOut(Schema):
    scenarios = ma.List(ma.Nested(ScenarioOut))


def _state(spec):
    return box().store.state(spec.name, session_name())


def _seed() -> int:
    return int(box().config["SEED"])


@bp.get("/factories")
@documented(response=FactoriesOut)
def list_factories():
    """GET /__sandbox/factories: per API, the tables that can be made, their fields and accepted states."""
    return {"factories": {name: {table: factory.describe() for table, factory in spec.factories.tables.items()}
                          for name, spec in box().apis.items() if spec.factories}}


@bp.post("/factories/<api>/<table>")
@documented(response=MadeOut, status=201, query=FactoryQueryIn, body=FactoryOverridesIn, errors=(400,),
            example={"orderStatus": "fulfilled", "paymentStatus": "fully_paid"},
            params={"api": "slyk", "table": "orders"})
def make_records(api, table):
    """POST /__sandbox/factories/{api}/{table}[?count=N]: make records, built the way the API builds them.

    The body overrides stored fields (unknown field, wrong type, unknown state or a combination the API's
    rules forbid: 400 naming the field, nothing made); an unknown API or table is a 404."""
    spec = api_spec(api)
    count = load(FactoryQueryIn(), request.args.to_dict())["count"]
    overrides = request_json() if request.get_data(cache=True).strip() else {}
    records = F.make(spec, _state(spec), box().clock, _seed(), table, overrides, count)
    return {"records": records}, 201


@bp.get("/scenarios")
@documented(response=ScenariosOut)
def list_scenarios():
    """GET /__sandbox/scenarios: the named arrangements of every API."""
    return {"scenarios": [{"api": name, "name": scenario_name, "description": scenario.description}
                          for name, spec in box().apis.items() if spec.factories
                          for scenario_name, scenario in spec.factories.scenarios.items()]}


@bp.post("/scenarios/<api>/<name>")
@documented(response=ArrangedOut, status=201, params={"api": "shop", "name": "three-processing-orders"})
def arrange_scenario(api, name):
    """POST /__sandbox/scenarios/{api}/{name}: make a named arrangement of records (see GET /scenarios)."""
    spec = api_spec(api)
    return {"scenario": name, "records": F.arrange(spec, _state(spec), box().clock, _seed(), name)}, 201


def document_examples(document: dict, apis) -> dict:
    """Runnable examples in the OpenAPI document: per API and table, the path parameters and a body
    under one name (``slyk-orders``), so a client or Swagger UI can send any of them as it stands."""
    named = {f"{spec.name}-{table}": (spec.name, table, factory)
             for spec in apis.values() if spec.factories for table, factory in spec.factories.tables.items()}
    operation = document["paths"]["/factories/{api}/{table}"]["post"]
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter["name"] in ("api", "table"):
            position = 0 if parameter["name"] == "api" else 1
            parameter["examples"] = {name: {"value": made[position]} for name, made in named.items()}
    content = operation["requestBody"]["content"]["application/json"]
    content["examples"] = {name: {"summary": f"POST /__sandbox/factories/{api}/{table}: {factory.description}",
                                  "value": dict(factory.example)} for name, (api, table, factory) in named.items()}
    scenarios = document["paths"]["/scenarios/{api}/{name}"]["post"]
    for parameter in scenarios.get("parameters", []):
        if parameter.get("in") == "path":
            parameter["examples"] = {f"{spec.name}-{scenario}": {"value": spec.name if parameter["name"] == "api" else scenario}
                                     for spec in apis.values() if spec.factories for scenario in spec.factories.scenarios}
    return document
