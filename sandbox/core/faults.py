"""Fault injection: rules that delay a request, answer it with a forced error, or drop the connection.

A rule matches an API (or ``*``), a method (or ``*``) and a path glob (matched against the full sandbox
path and the path below the API's mount). ``times`` bounds how often it fires; ``probability`` makes it
fire at random, from a generator seeded with the sandbox seed, the session and the rule's place among the
session's rules since they were last cleared, so a test run repeats whatever ran before it.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from sandbox.core.errors import Invalid
from sandbox.core.validation import StrictBoolean, StrictInteger, StrictNumber, load

_UNSET = object()


@dataclass
class FaultRule:
    id: int
    api: str = "*"
    method: str = "*"
    path: str = "*"
    status: int | None = None
    body: Any = _UNSET
    message: str = "Fault injected by the sandbox."
    delay_ms: int = 0
    drop: bool = False
    times: int | None = None
    probability: float = 1.0
    fired: int = 0
    _random: random.Random = field(default=None, repr=False)

    def matches(self, api: str, method: str, paths: tuple[str, ...]) -> bool:
        return ((self.api in ("*", api)) and self.method in ("*", method)
                and any(fnmatch.fnmatchcase(p, self.path) for p in paths))

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    @property
    def has_body(self) -> bool:
        return self.body is not _UNSET

    def as_json(self) -> dict:
        data = {"id": self.id, "api": self.api, "method": self.method, "path": self.path, "status": self.status,
                "message": self.message, "delay_ms": self.delay_ms, "drop": self.drop, "times": self.times,
                "probability": self.probability, "fired": self.fired}
        if self.has_body:
            data["body"] = self.body
        return data


class FaultIn(Schema):
    """A fault rule as POSTed to /__sandbox/faults (the control plane's OpenAPI document shows this schema)."""
    api = fields.String(metadata={"description": "An API name or *"})
    method = fields.String()
    path = fields.String(metadata={"description": "A glob against the full path or the path below the mount"})
    status = StrictInteger(allow_none=True, validate=validate.Range(
        400, 599, error="Must be an error status between 400 and 599 (a delay alone needs none)."))
    body = fields.Raw(allow_none=True, metadata={"description": "Answer this body instead of an error in the API's shape"})
    message = fields.String()
    delay_ms = StrictInteger(validate=validate.Range(0, 60_000))
    drop = StrictBoolean()
    times = StrictInteger(allow_none=True, validate=validate.Range(
        min=1, error="Must be at least 1 (leave it out for no limit)."))
    probability = StrictNumber(validate=validate.Range(0, 1))

    @validates_schema
    def has_an_effect(self, data, **kwargs):
        if not (data.get("status") or data.get("delay_ms") or data.get("drop")):
            raise ValidationError("A rule needs a status, a delay_ms or drop: true.")


fault_in = FaultIn()


def parse_rule(data: Any, known_apis: list[str]) -> dict:
    """Validate a rule document; raises Invalid listing every bad field."""
    if not isinstance(data, dict):
        raise Invalid("A fault rule is a JSON object.", details={"_schema": ["Expected a JSON object."]})
    rule = load(fault_in, data)
    if rule.get("api", "*") not in ["*", *known_apis]:
        raise Invalid("Unknown API.", details={"api": [f"Unknown API; one of: *, {', '.join(known_apis)}."]})
    if "method" in rule:
        rule["method"] = rule["method"].upper()
    return rule


class Faults:
    def __init__(self, seed: int = 42):
        self.seed = seed
        self._lock = threading.Lock()
        self._rules: dict[str, list[FaultRule]] = {}
        self._added: dict[str, int] = {}          # rules added to a session since it was last cleared
        self._ids = itertools.count(1)

    def add(self, session: str, rule: dict) -> FaultRule:
        with self._lock:
            rules = self._rules.setdefault(session, [])
            place = self._added.get(session, 0)
            self._added[session] = place + 1
            created = FaultRule(id=next(self._ids), **rule,
                                _random=random.Random(f"{self.seed}:{session}:{place}"))
            rules.append(created)
        return created

    def rules(self, session: str) -> list[FaultRule]:
        with self._lock:
            return list(self._rules.get(session, ()))

    def remove(self, session: str, rule_id: int) -> bool:
        """Remove one rule; False when the session has none with that id."""
        with self._lock:
            rules = self._rules.get(session)
            kept = [rule for rule in rules or () if rule.id != rule_id]
            if rules is None or len(kept) == len(rules):
                return False            # nothing kept for a session that had nothing
            self._rules[session] = kept
            return True

    def clear(self, session: str) -> None:
        with self._lock:
            self._rules.pop(session, None)
            self._added.pop(session, None)

    def fire(self, session: str, api: str, method: str, paths: tuple[str, ...]) -> FaultRule | None:
        """The first live rule that matches and, by its probability, fires now (counted)."""
        if not self._rules.get(session):    # the usual case, answered without taking the lock
            return None
        with self._lock:
            for rule in self._rules.get(session, ()):
                if rule.exhausted or not rule.matches(api, method, paths):
                    continue
                if rule.probability < 1 and rule._random.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule
        return None
