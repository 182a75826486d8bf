"""The steward's console over real HTTP (uvicorn on loopback) and in a real browser (Debian's Chromium driven by
Playwright), on a sandbox warehouse linked for real (tests/console_world.py).

Sign-in and its cookie, CSRF, roles; the waterfall equals `fase explain`; reads are audited; a decision during a
linkage run says so. In the browser: sign in, decide a review item, run `fase link`, see the decision hold, undo
it (SQLite and PostgreSQL); keyboard-only review of five items; a case worker without the grant never sees a
protected address; an analyst sees no name or code; every page loads with no request leaving 127.0.0.1.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner

from api.audit import query_audit
from api.clients import CLIENT_TTL, revoke_client
from hub.cli import cli
from matching import review, store
from matching.explain import explain_records
from tests.console_world import chromium, console_world
from tests.servers import postgres_database
from warehouse import locks
from warehouse.models import ACCESS_TABLES, PROFILE_TABLES
from warehouse.runs import lock_scope

AUDIT = ACCESS_TABLES["api_audit"]
PAGES = {  # path -> roles that may open it
    "/console/review": {"steward", "analyst"},
    "/console/search": {"steward", "case_worker"},
    "/console/linkage": {"steward", "case_worker", "analyst"},
    "/console/pipeline": {"steward", "case_worker", "analyst"},
    "/console/monitoring": {"steward", "case_worker", "analyst"},
    "/console/quarantine": {"steward"},
    "/console/data-docs/index.html": {"steward"},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console_sqlite")
    with console_world(f"sqlite:///{tmp / 'warehouse.db'}", tmp) as w:
        yield w


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def open_items(world) -> list[dict]:
    return review.queue(world.engine, review.QueueFilter(), limit=100)


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


# --------------------------------------------------------------------------- HTTP
def test_sign_in_opens_a_safe_session_and_only_valid_person_keys_do(world):
    s = requests.Session()
    form = s.get(world.base + "/console/login")
    assert form.status_code == 200 and 'type="password"' in form.text
    r = s.post(
        world.base + "/console/login",
        data={"api_key": world.keys["steward"], "csrf_token": csrf(form.text)},
        allow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/console/review"
    cookie = next(c for c in r.raw.headers.getlist("set-cookie") if c.startswith("fase_console="))
    attributes = {a.strip().split("=")[0].lower(): a.strip() for a in cookie.split(";")[1:]}
    assert attributes["httponly"] and attributes["samesite"].lower() == "samesite=strict"
    assert attributes["path"] == "Path=/console" and attributes["max-age"] == "Max-Age=28800"
    assert "secure" not in attributes  # plain http on loopback; a request over https gets Secure
    assert world.keys["steward"] not in cookie
    assert s.get(world.base + "/console/review").status_code == 200
    home = s.get(world.base + "/console/", allow_redirects=False)
    assert home.headers["location"] == "/console/review"

    def attempt(key: str) -> requests.Response:
        t = requests.Session()
        return t.post(
            world.base + "/console/login",
            data={"api_key": key, "csrf_token": csrf(t.get(world.base + "/console/login").text)},
        )

    assert attempt("fase_000000000000.nope").status_code == 401
    assert attempt(world.keys["integration"]).status_code == 403  # a machine's key cannot sign in
    assert requests.post(world.base + "/console/login", data={"api_key": world.keys["steward"]}).status_code == 403
    forged = requests.get(
        world.base + "/console/review", cookies={"fase_console": "x" + s.cookies["fase_console"]}, allow_redirects=False
    )
    assert forged.status_code == 303 and forged.headers["location"].startswith("/console/login?next=/console/review")

    out = s.post(
        world.base + "/console/logout",
        data={"csrf_token": csrf(s.get(world.base + "/console/review").text)},
        allow_redirects=False,
    )
    assert out.status_code == 303 and "fase_console=" in out.headers["set-cookie"]
    assert s.get(world.base + "/console/review", allow_redirects=False).status_code == 303


def test_a_revoked_key_ends_its_sessions(world, tmp_path):
    from api.clients import create_client

    client, key = create_client(world.engine, "temporary", "case_worker", "console test")
    world.keys["temporary"] = key
    s = world.session("temporary")
    assert s.get(world.base + "/console/search").status_code == 200
    revoke_client(world.engine, client.client_id)
    time.sleep(CLIENT_TTL)
    assert s.get(world.base + "/console/search", allow_redirects=False).status_code == 303


def test_each_role_opens_its_pages_only(world):
    for who in ("steward", "case_worker", "analyst"):
        s = world.session(who)
        role = who
        for path, roles in PAGES.items():
            r = s.get(world.base + path)
            assert r.status_code == (200 if role in roles else 403), (who, path, r.status_code)
    scoped = world.session("case_worker_sat")
    page = scoped.get(world.base + "/console/search")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self';" in page.headers["content-security-policy"]


def test_a_post_without_the_csrf_token_is_refused(world):
    item = open_items(world)[0]["review_id"]
    s = world.session("steward")
    page = s.get(world.base + f"/console/review/{item}").text
    for data in ({"decision": "match"}, {"decision": "match", "csrf_token": "forged"}):
        r = s.post(world.base + f"/console/review/{item}/decide", data=data)
        assert r.status_code == 403 and "security token" in r.text
    other = world.session("steward_conf")  # another session's token is no good either
    r = other.post(world.base + f"/console/review/{item}/decide", data={"decision": "match", "csrf_token": csrf(page)})
    assert r.status_code == 403
    assert review.show_item(world.engine, item)["status"] == "open"
    no_session = requests.post(
        world.base + f"/console/review/{item}/decide",
        data={"decision": "match", "csrf_token": csrf(page)},
        allow_redirects=False,
    )
    assert no_session.status_code == 303 and review.show_item(world.engine, item)["status"] == "open"


def page_weights(html: str) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(r'data-weight="([^"]+)">([-+0-9.]+)<', html)}


def test_the_waterfall_has_the_figures_of_fase_explain(world, tmp_path):
    config = tmp_path / "hub.yaml"
    config.write_text(
        f"warehouse: {{url: '{world.engine.url.render_as_string(hide_password=False)}'}}\nsources:\n"
        f"  sat: {{base_url: 'http://x'}}\n  polis: {{base_url: 'http://x'}}\n  anagrafe: {{folder: '{tmp_path}'}}\n"
        f"  volontariato: {{url: 'sqlite://'}}\n  contabilita: {{url: 'sqlite://'}}\n"
    )
    s = world.session("steward")
    for item in open_items(world)[:3]:
        shown = page_weights(s.get(world.base + f"/console/review/{item['review_id']}").text)
        e = explain_records(world.engine, item["left"], item["right"])
        expected = {"prior": e["prior_weight"], "total": e["match_weight"]}
        expected |= {r["comparison"]: r["weight"] for r in e["comparisons"]}
        assert set(shown) == set(expected)
        for name, weight in expected.items():
            assert shown[name] == pytest.approx(weight, abs=0.006), name
        printed = CliRunner().invoke(cli, ["--config", str(config), "explain", item["left"], item["right"]]).output
        assert f"match weight {e['match_weight']:.2f}" in printed
        prior_line = next(line for line in printed.splitlines() if line.strip().startswith("prior"))
        assert f"{shown['prior']:.2f}" in prior_line
        stored = review.show_item(world.engine, item["review_id"])["evidence"]
        assert stored["match_weight"] == pytest.approx(e["match_weight"], abs=1e-3)


def test_pages_showing_people_are_audited_with_the_signed_in_client(world):
    s = world.session("case_worker")
    (bid,) = world.rows("SELECT beneficiary_id FROM golden_record ORDER BY record_count DESC, beneficiary_id LIMIT 1")[
        0
    ]
    before = world.rows(sa.select(sa.func.max(AUDIT.c.audit_id)))[0][0] or 0
    assert s.get(world.base + f"/console/beneficiaries/{bid}").status_code == 200
    r = s.post(
        world.base + "/console/search",
        data={"last_name": "Rossi", "csrf_token": csrf(s.get(world.base + "/console/search").text)},
    )
    assert r.status_code == 200
    s.get(world.base + "/console/monitoring")
    rows = world.rows(sa.select(AUDIT).where(AUDIT.c.audit_id > before).order_by(AUDIT.c.audit_id))
    profile = [r for r in rows if r.path == f"/console/beneficiaries/{bid}"]
    assert profile and profile[0].client_id == world.clients["case_worker"]
    # one row per page (the person and her household members): found by beneficiary all the same
    assert profile[0].audit_id in {r["audit_id"] for r in query_audit(world.engine, beneficiary_id=bid)}
    assert profile[0].role == "case_worker" and profile[0].location == "console" and profile[0].outcome == 200
    search = [r for r in rows if r.path == "/console/search"]
    assert search and all("Rossi" not in (r.detail or "") for r in search)  # who looked, never what was typed
    assert not [r for r in rows if r.path == "/console/monitoring"]  # aggregates only: not a read of a person


def test_a_decision_while_a_linkage_run_holds_the_lock_is_not_recorded(world):
    item = open_items(world)[0]["review_id"]
    s = world.session("steward")
    token = csrf(s.get(world.base + f"/console/review/{item}").text)
    held = locks.acquire(world.engine, lock_scope("link"), holder="linkage run (test)", wait=0, lease=60)
    try:
        started = time.monotonic()
        r = s.post(world.base + f"/console/review/{item}/decide", data={"decision": "match", "csrf_token": token})
        assert r.status_code == 409 and "A linkage run is going" in r.text and "try again" in r.text
        assert time.monotonic() - started < 30
    finally:
        held.release()
    assert review.show_item(world.engine, item)["status"] == "open"


def test_monitoring_csv_downloads_are_the_marts(world):
    s = world.session("analyst")
    r = s.get(world.base + "/console/monitoring/housing_flow.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.strip().splitlines()
    marts = world.rows(sa.select(PROFILE_TABLES["mart_housing_flow"]))
    assert lines[0] == "month,flow,exit_reason,stays,people,households" and len(lines) == len(marts) + 1
    groups = s.get(world.base + "/console/monitoring/target_groups.csv").text.splitlines()
    assert groups[0] == "as_of,target_group,label,people,households" and len(groups) == 4
    assert s.get(world.base + "/console/monitoring/nope.csv").status_code == 404


def test_a_review_item_withholds_a_protected_address_without_the_grant(world):
    item = open_items(world)[0]
    system, sid = store.split_key(item["left"])
    (street,) = world.rows(
        "SELECT address_street FROM stg_person WHERE source_system = :s AND source_person_id = :i", s=system, i=sid
    )[0]
    assert street
    with world.engine.begin() as conn:
        conn.execute(
            store.STG.update()
            .where(store.STG.c.source_system == system, store.STG.c.source_person_id == sid)
            .values(riservato=True)
        )
    try:
        plain = world.session("steward").get(world.base + f"/console/review/{item['review_id']}").text
        granted = world.session("steward_conf").get(world.base + f"/console/review/{item['review_id']}").text
    finally:
        with world.engine.begin() as conn:
            conn.execute(
                store.STG.update()
                .where(store.STG.c.source_system == system, store.STG.c.source_person_id == sid)
                .values(riservato=False)
            )
    assert street not in plain and "withheld" in plain and "protected person" in plain
    assert street in granted


def test_docs_render_from_local_assets(world):
    html = requests.get(world.base + "/docs").text
    assets = re.findall(r'(?:src|href)=[\'"]([^\'"]+)', html)
    assert assets and all(a.startswith("/") for a in assets), assets
    for a in assets:
        assert requests.get(world.base + a).status_code == 200, a


# --------------------------------------------------------------------------- browser
class Browsing:
    """A signed-in browser context that logs every request and page error. `scripts=False` for sweeps over many
    pages that read what they show: the figures' data is in the page itself (JSON the scripts draw), so the
    content checked is all the page holds, without waiting for Plotly to draw."""

    def __init__(self, browser, world, who: str, scripts: bool = True):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900}, java_script_enabled=scripts)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(  # a script, style or font the page's Content-Security-Policy refused
            "console", lambda m: self.errors.append(m.text) if "Content Security Policy" in m.text else None
        )
        self.page.goto(world.base + "/console/login")
        self.page.fill("#api_key", world.keys[who])
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        assert "/console/login" not in self.page.url
        self.base = world.base

    def open(self, path: str) -> str:
        response = self.page.goto(self.base + path)  # waits for "load": scripts and stylesheets are in
        assert response is not None
        return self.page.content()

    def close(self) -> None:
        self.context.close()


def main_flow(browser, world) -> None:
    """Sign in, decide a review item (match), `fase link`, see it hold, undo it, `fase link` again."""
    item = open_items(world)[0]
    a, b = item["left"], item["right"]

    def xw() -> dict[str, str]:
        rows = world.rows("SELECT source_system, source_person_id, beneficiary_id FROM beneficiary_crosswalk")
        return {f"{system}:{sid}": bid for system, sid, bid in rows}

    assert xw()[a] != xw()[b]
    t = Browsing(browser, world, "steward")
    try:
        t.open(f"/console/review/{item['review_id']}")
        forged = t.page.request.post(  # the browser's own session cookie, but no CSRF token: refused
            world.base + f"/console/review/{item['review_id']}/decide", form={"decision": "match"}
        )
        assert forged.status == 403 and review.show_item(world.engine, item["review_id"])["status"] == "open"
        t.page.fill("#reason", "same person: checked with the registry office")
        with t.page.expect_navigation():
            t.page.click("#decide-match")
        assert f"Review {item['review_id']} recorded" in t.page.content()
        decided = review.show_item(world.engine, item["review_id"])
        assert decided["status"] == "match" and decided["decided_by"] == f"Steward ({world.clients['steward']})"
        assert decided["note"] == "same person: checked with the registry office"

        world.link()  # fase link: the decision binds the run
        joined = xw()
        assert joined[a] == joined[b]
        html = t.open(f"/console/beneficiaries/{joined[a]}")
        assert a.split(":", 1)[1] in html and b.split(":", 1)[1] in html
        html = t.open(f"/console/review/{item['review_id']}")
        assert "Decided <strong>match</strong>" in html

        with t.page.expect_navigation():
            t.page.click("#undo")
        assert "The decision was undone" in t.page.content()
        assert review.show_item(world.engine, item["review_id"])["status"] == "open"
        world.link()
        apart = xw()
        assert apart[a] != apart[b]
        assert not t.errors
    finally:
        t.close()


def test_browser_sign_in_decide_link_and_undo(browser, world):
    main_flow(browser, world)


def test_browser_main_flow_on_postgresql(browser, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console_pg")
    databases = postgres_database("fase_console")
    url = next(databases)
    try:
        with console_world(url, tmp, size=300, with_docs=False) as pg:
            main_flow(browser, pg)
    finally:
        next(databases, None)


def test_browser_keyboard_only_review_of_five_items(browser, world):
    ids = [i["review_id"] for i in open_items(world)]
    assert len(ids) >= 5
    t = Browsing(browser, world, "steward")
    decided = []
    try:
        t.open("/console/review")
        t.page.keyboard.press("j")
        t.page.keyboard.press("k")
        with t.page.expect_navigation():
            t.page.keyboard.press("Enter")
        for n in range(5):
            current = int(re.search(r"/console/review/(\d+)", t.page.url).group(1))
            t.page.keyboard.press("r")
            t.page.keyboard.type(f"keyboard review {n}")
            t.page.keyboard.press("Escape")
            with t.page.expect_navigation():
                t.page.keyboard.press("m" if n % 2 == 0 else "n")
            decided.append(current)
            assert f"Review {current} recorded" in t.page.content()
        assert len(set(decided)) == 5 and set(decided) <= set(ids)
        for n, rid in enumerate(decided):
            it = review.show_item(world.engine, rid)
            assert it["status"] == ("match" if n % 2 == 0 else "no_match") and it["note"] == f"keyboard review {n}"
        assert not t.errors
    finally:
        t.close()
        for rid in decided:
            review.undo_decision(world.engine, rid, "test cleanup")


def protected_strings(world) -> list[str]:
    """What must never reach a reader without the grant: confidential stays' structures and addresses, protected
    people's registry streets."""
    found = [v for row in world.rows("SELECT structure_name, address FROM restricted_stay_address") for v in row if v]
    found += [
        r[0]
        for r in world.rows(
            "SELECT residence_street FROM golden_record WHERE is_protected AND residence_street IS NOT NULL"
        )
    ]
    assert found, "the world holds no protected address: the test would prove nothing"
    return sorted(set(found))


