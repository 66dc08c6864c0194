"""Slicing a list into pages. Each API renders the page in its own shape."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first_item(self) -> int | None:
        return (self.page - 1) * self.per_page + 1 if self.items else None

    @property
    def last_item(self) -> int | None:
        return (self.page - 1) * self.per_page + len(self.items) if self.items else None


def paginate(items: Sequence[Any], page: int, per_page: int) -> Page:
    """Page ``page`` (1-based) of ``items``; a page past the end is empty, never clamped."""
    start = (page - 1) * per_page
    return Page(list(items[start:start + per_page]), len(items), page, per_page)
