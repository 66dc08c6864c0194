"""What PHP itself does with a request's input and a response's numbers, for the APIs a PHP service answers
(appx and shop on Laravel, formations).

Sources: php-src ``ext/filter/logical_filters.c`` (``php_filter_int``), ``main/php_variables.c``
(``php_register_variable_ex``: how ``a[b][]=c`` becomes arrays), ``ext/json`` (``json_encode`` without
``JSON_PRESERVE_ZERO_FRACTION``); every rule here was checked with php-cli 8.2 (``php -r``), as
docs/fidelity.md records."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Iterable

PHP_INT_MAX = 2 ** 63 - 1
PHP_INT_MIN = -PHP_INT_MAX - 1

# FILTER_VALIDATE_INT trims space, \t, \n, \r and \v (not \f, not \0), takes one sign and no leading zero.
_FILTER_INT = re.compile(r"[ \t\n\r\v]*([+-]?(?:0|[1-9][0-9]*))[ \t\n\r\v]*")
_INT_DIGITS = len(str(PHP_INT_MAX))   # longer digit strings overflow: checked before int() ever sees them
MAX_INPUT_VARS = 1000          # php.ini defaults: variables beyond the 1000th are dropped,
MAX_INPUT_NESTING_LEVEL = 64   # and a variable nested deeper than 64 levels is dropped with its base name


def filter_validate_int(value) -> int | None:
    """``filter_var($value, FILTER_VALIDATE_INT)``: the integer, or None where PHP answers false.

    true is 1 and false fails (PHP casts them to "1" and ""); a float passes when it prints as an integer
    (2.0 and 99999999999999.0, not 1e14); a string passes within PHP's 64-bit range, so ``"99999999999999999999"`` fails."""
    if isinstance(value, bool):
        return 1 if value else None
    if isinstance(value, float):
        # PHP casts the float to a string with 14 significant digits: 1e14 is "1.0E+14", which fails
        return int(value) if value.is_integer() and abs(value) < 1e14 else None
    if isinstance(value, str):
        match = _FILTER_INT.fullmatch(value)
        if not match or len(match[1].lstrip("+-")) > _INT_DIGITS:
            return None
        value = int(match[1])
    if isinstance(value, int) and PHP_INT_MIN <= value <= PHP_INT_MAX:
        return value
    return None


def php_number(value) -> int | float:
    """A number as PHP's json_encode writes it: 610 for a whole amount, 300.5 or 19.99 otherwise.

    Accepts numbers and decimal strings; the float exists only to be written, and two decimals always
    print back as the same digits."""
    amount = Decimal(str(value))
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def parse_str(pairs: Iterable[tuple[str, str]]) -> dict:
    """Decoded ``(name, value)`` pairs of a query string or form body as PHP's ``$_GET``/``$_POST`` hold
    them: the last of repeated names wins, ``a[b][]=c`` builds nested arrays, ``.`` and space in the base
    name become ``_``, and a ``[`` that is never closed is a ``_`` (``filter[createdTo[]`` is the key
    ``createdTo[`` of ``filter``). A PHP array whose keys are 0..n-1 in order is a list here."""
    result: dict = {}
    for count, (name, value) in enumerate(pairs):
        if count >= MAX_INPUT_VARS:
            break
        path = _variable_path(name)
        if path is None:
            continue
        if len(path) - 1 > MAX_INPUT_NESTING_LEVEL:
            result.pop(path[0], None)
            continue
        node = result
        for key in path[:-1]:
            key = _next_index(node) if key is None else key
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        last = path[-1]
        node[_next_index(node) if last is None else last] = value
    return _as_lists(result)


def _variable_path(name: str) -> list[str | None] | None:
    """``a[b][]`` -> ["a", "b", None] (None: append); None when PHP registers nothing (an empty name)."""
    name = name.lstrip(" ")
    opening = name.find("[")
    if opening < 0 or "]" not in name[opening:]:
        # No array: "." and " " in the name become "_", and so does an unclosed "[" (only the first one).
        cut = len(name) if opening < 0 else opening
        base = name[:cut].replace(".", "_").replace(" ", "_") + ("_" + name[cut + 1:] if opening >= 0 else "")
        return [base] if base else None
    base = name[:opening].replace(".", "_").replace(" ", "_")
    if not base:
        return None
    path: list[str | None] = [base]
    rest = name[opening:]
    while rest.startswith("["):
        closing = rest.find("]")
        if closing < 0:
            break            # PHP ignores what follows the last complete [...]
        index = rest[1:closing]
        path.append(index if index else None)
        rest = rest[closing + 1:]
    return path


def _next_index(node: dict) -> str:
    numbers = [int(key) for key in node if key.isascii() and key.isdigit()]
    return str(max(numbers) + 1 if numbers else 0)


def _as_lists(node):
    if not isinstance(node, dict):
        return node
    converted = {key: _as_lists(value) for key, value in node.items()}
    if converted and list(converted) == [str(i) for i in range(len(converted))]:
        return list(converted.values())
    return converted