def test_browser_case_worker_without_the_grant_never_sees_a_protected_address(browser, world):
    secrets = protected_strings(world)
    protected = [r[0] for r in world.rows("SELECT beneficiary_id FROM golden_record WHERE is_protected ORDER BY 1")]
    members = [
        r[0]
        for r in world.rows(
            "SELECT other.beneficiary_id FROM household_member me JOIN household_member other "
            "ON other.household_id = me.household_id AND other.beneficiary_id != me.beneficiary_id "
            "JOIN golden_record g ON g.beneficiary_id = me.beneficiary_id WHERE g.is_protected"
        )
    ]
    names = world.rows("SELECT last_name, first_name FROM golden_record WHERE is_protected ORDER BY beneficiary_id")
    profiles = [f"/console/beneficiaries/{b}" for b in protected + members]
    sweeps = {  # who -> (pages, searches, whether the protected addresses may show)
        "case_worker": (profiles + list(PAGES), names, False),
        "steward": (profiles, [], False),
        "case_worker_conf": (profiles[:1], [], True),  # with the grant they show: the check can fail
    }
    for who, (paths, searches, sees) in sweeps.items():
        t = Browsing(browser, world, who, scripts=False)
        try:
            seen = "".join(t.open(path) for path in paths)
            for last, first in searches:  # the search results of each protected person
                t.open("/console/search")
                t.page.fill("#last_name", last)
                t.page.fill("#first_name", first)
                with t.page.expect_navigation():
                    t.page.click("#search-name button[type=submit]")
                seen += t.page.content()
            leaked = [s for s in secrets if s in seen]
            assert bool(leaked) == sees, (who, leaked)
        finally:
            t.close()


