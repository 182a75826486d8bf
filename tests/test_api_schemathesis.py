"""Schemathesis (property-based tests from the OpenAPI document) against the read API over real HTTP, on SQLite
and PostgreSQL, for every role: no 5xx, and every response — status, content type, headers, body — is what the
document says it is. On a small world (tests/privacy_world.py, with a merged and a retired id added), seeded and
bounded: each operation gets EXAMPLES valid requests and EXAMPLES invalid ones per role, plus the world's own ids
so that the 200, 304 and 308 paths are exercised too.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.clients import create_client
from tests.api_world import serving
from tests.privacy_world import IDS, KEY, build_privacy_world, cf
from tests.servers import postgres_database
from warehouse.models import IDENTITY_TABLES
from warehouse.runs import start_run

EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROLES = {  # client -> (role, grants)
    "case_worker": ("case_worker", ()),
    "case_worker_confidential": ("case_worker", ("confidential",)),
    "analyst": ("analyst", ()),
    "integration": ("integration", ()),
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request, tmp_path_factory):
    """The small world served on loopback, its OpenAPI document loaded by Schemathesis, a key per role."""
    databases = postgres_database("fase_st") if request.param == "postgresql" else None
    url = next(databases) if databases else f"sqlite:///{tmp_path_factory.mktemp('st') / 'warehouse.db'}"
    engine = build_privacy_world(url)
    _add_history(engine)
    keys = {
        name: create_client(engine, name, role, "test: schemathesis", grants=grants)[1]
        for name, (role, grants) in ROLES.items()
    }
    with serving(create_app(engine, pseudonym_key=KEY)) as base:
        yield schemathesis.openapi.from_url(base + "/openapi.json"), keys
    engine.dispose()
    if databases:
        next(databases, None)


def _add_history(engine: sa.Engine) -> None:
    """A merged id (308) and a retired one (410)."""
    b, at = IDENTITY_TABLES["beneficiary"], datetime(2026, 10, 2, tzinfo=UTC)
    run_id = start_run(engine, "link", trigger="test")
    stamp = dict(created_run_id=run_id, updated_run_id=run_id, created_at=at, updated_at=at)
    with engine.begin() as conn:
        conn.execute(
            b.insert(),
            [
                dict(beneficiary_id="BMERGED01", status="merged", merged_into=IDS["control"], record_count=0, **stamp),
                dict(beneficiary_id="BRETIRE01", status="retired", merged_into=None, record_count=0, **stamp),
            ],
        )


def _known(operation) -> list[dict]:
    """Requests naming the world's own records, so that the success paths are checked too."""
    path = operation.path
    if "{beneficiary_id}" in path:
        return [
            {"path_parameters": {"beneficiary_id": b}} for b in (IDS["mother"], IDS["late"], "BMERGED01", "BRETIRE01")
        ]
    if "{system}" in path:
        return [
            {"path_parameters": {"system": s, "source_person_id": i}} for s, i in (("sat", "101"), ("anagrafe", "A2"))
        ]
    if path.endswith("/search"):
        return [{"body": {"last_name": "Belkacem"}}, {"body": {"last_name": "Bini", "birth_date": "1980-08-08"}}]
    if path.endswith("/lookup"):
        return [{"body": {"codice_fiscale": cf("BLKLNI15H41D612")}}]
    return [{}]


@pytest.mark.parametrize("client", list(ROLES))
def test_every_answer_matches_the_document(served, client):
    schema, keys = served
    auth = {"Authorization": f"Bearer {keys[client]}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        for known in _known(operation):
            case = operation.Case(**known)
            case.call_and_validate(headers=auth, checks=CHECKS)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case) -> None:
                case.call_and_validate(headers=auth, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid: an operation without parameters
                assert mode is GenerationMode.NEGATIVE and operation.path in ("/v1/health", "/v1/ready")
