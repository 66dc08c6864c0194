"""Slyk's list query language: ``page[number]``, ``page[size]``, ``sort=field,-field`` and
``filter[field]=value`` or ``filter[field]=op:value`` with ``in:``/``nin:`` (comma-separated lists) and
``gte:``/``lte:``/``gt:``/``lt:`` (SDK docs/methods.md, Go SDK orderfilter.go).

Generic enough for core: each list declares its fields as kinds (decimal, datetime, integer, string) and
gets parsing (bad input is a 400 ``validation_failed``), filtering, Postgres-like sorting and paging.

Not emulated: filters on fields a list does not declare (refused, not ignored), full-text search."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

from sandbox.core.errors import Invalid
from sandbox.core.pagination import Page, paginate

from .amounts import parse_amount, parse_timestamp
from .states import LIST_QUERY_VALID

DEFAULT_PAGE_SIZE = 30      # Go SDK: "Defines the number of results per page. Default = 30."
MAX_PAGE_SIZE = 100         # not public; a common ceiling
LIST_OPERATORS = ("in", "nin")
RANGE_OPERATORS = ("gte", "lte", "gt", "lt")
_FILTER_KEY = re.compile(r"^filter\[([A-Za-z]+)\]$")
_NULL = "null"


def _integer(raw: str) -> int:
    if not re.fullmatch(r"\s*[+-]?\d+\s*", raw):
        raise ValueError(raw)
    return int(raw)


def _decimal(raw: str) -> Decimal:
    value = parse_amount(raw)
    if value is None:
        raise ValueError(raw)
    return value


KINDS: dict[str, Callable[[str], Any]] = {
    "decimal": _decimal,
    "datetime": parse_timestamp,
    "integer": _integer,
    "string": str,
}


@dataclass(frozen=True)
class Condition:
    field: str
    op: str                   # eq, in, nin, gte, lte, gt, lt
    values: tuple[Any, ...]   # converted to the field's kind; None stands for ``null``


@dataclass(frozen=True)
class ListQuery:
    page: int
    size: int
    sort: tuple[tuple[str, bool], ...]   # (field, descending)
    conditions: tuple[Condition, ...]
    flags: Mapping[str, str]             # filters that are switches, such as hideDrafts


@dataclass(frozen=True)
class ListSpec:
    """What one list accepts: filterable fields and their kinds, sortable fields, the default sort."""
    filters: Mapping[str, str]
    sorts: frozenset[str]
    default_sort: tuple[tuple[str, bool], ...]
    flags: frozenset[str] = frozenset()
    kinds: Mapping[str, str] | None = None    # kinds of sortable fields not filterable

    def query_schema(self, name: str):
        """The query this list reads, as a marshmallow schema for the OpenAPI document."""
        from marshmallow import Schema, fields, validate

        declared = {
            "page[number]": fields.Integer(validate=validate.Range(min=1)),
            "page[size]": fields.Integer(validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
                                         metadata={"default": DEFAULT_PAGE_SIZE}),
            "sort": fields.String(metadata={
                "description": "Comma-separated fields, '-' first for descending: " + ", ".join(sorted(self.sorts)),
                "pattern": rf"^-?({'|'.join(sorted(self.sorts))})(,-?({'|'.join(sorted(self.sorts))}))*$"}),
        }
        for field in sorted(self.filters):
            declared[f"filter[{field}]"] = fields.String(metadata={
                "description": f"A {self.filters[field]}; 'in:a,b', 'nin:a,b' or (not for strings) "
                               "'gte:', 'lte:', 'gt:', 'lt:'; 'null' for no value"})
        for flag in sorted(self.flags):
            declared[f"filter[{flag}]"] = fields.String()
        return Schema.from_dict(declared, name=name)

    def kind(self, field: str) -> str:
        return self.filters.get(field) or (self.kinds or {}).get(field, "string")

    def parse(self, args: Mapping[str, str]) -> ListQuery:
        errors: dict[str, list[str]] = {}
        page = self._positive(args, "page[number]", 1, None, errors)
        size = self._positive(args, "page[size]", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, errors)
        sort = self._sort(args.get("sort"), errors)
        conditions, flags = [], {}
        for key in args:
            if len(getattr(args, "getlist", lambda _: [None])(key)) > 1:
                # qs turns a repeated key into an array, which no filter or page parameter takes
                errors.setdefault(key, []).append("Give this parameter once; list values with in:a,b.")
                continue
            match = _FILTER_KEY.match(key)
            if key.startswith("filter") and not match:
                errors.setdefault(key, []).append("Unknown filter.")
            if not match:
                continue
            field = match.group(1)
            if field in self.flags:
                flags[field] = args[key]
            elif field in self.filters:
                try:
                    conditions.append(self._condition(field, args[key]))
                except ValueError:
                    errors.setdefault(key, []).append(f"Not a valid {self.filters[field]} filter: {args[key]!r}.")
            else:
                errors.setdefault(key, []).append(f"Filtering by {field!r} is not supported.")
        if errors:
            raise Invalid(next(iter(errors.values()))[0], details=errors, rule=LIST_QUERY_VALID)
        return ListQuery(page, size, sort, tuple(conditions), flags)

    @staticmethod
    def _positive(args, key, default, maximum, errors) -> int:
        raw = args.get(key)
        if raw is None:
            return default
        try:
            value = _integer(raw)
        except ValueError:
            value = 0
        if value < 1 or (maximum and value > maximum):
            limit = f" between 1 and {maximum}" if maximum else " of at least 1"
            errors.setdefault(key, []).append(f"Must be an integer{limit}.")
        return value

    def _sort(self, raw: str | None, errors) -> tuple[tuple[str, bool], ...]:
        if raw is None or not raw.strip():
            return self.default_sort
        order = []
        for part in raw.split(","):
            field = part.strip().lstrip("-")
            if field not in self.sorts:
                errors.setdefault("sort", []).append(f"Sorting by {field!r} is not supported.")
            order.append((field, part.strip().startswith("-")))
        return tuple(order)

    def _condition(self, field: str, raw: str) -> Condition:
        op, separator, rest = raw.partition(":")
        if separator and op in LIST_OPERATORS:
            return Condition(field, op, tuple(self._value(field, v) for v in rest.split(",")))
        if separator and op in RANGE_OPERATORS:
            value = self._value(field, rest)
            if value is None or self.filters[field] == "string":
                raise ValueError(raw)
            return Condition(field, op, (value,))
        return Condition(field, "eq", (self._value(field, raw),))

    def _value(self, field: str, raw: str):
        return None if raw == _NULL else KINDS[self.filters[field]](raw)

    # -- applying a query --------------------------------------------------------------------------
    def convert(self, field: str, value):
        if value is None:
            return None
        kind = self.kind(field)
        return KINDS[kind](value) if kind != "integer" else int(value)

    def matches(self, record: Mapping, condition: Condition) -> bool:
        value = self.convert(condition.field, record.get(condition.field))
        op, wanted = condition.op, condition.values
        if op == "eq":
            return value == wanted[0]
        if op == "in":
            return value in wanted
        if op == "nin":
            return value not in wanted
        if value is None:
            return False
        bound = wanted[0]
        return {"gte": value >= bound, "lte": value <= bound, "gt": value > bound, "lt": value < bound}[op]

    def sorted(self, records: Iterable[Mapping], order) -> list:
        """Stable multi-key sort; nulls last ascending and first descending, as Postgres orders them."""
        result = list(records)
        for field, descending in reversed(order):
            def key(record, field=field):
                value = self.convert(field, record.get(field))
                return (1,) if value is None else (0, value)
            result.sort(key=key, reverse=descending)
        return result

    def run(self, records: Iterable[Mapping], query: ListQuery) -> Page:
        return paginate(self.select(records, query), query.page, query.size)

    def select(self, records: Iterable[Mapping], query: ListQuery) -> list:
        """The records the query's filters keep, in its order (every page of the list)."""
        kept = [r for r in records if all(self.matches(r, c) for c in query.conditions)]
        return self.sorted(kept, query.sort)