def test_browser_analyst_sees_no_name_or_code(browser, world):
    people = world.rows("SELECT first_name, last_name, codice_fiscale, phone FROM golden_record")
    word = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
    names = {tuple(word.findall(f"{first} {last}".upper())) for first, last, _, _ in people if first and last}
    names |= {tuple(word.findall(f"{last} {first}".upper())) for first, last, _, _ in people if first and last}
    codes = {c for _, _, c, p in people if c} | {p for _, _, _, p in people if p}

    def leaks(text: str) -> list:
        """Full names (their words in a row, either order) and codes or phone numbers found in `text`."""
        words = word.findall(text.upper())
        found = [
            tuple(words[i : i + n])
            for n in {len(x) for x in names}
            for i in range(len(words))
            if tuple(words[i : i + n]) in names
        ]
        return found + sorted(codes & set(re.findall(r"\+?[0-9A-Za-z]+", text)))

    ids = [i["review_id"] for i in review.queue(world.engine, review.QueueFilter(status=None), limit=100)]
    paths = [
        "/console/review",
        *(f"/console/review/{i}" for i in ids),
        "/console/linkage",
        "/console/pipeline",
        "/console/monitoring",
    ]
    shown = {}
    for who in ("analyst", "steward"):
        t = Browsing(browser, world, who, scripts=False)
        try:
            shown[who] = "".join(t.open(p) for p in paths)
            shown[who] += "".join(
                t.page.request.get(world.base + f"/console/monitoring/{n}.csv").text()
                for n in ("target_groups", "housing_flow", "autonomy", "benefits")
            )
        finally:
            t.close()

    assert leaks(shown["steward"])  # the same pages show people to a steward: the check can fail
    assert leaks(shown["analyst"]) == []
    item = ids[0]
    source_ids = [
        i
        for r in world.rows(
            sa.select(store.REVIEW.c.left_id, store.REVIEW.c.right_id).where(store.REVIEW.c.review_id == item)
        )
        for i in r
    ]
    t = Browsing(browser, world, "analyst")
    try:
        html = t.open(f"/console/review/{item}")
        assert all(f">{sid}<" not in html for sid in source_ids) and "withheld" in html
        assert t.page.goto(world.base + "/console/search").status == 403
    finally:
        t.close()


