"""Read ``fixtures/<api>/<table>.json``: the docs' examples as records, one file per table.

In a checkout the files are in ``fixtures/`` at the top level; an installed wheel carries them as
``sandbox/_fixtures`` (see pyproject.toml), so the Docker image and the pytest plugin can seed too.
"""

from __future__ import annotations

import json
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
