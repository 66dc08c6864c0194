"""Header checks, parametrised per API.

An API declares what its docs demand, e.g. shop needs both ``Authorization: Bearer`` and ``X-API-Key``,
mittwald accepts ``x-access-token`` or ``Authorization: Bearer``. By default any non-empty value is
accepted; a configured list of accepted values (``SANDBOX_TOKENS_<API>``) makes the check strict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from sandbox.core.errors import Unauthorized


@dataclass(frozen=True)
class Credential:
    """One header carrying a secret, optionally behind a scheme word (``Bearer``, ``Basic``)."""
    header: str
    scheme: str | None = None

    def read(self, headers: Mapping[str, str]) -> str | None:
        value = (headers.get(self.header) or "").strip()
        if self.scheme:
            word, _, rest = value.partition(" ")
            if word.lower() != self.scheme.lower():
                return None
            value = rest.strip()
        return value or None

    def describe(self) -> str:
        return f"{self.header}: {self.scheme} <token>" if self.scheme else f"{self.header}: <key>"


@dataclass(frozen=True)
class Auth:
    """Every requirement must be met; a requirement is met by any one of its credentials."""
    requirements: tuple[tuple[Credential, ...], ...]

    @classmethod
    def of(cls, *requirements: Credential | Iterable[Credential]) -> "Auth":
        return cls(tuple((r,) if isinstance(r, Credential) else tuple(r) for r in requirements))

    def authenticate(self, headers: Mapping[str, str], accepted: Iterable[str] | None = None) -> tuple[str, ...]:
        """The presented secrets, one per requirement; raises Unauthorized naming what is missing."""
        accepted_set = set(accepted) if accepted else None
        found = []
        for alternatives in self.requirements:
            secret = None
            for credential in alternatives:
                secret = credential.read(headers)
                if secret:
                    break
            if secret is None:
                raise Unauthorized(f"Missing credentials: send {_wanted(alternatives)}.", rule="auth.required")
            if accepted_set is not None and secret not in accepted_set:
                raise Unauthorized(f"The credential in {_wanted(alternatives)} is not accepted.",
                                   rule="auth.token-not-accepted")
            found.append(secret)
        return tuple(found)

    def headers(self) -> list[str]:
        return [c.header for alternatives in self.requirements for c in alternatives]


def _wanted(alternatives: tuple[Credential, ...]) -> str:
    """What a refusal asks for; built only for a refusal (every request with credentials passes here)."""
    return " or ".join(c.describe() for c in alternatives)
