"""Each API's JSON bytes as its vendor's stack writes them (core/wire.py; docs/fidelity.md "JSON encoding").

The expected bytes were printed by PHP 8.2 ``json_encode($value)`` and Node 20 ``JSON.stringify(value)``; when
php (which make test installs) and node are installed, the test asks them again."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from sandbox.core.wire import node_json, php_json

VALUE = {"url": "http://x/a/b", "name": "Zoë ☃ 😀", "c": "\x01", "n": [1, 0.1, None, True], "e": [], "o": {}}
PHP = rb'{"url":"http:\/\/x\/a\/b","name":"Zo\u00eb \u2603 \ud83d\ude00","c":"\u0001","n":[1,0.1,null,true],"e":[],"o":{}}'
NODE = '{"url":"http://x/a/b","name":"Zoë ☃ 😀","c":"\\u0001","n":[1,0.1,null,true],"e":[],"o":{}}'.encode()


def test_php_json_escapes_slashes_and_every_non_ascii_character():
    assert php_json(VALUE) == PHP
    assert php_json({"a": "b/c"}) == rb'{"a":"b\/c"}'     # the ASCII path (orjson) escapes "/" too


def test_node_json_writes_raw_utf8():
    assert node_json(VALUE) == NODE


def test_what_orjson_refuses_is_encoded_all_the_same():
    big = 2 ** 70
    assert json.loads(node_json({"n": big})) == {"n": big} == json.loads(php_json({"n": big}))
    assert node_json({"s": "\ud800"}) == b'{"s":"\\ud800"}'      # a lone surrogate, escaped as JSON.stringify does


def test_php_prints_the_same_bytes():
    assert shutil.which("php"), "php is not installed: run make test (its tools target), or apt-get install php-cli"
    script = "echo json_encode(json_decode(stream_get_contents(STDIN)));"
    out = subprocess.run(["php", "-r", script], input=json.dumps(VALUE).encode(), capture_output=True, timeout=30)
    assert out.stdout == php_json(VALUE)


@pytest.mark.skipif(not shutil.which("node"), reason="node not installed")
def test_node_prints_the_same_bytes():
    script = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>process.stdout.write(JSON.stringify(JSON.parse(s))))"
    out = subprocess.run(["node", "-e", script], input=json.dumps(VALUE).encode(), capture_output=True, timeout=30)
    assert out.stdout == node_json(VALUE)


@pytest.mark.parametrize("path, headers, laravel", [
    ("/appx/api/v1/orders/15", {"Authorization": "Bearer t"}, True),
    ("/slyk/orders?page[size]=2", {"apikey": "t"}, False),
])
def test_api_answers_carry_their_vendors_bytes_and_no_trailing_newline(client, path, headers, laravel):
    response = client.get(path, headers=headers)
    body = response.get_data()
    assert response.status_code == 200 and not body.endswith(b"\n")
    assert (b"\\/" in body) == laravel
    assert body == (php_json if laravel else node_json)(response.get_json())
