"""Property-based fuzzing of every API in the registry against its own OpenAPI document (schemathesis).

For each operation, schemathesis generates requests that fit the document (positive) and that break it
(negative: wrong types, missing fields, values out of range), sends them through the WSGI app with the
auth headers the API demands, and checks each answer: never a 5xx, the status documented for the
operation, a JSON body where one is documented, and that body (the API's success shape or its own error
shape) valid against the document. Path parameters are random half of the time and name seeded records
the other half, so that writes reach real orders. Bounded by ``SANDBOX_FUZZ_EXAMPLES`` per operation and mode
(default 40), derandomised so a run repeats, and without Hypothesis' example database."""

from __future__ import annotations

import itertools
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from sandbox import create_app
from sandbox.config import TEST_CONFIG
from tests.conftest import api_specs, auth_headers, seeded_values

SPECS = api_specs()
SEEDED_PER_PARAMETER = 3   # seeded values tried per path parameter, so writes reach real records
EXAMPLES = int(os.environ.get("SANDBOX_FUZZ_EXAMPLES", "40"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck), print_blob=False)


@pytest.mark.parametrize("spec", SPECS, ids=[spec.name for spec in SPECS])
def test_every_operation_survives_fuzzing_and_answers_as_documented(spec):
    app = create_app(TEST_CONFIG)
    schema = schemathesis.openapi.from_wsgi(f"{spec.mount}/openapi.json", app)
    headers = auth_headers(spec)
    seeded = seeded_values(app, spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"{spec.name}'s document has no operations"
    for operation in operations:
        cases = st.one_of(*(operation.as_strategy(mode, path_parameters=fixed)
                            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                            for fixed in [None, *_seeded_paths(operation, seeded)]))

        @FUZZ_SETTINGS
        @given(case=cases)
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        fuzz()


def _seeded_paths(operation, seeded: dict[str, list[str]]) -> list[dict[str, str]]:
    """Path parameters naming seeded records (random ids alone would almost only ever find 404s)."""
    names = [parameter.name for parameter in operation.path_parameters]
    if not names:
        return []
    choices = [list(dict.fromkeys(seeded.get(name, ())))[:SEEDED_PER_PARAMETER] for name in names]
    return [dict(zip(names, combination)) for combination in itertools.product(*choices)]
