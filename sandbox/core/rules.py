"""Rule introspection: every refusal names the rule that made it.

A rule is an id, one sentence, and where it comes from: the vendor's docs, or the sandbox's own choice
(then docs/fidelity.md has the line). Each API lists its rules in ``ApiSpec.rules`` (and its state
machines, with their transition tables, in ``ApiSpec.machines``); the generic rules below apply to every
API. A refused request carries ``X-Sandbox-Rule: <api>.<rule>``; ``GET /__sandbox/rules`` lists them all,
generated from the same objects the backends raise, so the list cannot drift from behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.core import errors


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    source: str = "choice (docs/fidelity.md)"

    def as_json(self, api: str) -> dict:
        return {"id": f"{api}.{self.id}", "api": api, "text": self.text, "source": self.source}


AUTH_REQUIRED = Rule("auth.required", "Every request carries the credentials the API's docs name.", "docs")
AUTH_TOKEN_ACCEPTED = Rule("auth.token-not-accepted",
                           "With a configured token list (SANDBOX_TOKENS_<API>), only those tokens are accepted.",
                           "sandbox configuration (README)")
INPUT_JSON = Rule("input.json", "A request body, when one is read, is a JSON object.", "docs")
INPUT_SCHEMA = Rule("input.schema", "Parameters and body fields have the documented names, types and values.", "docs")
BODY_SIZE = Rule("body.size-limit", "A request body is at most 1 MiB.", "choice (docs/fidelity.md)")
RECORD_EXISTS = Rule("record.exists", "A path names a record that exists (and that the caller may see).", "docs")
GENERIC = (AUTH_REQUIRED, AUTH_TOKEN_ACCEPTED, INPUT_JSON, INPUT_SCHEMA, BODY_SIZE, RECORD_EXISTS)

# The rule a refusal falls under when the code that raised it named none.
_DEFAULTS = ((errors.RouteNotFound, None), (errors.MethodNotAllowed, None), (errors.InternalError, None),
             (errors.Unauthorized, AUTH_REQUIRED.id), (errors.BadRequest, INPUT_JSON.id),
             (errors.Invalid, INPUT_SCHEMA.id), (errors.PayloadTooLarge, BODY_SIZE.id),
             (errors.NotFound, RECORD_EXISTS.id))

observed: set[str] = set()   # full rule ids seen in this process (the test suite checks its coverage)


def rule_of(err: errors.SandboxError) -> str | None:
    if err.rule:
        return err.rule
    return next((rule for cls, rule in _DEFAULTS if isinstance(err, cls)), None)


def catalogue(spec) -> list[dict]:
    """Every rule of one API: the generic ones, its own, and those of its state machines (naming the machine)."""
    listed = [rule.as_json(spec.name) for rule in (*GENERIC, *spec.rules)]
    for name, machine in spec.machines.items():
        if machine.rule is not None:
            listed.append({**machine.rule.as_json(spec.name), "machine": name})
    return listed


def machines(spec) -> list[dict]:
    """The API's state machines: which state may move to which, and the rule a refused move falls under."""
    return [{"api": spec.name, "name": name, "rule": f"{spec.name}.{machine.rule.id}" if machine.rule else None,
             "transitions": {state: sorted(targets) for state, targets in machine.table.items()}}
            for name, machine in spec.machines.items()]
