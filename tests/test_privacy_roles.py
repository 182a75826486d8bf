"""The warehouse's PostgreSQL roles, tested connected AS them: `fase db roles` creates an API role that reads
what the API serves and may only INSERT audit rows, and an analyst role that sees only the pseudonymised
schema `fase_marts`; the owner cannot TRUNCATE the audit log, and rows a superuser deletes or edits with the
triggers disabled are found by `fase audit verify`.

Roles are cluster-wide: each session creates its own (random suffix) and drops them at the end.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner

from api.app import create_app
from api.clients import create_client
from hub.cli import cli
from tests.api_world import serving
from tests.privacy_world import IDS, KEY, PEOPLE, PROTECTED_TEXT, SHELTER, build_privacy_world
from tests.servers import PG_ADMIN_URL, fresh_database, require_server
from warehouse import audit_chain
from warehouse.db import make_engine
from warehouse.models import ACCESS_TABLES
from warehouse.profile.queries import ANALYST_QUERIES
from warehouse.pseudonyms import Pseudonymiser

AUDIT = ACCESS_TABLES["api_audit"]
PASSWORDS = {"FASE_TEST_API_DB_PASSWORD": "api-pw", "FASE_TEST_ANALYST_DB_PASSWORD": "analyst-pw"}
PERSONAL_COLUMNS = {
    "first_name",
    "last_name",
    "codice_fiscale",
    "birth_date",
    "phone",
    "email",
    "street",
    "number",
    "interno",
    "postcode",
    "address",
    "structure_name",
    "current_structure_address",
    "source_person_id",
    "determina_number",
}


class Roles:
    """A fresh database owned by a non-superuser owner, its configuration, and an engine per role."""

    def __init__(self, url: sa.URL, config, names: dict[str, str]):
        self.url, self.config, self.names = url, config, names
        self.engines = {who: make_engine(url.set(username=name)) for who, name in names.items()}
        self.engines["superuser"] = make_engine(url)

    def fase(self, *args: str):
        return CliRunner().invoke(cli, ["--config", str(self.config), *args])

    def refused(self, who: str, statement: str, match: str = "permission denied") -> None:
        with pytest.raises(sa.exc.DBAPIError, match=match), self.engines[who].begin() as conn:
            conn.execute(sa.text(statement))


@pytest.fixture(scope="module")
def roles(tmp_path_factory):
    require_server("PostgreSQL", "127.0.0.1", 5432)
    suffix = uuid.uuid4().hex[:8]
    names = {"owner": f"fase_own_{suffix}", "api": f"fase_api_{suffix}", "analyst": f"fase_ana_{suffix}"}
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{names["owner"]}" LOGIN CREATEROLE'))
    saved = {k: os.environ.get(k) for k in PASSWORDS}
    os.environ.update(PASSWORDS)
    try:
        with fresh_database(PG_ADMIN_URL, "fase_roles") as url:
            url = sa.make_url(url)
            with make_engine(url).connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{url.database}" OWNER TO "{names["owner"]}"'))
                conn.commit()
            config = tmp_path_factory.mktemp("roles") / "hub.yaml"
            owner_url = url.set(username=names["owner"]).render_as_string(hide_password=False)
            config.write_text(
                f"warehouse: {{url: '{owner_url}'}}\n"
                f"database_roles:\n  api: {{name: {names['api']}, password_env: FASE_TEST_API_DB_PASSWORD}}\n"
                f"  analyst: {{name: {names['analyst']}, password_env: FASE_TEST_ANALYST_DB_PASSWORD}}\n"
                "sources:\n  sat: {base_url: 'http://x'}\n  polis: {base_url: 'http://x'}\n"
                f"  anagrafe: {{folder: '{config.parent}'}}\n  volontariato: {{url: 'sqlite://'}}\n"
                "  contabilita: {url: 'sqlite://'}\n"
            )
            world = Roles(url, config, names)
            out = world.fase("db", "upgrade")
            assert out.exit_code == 0, out.output
            first, second = world.fase("db", "roles"), world.fase("db", "roles")  # idempotent
            assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
            assert "created" in first.output and "created" not in second.output and "exists" in second.output
            assert "api-pw" not in first.output + second.output
            build_privacy_world(owner_url)
            yield world
            for engine in world.engines.values():
                engine.dispose()
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(sa.text(f'DROP ROLE IF EXISTS "{name}"'))
        admin.dispose()


def audit_row(path: str) -> dict:
    return {"at": datetime.now(UTC), "method": "GET", "path": path, "outcome": 200, "client_id": "cl_test"}


def test_api_role_may_only_insert_audit_rows_and_read_what_it_serves(roles):
    for statement in (
        "SELECT * FROM api_audit",
        "DELETE FROM api_audit",
        "UPDATE api_audit SET outcome = 500",
        "TRUNCATE api_audit",
        "SELECT * FROM restricted_stay_address",
        "SELECT indirizzo FROM stg_stay",
        "SELECT struttura FROM stg_stay",
        "SELECT payload FROM quarantine",
        "SELECT * FROM analyst_pseudonym",
        "SELECT * FROM golden_history",
        "SELECT * FROM fase_marts.beneficiary_profile",
        "INSERT INTO beneficiary (beneficiary_id, status) VALUES ('X', 'active')",
        "UPDATE golden_record SET first_name = 'x'",
        "ALTER TABLE api_audit DISABLE TRIGGER api_audit_no_change",
    ):
        roles.refused("api", statement, match="permission denied|must be owner")
    audit_chain.append(roles.engines["api"], [audit_row("/v1/role-test")])
    with roles.engines["api"].connect() as conn:
        places = conn.execute(sa.text("SELECT * FROM fase_stay_places(:b, true)"), {"b": IDS["mother"]}).all()
    assert [(r.structure_name, r.address) for r in places] == [SHELTER]


def test_the_api_serves_everything_connected_as_its_role(roles):
    owner = roles.engines["owner"]
    keys = {
        who: create_client(owner, who, "case_worker", "test: casework", grants=grants)[1]
        for who, grants in (("cw", ()), ("cw_conf", ("confidential",)))
    }
    with owner.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(AUDIT)).scalar()
    url = roles.url.set(username=roles.names["api"]).render_as_string(hide_password=False)
    with serving(create_app(url, pseudonym_key=KEY)) as base:

        def get(path: str, who: str) -> dict:
            r = requests.get(base + path, headers={"Authorization": f"Bearer {keys[who]}"}, timeout=30)
            assert r.status_code == 200, (path, r.text[:300])
            return r.json()

        assert requests.get(base + "/v1/ready", timeout=10).json()["status"] == "ready"
        for person in ("mother", "daughter", "late"):
            plain = get(f"/v1/beneficiaries/{IDS[person]}", "cw")
            granted = get(f"/v1/beneficiaries/{IDS[person]}", "cw_conf")
            assert plain["person"]["address"]["value"] is None and granted["person"]["address"]["value"]
            assert all(s["structure_name"] for s in granted["stays"]) and granted["stays"]
        assert get("/v1/sources/anagrafe/A2/record", "cw")["beneficiary_id"] == IDS["daughter"]
        hits = requests.post(
            base + "/v1/beneficiaries/search", json={"last_name": "Belkacem"}, headers={"X-API-Key": keys["cw"]}
        )
        assert hits.status_code == 200 and hits.json()["items"]
    with owner.connect() as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(AUDIT)).scalar()
    assert after >= before + 8


def test_analyst_role_sees_only_the_pseudonymised_schema(roles):
    for statement in (
        "SELECT * FROM public.golden_record",
        "SELECT * FROM public.beneficiary_profile",
        "SELECT * FROM public.restricted_stay_address",
        "SELECT * FROM public.analyst_pseudonym",
        "SELECT * FROM public.api_audit",
        "SELECT * FROM public.fase_stay_places('BMOTHER01', true)",
    ):
        roles.refused("analyst", statement)
    with roles.engines["analyst"].connect() as conn:
        views = conn.execute(
            sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'fase_marts'")
        ).scalars()
        dump = {v: conn.execute(sa.text(f"SELECT * FROM {v}")).mappings().all() for v in views}  # search_path
        results = {name: conn.execute(sa.text(q)).mappings().all() for name, q in ANALYST_QUERIES.items()}
    assert dump["beneficiary_profile"] and dump["household_member"] and dump["fact_stay"]
    assert not {c for rows in dump.values() for r in rows[:1] for c in r} & PERSONAL_COLUMNS
    text = json.dumps({k: [{c: str(v) for c, v in r.items()} for r in rows] for k, rows in dump.items()})
    people = [r[f] for rows in PEOPLE.values() for r in rows for f in ("first_name", "last_name", "codice_fiscale")]
    for needle in (*PROTECTED_TEXT, "GUELFA", "+393331234567", "rosa.ferri", *IDS.values(), *filter(None, people)):
        assert needle.lower() not in text.lower(), needle
    assert all(r["birth_year"] in (1955, 1960, 1970, 1980, 1990, 2015) for r in dump["beneficiary_profile"])
    assert results["people_per_target_group"] and results["benefits_paid_last_12_months_by_type"] == []
    assert {r["beneficiary_id"] for r in results["people_known_to_3_or_more_systems"]} <= {
        r["beneficiary_id"] for r in dump["beneficiary_profile"]
    }


def test_analysts_pseudonyms_are_the_apis(roles):
    owner = roles.engines["owner"]
    key = create_client(owner, "analyst", "analyst", "test: monitoring")[1]
    pseudonym = Pseudonymiser(KEY)
    with serving(create_app(owner, pseudonym_key=KEY)) as base:
        rec = requests.get(
            base + f"/v1/beneficiaries/{IDS['daughter']}", headers={"Authorization": f"Bearer {key}"}, timeout=30
        ).json()
    assert rec["beneficiary_id"] == pseudonym(IDS["daughter"])
    with roles.engines["analyst"].connect() as conn:
        member = conn.execute(
            sa.text("SELECT household_id FROM household_member WHERE beneficiary_id = :b"), {"b": rec["beneficiary_id"]}
        ).scalar()
        stays = conn.execute(
            sa.text("SELECT count(*) FROM fact_stay WHERE beneficiary_id = :b"), {"b": rec["beneficiary_id"]}
        ).scalar()
    assert member == rec["households"][0]["household_key"] and stays == len(rec["stays"]) == 2
    assert {m["beneficiary_id"] for m in rec["households"][0]["members"]} == {pseudonym(IDS["mother"])}


def test_owner_cannot_truncate_and_superuser_tampering_is_found(roles):
    roles.refused("owner", "TRUNCATE api_audit", match="append-only")
    roles.refused("owner", "DELETE FROM api_audit", match="append-only")
    for i in range(5):
        audit_chain.append(roles.engines["api"], [audit_row(f"/v1/tamper/{i}")])
    assert roles.fase("audit", "verify").exit_code == 0
    head = roles.fase("audit", "verify").output.split("head ")[1].strip()
    with roles.engines["owner"].connect() as conn:
        ids = (
            conn.execute(
                sa.select(AUDIT.c.audit_id).where(AUDIT.c.path.like("/v1/tamper/%")).order_by(AUDIT.c.audit_id)
            )
            .scalars()
            .all()
        )
    superuser = roles.engines["superuser"]

    def tamper(statement: str) -> None:
        with superuser.begin() as conn:
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))  # no triggers fire
            conn.execute(sa.text(statement))

    tamper(f"UPDATE api_audit SET path = '/v1/elsewhere' WHERE audit_id = {ids[2]}")
    out = roles.fase("audit", "verify")
    assert out.exit_code == 1 and f"row {ids[2]}: content does not match" in out.output
    tamper(f"UPDATE api_audit SET path = '/v1/tamper/2' WHERE audit_id = {ids[2]}")
    assert roles.fase("audit", "verify").exit_code == 0
    tamper(f"DELETE FROM api_audit WHERE audit_id = {ids[1]}")
    out = roles.fase("audit", "verify")
    assert out.exit_code == 1 and f"row {ids[2]}: previous hash does not match row {ids[0]}" in out.output
    assert roles.fase("audit", "verify", "--anchor", head).exit_code == 1


def test_the_analyst_notebook_runs_as_the_analyst_role(roles, tmp_path):
    """docs/analyst_notebook.py against PostgreSQL as the analysts' role: the pseudonymised schema only (its search
    path), password from PGPASSWORD, never in the URL."""
    url = roles.url.set(username=roles.names["analyst"], password=None).render_as_string(hide_password=False)
    env = {
        **os.environ,
        "FASE_ANALYST_URL": url,
        "PGPASSWORD": PASSWORDS["FASE_TEST_ANALYST_DB_PASSWORD"],
        "FASE_NOTEBOOK_OUT": str(tmp_path),
    }
    notebook = Path(__file__).resolve().parents[1] / "docs" / "analyst_notebook.py"
    done = subprocess.run([sys.executable, str(notebook)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "housing_flows.html").exists() and "autonomy share" in done.stdout
    roles.refused("analyst", "SELECT * FROM public.mart_housing_flow")  # what it read was fase_marts'


def test_the_console_works_connected_as_the_api_role(roles):
    """`fase serve` serves the console too: its pages and a steward's decision (review item, constraint, the
    linkage lock) work with the API role's rights, and that role still cannot read a quarantined payload."""
    from matching.pipeline import link
    from matching.review import decide_pair, undo_decision

    owner = roles.engines["owner"]
    key = create_client(owner, "Giulia Neri", "steward", "test: clerical review")[1]
    url = roles.url.set(username=roles.names["api"]).render_as_string(hide_password=False)
    api = roles.engines["api"]
    with serving(create_app(url, pseudonym_key=KEY, console_secret="s" * 32)) as base:
        s = requests.Session()
        token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(base + "/console/login", timeout=30).text)
        r = s.post(base + "/console/login", data={"api_key": key, "csrf_token": token.group(1)}, timeout=30)
        assert r.status_code == 200 and "/console/login" not in r.url, r.text[:300]
        for path in (
            "/console/review",
            f"/console/beneficiaries/{IDS['mother']}",
            "/console/linkage",
            "/console/pipeline",
            "/console/quarantine",
            "/console/monitoring",
            "/console/search",
        ):
            page = s.get(base + path, timeout=60)
            assert page.status_code == 200, (path, page.text[:300])
            assert "permission denied" not in page.text
    link(owner, trigger="test")  # last in this module: it relinks the world the tests above read by id
    with owner.connect() as conn:
        a, b = (
            conn.execute(
                sa.text("SELECT source_system || ':' || source_person_id FROM beneficiary_crosswalk ORDER BY 1 LIMIT 2")
            )
            .scalars()
            .all()
        )
    decided = decide_pair(api, a, b, match=False, by="Giulia Neri (test)")
    undo_decision(api, decided["review_id"], by="Giulia Neri (test)")