def test_browser_every_page_loads_with_no_request_leaving_127_0_0_1(browser, world):
    (bid,) = world.rows(
        "SELECT g.beneficiary_id FROM golden_record g JOIN fact_stay s ON s.beneficiary_id = g.beneficiary_id ORDER BY g.record_count DESC LIMIT 1"
    )[0]
    item = open_items(world)[0]["review_id"]
    charts = {
        "/console/linkage": 5,
        "/console/monitoring": 4,
        f"/console/review/{item}": 1,
        f"/console/beneficiaries/{bid}": 1,
        "/console/pipeline": 1,
    }
    t = Browsing(browser, world, "steward_conf")
    try:
        for path in [*PAGES, f"/console/review/{item}", f"/console/beneficiaries/{bid}", *charts]:
            t.open(path)
            if path in charts:
                drawn = t.page.locator(".js-plotly-plot").count()
                assert drawn >= charts[path], (path, drawn)
        validation = next(world.data_docs.glob("validations/**/*.html")).relative_to(world.data_docs).as_posix()
        for docs_page in ("index.html", validation):
            t.open(f"/console/data-docs/{docs_page}")
            font = t.page.evaluate("getComputedStyle(document.body).fontFamily")
            assert "-apple-system" in font, (docs_page, font)  # Bootstrap's stylesheet is applied
            assert t.page.evaluate("typeof jQuery") == "function"
        t.open("/docs")
        t.page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
        assert "fase-hub read API" in t.page.inner_text(".swagger-ui .info .title")
        assert not t.errors, t.errors
    finally:
        t.close()
    away = [u for u in t.requests if urlparse(u).scheme not in ("data", "blob") and urlparse(u).hostname != "127.0.0.1"]
    assert t.requests and away == []


