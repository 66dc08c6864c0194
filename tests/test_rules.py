"""Rule introspection: the list at /__sandbox/rules is generated from what the backends raise."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from sandbox.core import rules as core_rules
from sandbox.core.rules import Rule
from tests.conftest import api_specs

SPECS = api_specs()
ROOT = Path(__file__).resolve().parent.parent / "sandbox"


def listed_ids(client, api=None) -> set[str]:
    query = f"?api={api}" if api else ""
    return {rule["id"] for rule in client.get(f"/__sandbox/rules{query}").get_json()["rules"]}


def raised_rules(package: Path, module_prefix: str) -> list[tuple[str, object]]:
    """Every ``rule=`` argument in the package's source, resolved to its value (a str or a Rule)."""
    found = []
    for path in sorted(package.glob("*.py")):
        module = importlib.import_module(f"{module_prefix}.{path.stem}" if path.stem != "__init__" else module_prefix)
        for node in ast.walk(ast.parse(path.read_text())):
            for keyword in getattr(node, "keywords", ()):
                if keyword.arg != "rule" or not isinstance(node, ast.Call):
                    continue
                value = keyword.value
                if isinstance(value, ast.Constant):
                    found.append((f"{path.name}:{node.lineno}", value.value))
                elif isinstance(value, ast.Name) and hasattr(module, value.id):
                    found.append((f"{path.name}:{node.lineno}", getattr(module, value.id)))
                elif isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) \
                        and hasattr(module, value.value.id):
                    found.append((f"{path.name}:{node.lineno}", getattr(getattr(module, value.value.id), value.attr)))
                elif not (isinstance(value, ast.Name) and value.id == "rule"):   # a parameter passed through
                    found.append((f"{path.name}:{node.lineno}", ast.unparse(value)))
    return found


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_every_rule_a_backend_can_raise_is_listed(client, spec):
    listed = listed_ids(client, spec.name)
    for where, rule in raised_rules(ROOT / "apis" / spec.name, f"sandbox.apis.{spec.name}"):
        rule_id = rule.id if isinstance(rule, Rule) else rule
        assert isinstance(rule_id, str) and f"{spec.name}.{rule_id}" in listed, f"{spec.name} {where}: {rule!r}"


def test_every_rule_core_can_raise_is_generic():
    generic = {rule.id for rule in core_rules.GENERIC}
    for where, rule in raised_rules(ROOT / "core", "sandbox.core"):
        assert (rule.id if isinstance(rule, Rule) else rule) in generic, where


def test_the_list_has_every_api_its_generic_rules_and_its_machines(client):
    listing = client.get("/__sandbox/rules").get_json()
    body = listing["rules"]
    assert {rule["api"] for rule in body} == {spec.name for spec in SPECS}
    for spec in SPECS:
        assert f"{spec.name}.auth.required" in {r["id"] for r in body}
        for name, machine in spec.machines.items():
            entry = next(m for m in listing["machines"] if m["name"] == name and m["api"] == spec.name)
            assert entry["transitions"] == {s: sorted(t) for s, t in machine.table.items()}
            assert entry["rule"] is None or entry["rule"] in {r["id"] for r in body}
    assert all(rule["text"] and rule["source"] for rule in body)
    assert {"slyk.order-flow", "slyk.payment-flow"} <= {r["id"] for r in body if r.get("machine")}


def test_one_api(client):
    assert all(rule_id.startswith("slyk.") for rule_id in listed_ids(client, "slyk"))
    assert client.get("/__sandbox/rules?api=nope").status_code == 404


def test_a_refusal_names_its_rule_and_keeps_the_vendor_body(client):
    response = client.put("/shop/api/v1/shop/orders/6", json={"items": [{"product_sku": "EH-1", "quantity": 1}]},
                          headers={"Authorization": "Bearer t", "X-API-Key": "k"})
    assert response.status_code == 422 and response.get_json() == {"message": "Only pending orders can be updated."}
    assert response.headers["X-Sandbox-Rule"] == "shop.update-only-pending"


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_auth_failures_name_their_rule(client, app, spec):
    from tests.conftest import sample_get_paths
    response = client.get(sample_get_paths(app, spec)[0])
    assert response.headers["X-Sandbox-Rule"] == f"{spec.name}.auth.required"


def test_a_success_names_no_rule(client):
    assert "X-Sandbox-Rule" not in client.get("/appx/api/v1/orders/15", headers={"Authorization": "Bearer t"}).headers
