"""Birth-date bounds implied by volunteering services, read from the staged events, and used by the linkage."""

from __future__ import annotations

from datetime import date

import pandas as pd

from matching.explain import Explainer
from matching.implied_birth import birth_bounds, bounds_from_events
from matching.pipeline import bundled_settings, link
from schemas.stage import stage_system
from tests.helpers import make_config
from tests.stage_data import fresh_warehouse, good, write_raw


def test_bounds_take_the_tightest_event():
    spec = bundled_settings().implied_birth
    ev = pd.DataFrame(
        {
            "source_person_id": ["1", "1", "2", "2", "3"],
            "ruolo": ["beneficiario", "beneficiario", "volontario", "volontario", "beneficiario"],
            "tipo_servizio": ["doposcuola", "doposcuola", "mensa", "doposcuola", "mensa"],
            "data_inizio": [date(2022, 3, 1), date(2024, 2, 29), date(2023, 5, 5), date(2021, 9, 1), date(2023, 1, 1)],
        }
    )
    b = bounds_from_events(ev, spec)
    assert b.loc["1", "born_after"] == date(2006, 2, 28)  # a minor on 29 Feb 2024 (no 29 Feb 2006)
    assert pd.isna(b.loc["1", "born_before"])
    assert b.loc["2", "born_before"] == date(2005, 9, 1)  # an adult volunteer from September 2021
    assert "3" not in b.index  # a meal says nothing about age


def test_staged_services_bound_a_name_only_record(tmp_path, warehouse_url):
    engine = fresh_warehouse(warehouse_url)
    cfg = make_config(tmp_path, warehouse_url=warehouse_url)
    write_raw(
        engine,
        "anagrafe",
        "residenti",
        [
            good(
                "anagrafe",
                "residenti",
                ID_INDIVIDUO="1",
                COGNOME="MANNUCCI",
                NOME="GIULIA",
                DATA_NASCITA="03/04/2015",
                CODICE_FISCALE=None,
                ID_FAMIGLIA="F-1",
            ),
            good(
                "anagrafe",
                "residenti",
                ID_INDIVIDUO="2",
                COGNOME="MANNUCCI",
                NOME="GIULIA",
                DATA_NASCITA="09/10/1961",
                CODICE_FISCALE=None,
                ID_FAMIGLIA="F-2",
            ),
        ],
    )
    write_raw(
        engine,
        "volontariato",
        "anagrafiche",
        [good("volontariato", "anagrafiche", id=31, nominativo="MANNUCCI GIULIA", data_nascita=None)],
    )
    write_raw(
        engine,
        "volontariato",
        "servizi",
        [
            good(
                "volontariato",
                "servizi",
                id=900,
                anagrafica_id=31,
                tipo_servizio="doposcuola",
                data_inizio="2024-10-01",
            )
        ],
    )
    for system in ("anagrafe", "volontariato"):
        stage_system(cfg, engine, system)
    with engine.connect() as conn:
        b = birth_bounds(conn, bundled_settings().implied_birth)
    assert b.loc["volontariato:31", "born_after"] == date(2006, 10, 1)
    link(engine, "full")  # too few records to train a model: the levels are the point here
    ex = Explainer(engine)
    child, adult = ex.explain("anagrafe:1", "volontariato:31"), ex.explain("anagrafe:2", "volontariato:31")
    level = lambda e: next(r for r in e["comparisons"] if r["comparison"] == "minor_at_service")  # noqa: E731
    assert level(child)["label"] == "inside" and level(adult)["label"] == "else"
