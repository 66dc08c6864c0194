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

from sandbox.core.errors import Invalid

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


_FIELDS = {"api": str, "method": str, "path": str, "status": int, "message": str, "delay_ms": int, "drop": bool,
           "times": int, "probability": (int, float)}


def parse_rule(data: Any, known_apis: list[str]) -> dict:
    """Validate a rule document; raises Invalid listing every bad field."""
    if not isinstance(data, dict):
        raise Invalid("A fault rule is a JSON object.", details={"_schema": ["Expected a JSON object."]})
    problems: dict[str, list[str]] = {}
    for key, value in data.items():
        if key == "body":
            continue
        expected = _FIELDS.get(key)
        if expected is None:
            problems[key] = ["Unknown field."]
        elif isinstance(value, bool) and expected is not bool or not isinstance(value, expected):
            if not (value is None and key in ("status", "times")):
                problems[key] = [f"Must be {getattr(expected, '__name__', 'a number')}."]
    if not problems:
        if data.get("api", "*") not in ["*", *known_apis]:
            problems["api"] = [f"Unknown API; one of: *, {', '.join(known_apis)}."]
        if data.get("status") is not None and not 400 <= data["status"] <= 599:
            problems["status"] = ["Must be an error status between 400 and 599 (a delay alone needs none)."]
        if not 0 <= data.get("delay_ms", 0) <= 60_000:
            problems["delay_ms"] = ["Must be between 0 and 60000."]
        if data.get("times") is not None and data["times"] < 1:
            problems["times"] = ["Must be at least 1 (leave it out for no limit)."]
        if not 0 <= data.get("probability", 1) <= 1:
            problems["probability"] = ["Must be between 0 and 1."]
        if not (data.get("status") or data.get("delay_ms") or data.get("drop")):
            problems["_schema"] = ["A rule needs a status, a delay_ms or drop: true."]
    if problems:
        raise Invalid(next(iter(problems.values()))[0], details=problems)
    rule = dict(data)
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
