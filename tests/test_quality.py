"""Great Expectations suites over staging: results stored per expectation, Data Docs rendered."""

import re

import sqlalchemy as sa

from schemas.quality.runner import validate_staging
from schemas.stage import stage_system
from tests.helpers import make_config
from tests.stage_data import fresh_warehouse, good, write_raw
from warehouse.models import STAGING_TABLES, QualityResult


def test_suites_run_store_results_and_render_data_docs(warehouse_url, tmp_path):
    engine = fresh_warehouse(warehouse_url)
    cfg = make_config(tmp_path, warehouse_url=warehouse_url).model_copy(update={"data_dir": tmp_path / "var"})
    write_raw(engine, "contabilita", "soggetti", [good("contabilita", "soggetti")])
    write_raw(engine, "contabilita", "erogazioni", [good("contabilita", "erogazioni")])
    stage_system(cfg, engine, "contabilita")
    with engine.begin() as conn:  # a staged row that breaks an expectation (as a faulty loader would)
        conn.execute(sa.update(STAGING_TABLES["stg_person"]).values(phone="3331234567"))
    summary = validate_staging(cfg, engine)
    assert set(summary["suites"]) == set(STAGING_TABLES)
    assert summary["suites"]["stg_person"]["failed"] == ["expect_column_values_to_match_regex(phone)"]
    assert not summary["success"] and summary["suites"]["stg_payment"]["failed"] == []
    with engine.connect() as conn:
        stored = conn.execute(sa.select(QualityResult).where(QualityResult.run_id == summary["run_id"])).all()
    assert len(stored) == sum(s["expectations"] for s in summary["suites"].values())
    (phone,) = [r for r in stored if r.column == "phone"]
    assert not phone.success and phone.observed["unexpected_count"] == 1
    assert phone.observed["partial_unexpected_list"] == ["3331234567"]
    assert {
        r.suite for r in stored if r.expectation == "expect_column_values_to_be_between" and r.column == "importo"
    } == {"stg_payment"}
    index = tmp_path / "var" / "data_docs" / "index.html"
    assert summary["data_docs"] == str(index) and index.exists() and "stg_person" in index.read_text()
    assert (tmp_path / "var" / "gx" / "great_expectations.yml").exists()
    assert validate_staging(cfg, engine)["run_id"] != summary["run_id"]  # the GE context is reused


def test_data_docs_link_local_copies_of_their_assets(tmp_path):
    """Issue 15: without internet the Data Docs were unstyled (Bootstrap, jQuery, Font Awesome from CDNs).
    Every script, stylesheet and image of every page now points to a file inside the site."""
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = fresh_warehouse(url)
    cfg = make_config(tmp_path, warehouse_url=url).model_copy(update={"data_dir": tmp_path / "var"})
    write_raw(engine, "contabilita", "soggetti", [good("contabilita", "soggetti")])
    stage_system(cfg, engine, "contabilita")
    summary = validate_staging(cfg, engine)
    site = tmp_path / "var" / "data_docs"
    pages = list(site.rglob("*.html"))
    assert summary["data_docs_offline"] == {"pages": len(pages), "external_links": []} and len(pages) > 1
    for page in pages:
        html = page.read_text()
        links = re.findall(r'<(?:script|link|img)\b[^>]*?(?:src|href)="([^"]+)"', html)
        assert links and not [u for u in links if re.match(r"(https?:)?//", u)], page
        for link in (u for u in links if u.endswith((".js", ".css", ".png"))):  # GE's own favicon path is its own
            assert (page.parent / link).resolve().is_file(), (page, link)
        assert "dataContextId" not in html  # GE's logo no longer fetched from S3 with the context's id
        assert "integrity=" not in html and "bootstrap.min.css" in html
    fonts = site / "static" / "vendor" / "@fortawesome" / "fontawesome-free" / "webfonts" / "fa-solid-900.woff2"
    assert fonts.is_file()  # all.min.css loads its fonts relatively
