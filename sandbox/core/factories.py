"""Factories: records made the way an API makes them, so a test arranges any state in one call.

Each API declares, in its own ``factories.py``, a ``Factory`` per table that can be made (its overridable
fields with JSON types, the states each status field accepts, and ``make``) and a few named ``Scenario``s.
This module checks the overrides against that declaration, runs ``make`` ``count`` times in one
transaction (a refusal makes nothing), and seeds Faker from the sandbox's seed and the state so far, so the
same calls after a reset give the same records. The backend used has no event sink: made records are
arranged, not happened, so they fire no webhooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from faker import Faker

from sandbox.core import errors
from sandbox.core.clock import Clock
from sandbox.core.fake import faker_for
from sandbox.core.store import ApiState

MAX_COUNT = 500
TIME_RANGE = (datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(9000, 12, 31, tzinfo=timezone.utc))

# JSON type name -> the Python types a JSON body gives for it (bool is not a number in JSON).
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "object": (dict,), "array": (list,), "null": (type(None),),
}


def json_type_ok(value: Any, declared: str) -> bool:
    """``declared`` is one JSON type or several joined by ``|`` (``"string|null"``)."""
    for name in declared.split("|"):
        if isinstance(value, JSON_TYPES[name]) and not (name in ("integer", "number") and isinstance(value, bool)):
            return True
    return False


@dataclass
class Making:
    """What a factory's ``make`` gets: the API's backend over this session's state, a seeded Faker and
    the clock. ``refuse(field, why)`` raises the 400 that names the field."""
    backend: Any
    state: ApiState
    fake: Faker
    clock: Clock
    made: dict[str, list[dict]] = field(default_factory=dict)   # table -> records made so far in this call

    def step(self, field_name: str, action: Callable, *args, **kwargs):
        """Run one of the backend's own writes; if the API's rules refuse it, the field that asked for it
        is the bad override (400 naming it, with the API's own reason)."""
        try:
            return action(*args, **kwargs)
        except errors.Invalid:
            raise
        except errors.SandboxError as exc:
            raise _as_bad_override(exc, self.state.api, field_name) from exc

    def existing(self, table: str, field_name: str, record_id) -> dict:
        """The related record a caller named (``userId``): a 400 naming the field if there is none."""
        found = self.state[table].get(record_id)
        if found is None:
            raise refuse(field_name, f"No {table} record with id {record_id!r}.")
        return found

    def moment(self, overrides: dict, field_name: str) -> datetime:
        """The time an override gives (ISO 8601; a date is its midnight) or now, in UTC and within the
        range the clock keeps (1970..9000), so every date the API derives from it stays printable."""
        if field_name not in overrides:
            return self.clock.now()
        try:
            given = datetime.fromisoformat(overrides[field_name].strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise refuse(field_name, "Must be an ISO 8601 date or time.") from None
        given = given.astimezone(timezone.utc) if given.tzinfo else given.replace(tzinfo=timezone.utc)
        if not TIME_RANGE[0] <= given <= TIME_RANGE[1]:
            raise refuse(field_name, "Must be between 1970-01-01 and 9000-12-31.")
        return given

    def pick(self, table: str) -> dict:
        """A record of ``table`` to relate a made record to (a seeded one, or one made before)."""
        records = self.state[table].all()
        if not records:
            raise errors.Invalid(f"There is no {table} record to relate to; make one first.",
                                 details={table: ["None exist in this session; make one first."]})
        return self.fake.random.choice(records)


def refuse(field_name: str, why: str) -> errors.Invalid:
    return errors.Invalid(f"{field_name}: {why}", details={field_name: [why]})


@dataclass(frozen=True)
class Factory:
    """How the records of one table are made. ``make(making, overrides) -> record`` inserts the record
    (and any related records it needs) and returns it as the store holds it."""
    make: Callable[[Making, dict], dict]
    fields: Mapping[str, str]                                   # overridable field -> JSON type
    statuses: Mapping[str, tuple] = field(default_factory=dict)  # status field -> the values it accepts
    description: str = ""
    example: Mapping[str, Any] = field(default_factory=dict)     # a runnable body, for the OpenAPI document

    def describe(self) -> dict:
        return {"fields": dict(self.fields), "statuses": {k: list(v) for k, v in self.statuses.items()},
                "description": self.description, "example": dict(self.example)}


@dataclass(frozen=True)
class Scenario:
    """A documented multi-record arrangement: ``make(making) -> {table: [records]}``."""
    description: str
    make: Callable[[Making], dict[str, list[dict]]]


@dataclass(frozen=True)
class Factories:
    """An API's factories by table and its scenarios by name (``ApiSpec.factories``)."""
    tables: Mapping[str, Factory]
    scenarios: Mapping[str, Scenario] = field(default_factory=dict)


def check_overrides(factory: Factory, overrides: Any) -> dict:
    """Every problem with the overrides at once, field by field; raises Invalid (400) if any."""
    if not isinstance(overrides, dict):
        raise errors.Invalid("The body must be a JSON object of field overrides ({} for all defaults).",
                             details={"body": ["Expected a JSON object of field -> value."]})
    problems = {}
    for name, value in overrides.items():
        if name not in factory.fields:
            problems[name] = [f"Unknown field; overridable: {', '.join(factory.fields)}."]
        elif not json_type_ok(value, factory.fields[name]):
            problems[name] = [f"Must be of type {factory.fields[name]}."]
        elif name in factory.statuses and value not in factory.statuses[name]:
            problems[name] = [f"Not a state of this API; accepted: {', '.join(map(str, factory.statuses[name]))}."]
    if problems:
        raise errors.Invalid(f"Bad overrides: {', '.join(problems)}.", details=problems)
    return overrides


def _faker(seed: int, state: ApiState, what: str) -> Faker:
    """Seeded from the sandbox's seed, what is made, and the state so far (its tables' sizes and next
    ids): the same sequence of calls from a reset makes the same records."""
    fake = faker_for(state.api, seed)       # the API's own locale, as its seed uses
    shape = ",".join(f"{name}:{len(table)}:{table.next_id()}" for name, table in state.tables.items())
    fake.seed_instance(f"{seed}|{state.api}|{what}|{shape}")
    return fake


def _in_terms_of_fields(run: Callable[[], Any], api: str) -> Any:
    """A refusal of the API's own rules while making (a Conflict, a NotFound) is a bad override: 400."""
    try:
        return run()
    except errors.Invalid:
        raise
    except errors.SandboxError as exc:
        raise _as_bad_override(exc, api, "body") from exc


def _as_bad_override(exc: errors.SandboxError, api: str, field_name: str) -> errors.Invalid:
    """The API's refusal as a 400 naming the field, and the API's rule that refused it (``slyk.<rule>``,
    as /__sandbox/rules lists it: the control plane's X-Sandbox-Rule would name it ``control.<rule>``)."""
    why = f"{exc.message} ({api}.{exc.rule})" if exc.rule else exc.message
    return errors.Invalid(why, details=exc.details or {field_name: [why]})


def make(spec, state: ApiState, clock: Clock, seed: int, table: str, overrides: Any, count: int = 1) -> list[dict]:
    """``count`` records of ``table`` with ``overrides``, all or none."""
    factory = _factories(spec).tables.get(table)
    if factory is None:
        raise errors.NotFound(f"{spec.name} has no factory for {table!r}; "
                              f"known: {', '.join(_factories(spec).tables) or 'none'}.")
    check_overrides(factory, overrides)
    backend = spec.backend(state, clock)       # no event sink: no webhooks for arranged records
    with state.transaction():
        made = []
        for _ in range(count):
            making = Making(backend, state, _faker(seed, state, table), clock)
            made.append(_in_terms_of_fields(lambda: factory.make(making, dict(overrides)), state.api))
    return made


def arrange(spec, state: ApiState, clock: Clock, seed: int, name: str) -> dict[str, list[dict]]:
    scenario = _factories(spec).scenarios.get(name)
    if scenario is None:
        raise errors.NotFound(f"{spec.name} has no scenario {name!r}; "
                              f"known: {', '.join(_factories(spec).scenarios) or 'none'}.")
    backend = spec.backend(state, clock)
    with state.transaction():
        making = Making(backend, state, _faker(seed, state, f"scenario:{name}"), clock)
        return _in_terms_of_fields(lambda: scenario.make(making), state.api)


def _factories(spec) -> Factories:
    return spec.factories or Factories(tables={})


def one_in_each_state(make_order: Callable[[Making, dict], dict], status_field: str, states: tuple,
                      parent: tuple[str, Callable[[Making, dict], dict], str] | None = None):
    """A scenario's ``make``: one order in each state, all of one new ``parent`` (table, its factory's
    make, the order's field that links to it) when given."""
    def arrange(making: Making) -> dict[str, list[dict]]:
        made, link = {}, {}
        if parent is not None:
            table, make_parent, field_name = parent
            made[table] = [make_parent(making, {})]
            link = {field_name: made[table][0]["id"]}
        made["orders"] = [make_order(making, {**link, status_field: state}) for state in states]
        return made
    return arrange


def statuses_of(machine) -> tuple:
    """The states a Transitions table knows: the same tables ``/__sandbox/rules`` lists."""
    return tuple(machine.states)
