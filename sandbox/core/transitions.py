"""State machines as tables: which status may move to which."""

from __future__ import annotations

from typing import Callable, Mapping

from sandbox.core.errors import Conflict, SandboxError


class Transitions:
    """``Transitions({"pending": {"cancelled"}, "cancelled": set()})``; ``check`` refuses what the table lacks."""

    def __init__(self, table: Mapping[str, set[str] | frozenset[str]], *,
                 refuse: Callable[[str, str], SandboxError] | None = None, rule=None):
        self.table = {state: frozenset(targets) for state, targets in table.items()}
        self._refuse = refuse
        self.rule = rule   # the core.rules.Rule a refusal falls under; listed with this table

    @property
    def states(self) -> list[str]:
        return list(self.table)

    def allows(self, current: str, target: str) -> bool:
        return target in self.table.get(current, frozenset())

    def check(self, current: str, target: str, *, error: SandboxError | None = None) -> None:
        """Raise ``error`` (or a Conflict naming both states) unless current -> target is allowed."""
        if self.allows(current, target):
            return
        refusal = error or (self._refuse(current, target) if self._refuse else None) \
            or Conflict(f"Cannot move from {current!r} to {target!r}.")
        if refusal.rule is None and self.rule is not None:
            refusal.rule = self.rule.id
        raise refusal