def test_make_demo_ends_with_the_console_url_and_a_steward_key(world):
    """`make demo` prints where the console is and a steward key that signs in to it."""
    from hub.demo import _console, format_report

    console = _console(world.engine, Path("var/sandbox/hub.yaml"))
    report = {
        "world": {"folder": "var/sandbox", "size": 600, "seed": 7, "generated": True, "today": "2026-10-23"},
        "rounds": [],
        "warehouse": "var/warehouse.db",
        "data_docs": None,
        "data_dir": "var",
        "airflow_home": "var/airflow",
        "hub_config": "var/sandbox/hub.yaml",
        "seconds": 1.0,
        "console": console,
    }
    tail = format_report(report).splitlines()[-3:]
    assert (
        tail[0]
        == "The console: run `fase --config var/sandbox/hub.yaml serve`, then open http://127.0.0.1:8000/console"
    )
    assert tail[1].split() == ["steward", "key", console["key"]]
    world.keys["demo"] = console["key"]
    assert world.session("demo").get(world.base + "/console/review").status_code == 200


def test_skipping_an_item_with_a_reason_keeps_it_open_with_a_note(world):
    item = open_items(world)[0]["review_id"]
    s = world.session("steward")
    token = csrf(s.get(world.base + f"/console/review/{item}").text)
    r = s.post(
        world.base + f"/console/review/{item}/skip",
        data={"reason": "ask the registry office", "csrf_token": token},
        allow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/console/review/")
    assert r.headers["location"] != f"/console/review/{item}"
    shown = review.show_item(world.engine, item)
    assert shown["status"] == "open" and shown["note"].endswith(
        f"Steward ({world.clients['steward']}): skipped: ask the registry office"
    )
    assert "skipped: ask the registry office" in s.get(world.base + f"/console/review/{item}").text
    r = s.post(world.base + f"/console/review/{item}/skip", data={"csrf_token": token}, allow_redirects=False)
    assert r.status_code == 303 and review.show_item(world.engine, item)["note"] == shown["note"]  # no reason, no note
