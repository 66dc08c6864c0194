"""Read ``fixtures/<api>/<table>.json``: the docs' examples as records, one file per table.

In a checkout the files are in ``fixtures/`` at the top level; an installed wheel carries them as
``sandbox/_fixtures`` (see pyproject.toml), so the Docker image and the pytest plugin can seed too.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def fixtures_root() -> Path:
    for candidate in (_PACKAGE_DIR / "_fixtures", _PACKAGE_DIR.parent / "fixtures"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("no fixtures directory: neither sandbox/_fixtures nor ./fixtures exists")


def load_fixtures(api: str, root: Path | None = None) -> dict[str, list[dict]]:
    """Table name -> records, from every ``*.json`` file in the API's folder (sorted, so stable)."""
    folder = (root or fixtures_root()) / api
    tables: dict[str, list[dict]] = {}
    for path in sorted(folder.glob("*.json")):
        with open(path, encoding="utf-8") as handle:
            records = json.load(handle)
        if not isinstance(records, list):
            raise ValueError(f"{path}: a fixture file holds a JSON array of records")
        tables[path.stem] = records
    return tables


class FixtureError(ValueError):
    """A user fixture file that cannot be layered: the message names the file, the record and the field."""


_JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", list: "array", dict: "object",
               type(None): "null"}


def _json_type(value) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def load_layer(root: Path, apis: dict[str, dict[str, list[dict]]]) -> dict[str, dict[str, list[dict]]]:
    """Read a user's fixture directory (``<api>/<table>.json``, records as ``GET /__sandbox/state`` shows
    them) and check every record against the seeded records of its table: an ``id``, no unknown fields,
    the fields every seeded record has, the JSON types the seed uses.

    ``apis`` maps api -> table -> seeded records. Returns api -> table -> user records."""
    root = Path(root)
    if not root.is_dir():
        raise FixtureError(f"{root}: not a directory")
    layer: dict[str, dict[str, list[dict]]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name not in apis:
            raise FixtureError(f"{folder}: no API named {folder.name!r}; known: {', '.join(apis)}")
        for path in sorted(folder.glob("*.json")):
            tables = apis[folder.name]
            if path.stem not in tables:
                raise FixtureError(f"{path}: {folder.name} has no table {path.stem!r}; known: {', '.join(tables)}")
            try:
                records = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise FixtureError(f"{path}: not valid JSON: {exc}") from None
            if not isinstance(records, list):
                raise FixtureError(f"{path}: a fixture file holds a JSON array of records")
            check_records(str(path), records, tables[path.stem])
            layer.setdefault(folder.name, {})[path.stem] = records
    return layer


def check_records(path: str, records: list, seeded: list[dict], *, strict: bool = True) -> None:
    """Records must look like the seeded ones of their table: an ``id`` and every field each seeded record
    has; ``strict`` also refuses unknown fields and JSON types the seed never uses (user fixtures), while an
    imported state may carry fields and nulls that writes added. A table the seed leaves empty checks ids."""
    types: dict[str, set[str]] = {}
    shapes: dict[str, set[str] | None] = {}     # field -> the date shapes it takes; None: not a date field
    for record in seeded:
        for field, value in record.items():
            types.setdefault(field, set()).add(_json_type(value))
            if value is not None:
                shape = _date_shape(value)
                known = shapes.setdefault(field, set())
                shapes[field] = None if shape is None or known is None else known | {shape}
    required = set.intersection(*(set(r) for r in seeded)) if seeded else set()
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise FixtureError(f"{path}: record {index}: expected a JSON object, got {_json_type(record)}")
        label = f"record {index} (id {record.get('id')!r})"
        if "id" not in record:
            raise FixtureError(f"{path}: {label}: field 'id' is missing")
        for field in sorted(required - set(record)):
            raise FixtureError(f"{path}: {label}: field {field!r} is missing")
        for field, value in record.items():
            if not seeded:
                break
            if not strict:
                _check_servable(path, label, field, value, types.get(field), shapes.get(field))
                continue
            if field not in types:
                raise FixtureError(f"{path}: {label}: field {field!r} is unknown; known: {', '.join(types)}")
            if _json_type(value) not in types[field] and not (_json_type(value) == "integer" and "number" in types[field]):
                raise FixtureError(f"{path}: {label}: field {field!r} is {_json_type(value)}, "
                                   f"expected {' or '.join(sorted(types[field]))}")
    counts = Counter(r["id"] for r in records)
    duplicates = sorted(repr(i) for i, count in counts.items() if count > 1)
    if duplicates:
        raise FixtureError(f"{path}: id {', '.join(duplicates)} appears more than once")


_DATE = re.compile(r"^\d{2,4}[-/.]\d{2}[-/.]\d{2,4}([T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def _date_shape(value) -> str | None:
    """``"2025-12-17T09:30:00Z"`` -> ``"9999-99-99T99:99:99Z"``; None for a value that is no date."""
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    return re.sub(r"\d", "9", re.sub(r"\.\d+", ".9", value))   # any precision of seconds is one shape


def _check_servable(path: str, label: str, field: str, value, types: set[str] | None,
                    shapes: set[str] | None) -> None:
    """An imported value the API could not render is refused: a JSON type its records never hold, or a
    date in a format they never use. Null is always allowed (writes set it), and so is anything in a
    field the records leave null or do not have."""
    if value is None or not types or types == {"null"}:
        return
    kind = _json_type(value)
    if kind not in types and not (kind == "integer" and "number" in types):
        raise FixtureError(f"{path}: {label}: field {field!r} is {kind}, expected "
                           f"{' or '.join(sorted(types - {'null'}))}")
    if shapes and _date_shape(value) not in shapes:
        example = next(iter(sorted(shapes)))
        raise FixtureError(f"{path}: {label}: field {field!r} is {value!r}, not a date shaped like {example!r} "
                           "(9 stands for a digit)")


def overlay(seeded: dict[str, list[dict]], layer: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Seeded tables with the user's records on top: same id replaces, a new id is added at the end."""
    merged = {}
    for table, records in seeded.items():
        mine = {r["id"]: r for r in layer.get(table, ())}
        kept = [mine.pop(r["id"], r) for r in records]
        merged[table] = kept + list(mine.values())
    return merged


def export(destination: Path, tables: dict[str, dict[str, list[dict]]], *, force: bool = False) -> list[Path]:
    """Write api -> table -> records to ``destination/<api>/<table>.json``, the layout ``load_layer`` reads."""
    targets = {Path(destination) / api / f"{table}.json": records
               for api, by_table in tables.items() for table, records in by_table.items()}
    existing = [str(path) for path in targets if path.exists()]
    if existing and not force:
        raise FixtureError(f"{existing[0]}: exists (use --force to overwrite)")
    for path, records in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return list(targets)
