"""requirements.lock (what the Docker image installs) agrees with pyproject.toml's runtime dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def locked() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) for each pin of requirements.lock."""
    pins: dict[str, tuple[str, int]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements.lock").read_text()):
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s;\\]+)", block)
        if match:
            pins[canonicalize_name(match[1])] = (match[2], block.count("--hash=sha256:"))
    return pins


def test_the_lock_pins_every_runtime_dependency_inside_its_range_with_hashes():
    pins = locked()
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for line in dependencies:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is missing from requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name][0]), f"{name}=={pins[name][0]} is outside {requirement}"
    assert all(hashes for _, hashes in pins.values()), "every pin needs its hashes (pip --require-hashes)"


def test_the_image_installs_from_the_lock():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r /wheels/requirements.lock" in dockerfile
    assert "pip install --no-cache-dir --no-deps /wheels/*.whl" in dockerfile
