"""Your own fixtures: `sandbox fixtures export DIR` and `sandbox serve --fixtures DIR`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from sandbox import cli, create_app
from sandbox.config import TEST_CONFIG
from sandbox.core.fixtures import FixtureError

APPX = {"Authorization": "Bearer t"}


def write(root, api, table, records):
    (root / api).mkdir(parents=True, exist_ok=True)
    (root / api / f"{table}.json").write_text(json.dumps(records))


def appx_order(**changes):
    order = {"id": 500, "customer_id": 43, "order_date": "2026-03-01", "processed_date": None, "order_type": "PYOP",
             "order_status": "Received", "created_at": "2026-03-01T10:00:00.000000Z",
             "updated_at": "2026-03-01T10:00:00.000000Z",
             "devices": [{"id": 7, "value": 150, "model": "Apple iPhone 13 128GB", "grade": "Good"}]}
    return {**order, **changes}


def test_export_writes_the_packaged_records_and_refuses_to_overwrite(tmp_path):
    result = CliRunner().invoke(cli.main, ["fixtures", "export", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert 15 in [order["id"] for order in json.loads((tmp_path / "appx" / "orders.json").read_text())]
    assert not (tmp_path / "appx" / "examples").exists(), "examples are documentation, not layerable records"
    again = CliRunner().invoke(cli.main, ["fixtures", "export", str(tmp_path)])
    assert again.exit_code != 0 and "--force" in again.output
    assert CliRunner().invoke(cli.main, ["fixtures", "export", str(tmp_path), "--force"]).exit_code == 0


def test_an_exported_directory_layers_onto_an_identical_state(tmp_path):
    CliRunner().invoke(cli.main, ["fixtures", "export", str(tmp_path)])
    plain = create_app(TEST_CONFIG).extensions["sandbox"].store
    layered = create_app({**TEST_CONFIG, "FIXTURES_DIR": str(tmp_path)}).extensions["sandbox"].store
    for api in plain.apis:
        assert layered.seeded(api).export() == plain.seeded(api).export(), api


def test_layers_add_and_replace_records_and_reset_keeps_them(tmp_path):
    write(tmp_path, "appx", "orders", [appx_order(), appx_order(id=15, order_status="Paid",
                                                                  devices=[{"id": 2, "value": 455,
                                                                            "model": "Apple iPhone 15 Pro Max 1TB",
                                                                            "grade": "Good"}], customer_id=1)])
    client = create_app({**TEST_CONFIG, "FIXTURES_DIR": str(tmp_path)}).test_client()
    listed = client.get("/appx/api/v1/customers/43/orders", headers=APPX).get_json()
    assert [o["id"] for o in listed["data"]] == [14, 500] and listed["meta"]["total"] == 2
    assert client.get("/appx/api/v1/orders/15", headers=APPX).get_json()["data"]["attributes"]["order_status"] == "Paid"
    client.post("/__sandbox/reset")
    assert client.get("/appx/api/v1/orders/500", headers=APPX).status_code == 200


@pytest.mark.parametrize("layout,expected", [
    (lambda root: (root / "nope").mkdir(), "no API named 'nope'"),
    (lambda root: write(root, "appx", "invoices", []), "appx has no table 'invoices'"),
    (lambda root: ((root / "appx").mkdir(), (root / "appx" / "orders.json").write_text("[{")),
     "orders.json: not valid JSON"),
    (lambda root: write(root, "appx", "orders", {"id": 1}), "holds a JSON array"),
    (lambda root: write(root, "appx", "orders", [3]), "record 0: expected a JSON object"),
    (lambda root: write(root, "appx", "orders", [{"customer_id": 1}]), "field 'id' is missing"),
    (lambda root: write(root, "appx", "orders", [{k: v for k, v in appx_order().items() if k != "devices"}]),
     "record 0 (id 500): field 'devices' is missing"),
    (lambda root: write(root, "appx", "orders", [appx_order(colour="red")]), "field 'colour' is unknown"),
    (lambda root: write(root, "appx", "orders", [appx_order(customer_id="43")]),
     "record 0 (id 500): field 'customer_id' is string, expected integer"),
    (lambda root: write(root, "appx", "orders", [appx_order(), appx_order()]), "id 500 appears more than once"),
])
def test_a_bad_file_is_refused_naming_file_record_and_field(tmp_path, layout, expected):
    layout(tmp_path)
    with pytest.raises(FixtureError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        create_app({**TEST_CONFIG, "FIXTURES_DIR": str(tmp_path)})


def test_serve_stops_with_a_message_not_a_traceback(tmp_path):
    write(tmp_path, "appx", "orders", [appx_order(customer_id="43")])
    result = subprocess.run([sys.executable, "-m", "sandbox", "serve", "--fixtures", str(tmp_path), "--port", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "bad fixture:" in result.stderr and "customer_id" in result.stderr and "orders.json" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
