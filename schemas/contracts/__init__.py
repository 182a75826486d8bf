"""Contracts of the raw streams: one pandera DataFrameModel per stream, validated lazily.

`CONTRACTS[(system, stream)]` is the model; `validate_payloads` explains failures in words and
`check_drift` tells a bad batch from bad records. Imports pandera, pandas and the standardisers' text
folding (to count lengths as staging will hold them).
"""

from schemas.contracts import anagrafe, contabilita, polis, sat, volontariato
from schemas.contracts.validate import ContractResult, SchemaDriftError, check_drift, validate_payloads

CONTRACTS = {
    ("sat", "ospiti"): sat.Ospiti,
    ("sat", "accoglienze"): sat.Accoglienze,
    ("anagrafe", "residenti"): anagrafe.Residenti,
    ("polis", "participants"): polis.Participants,
    ("polis", "placements"): polis.Placements,
    ("volontariato", "anagrafiche"): volontariato.Anagrafiche,
    ("volontariato", "servizi"): volontariato.Servizi,
    ("contabilita", "soggetti"): contabilita.Soggetti,
    ("contabilita", "erogazioni"): contabilita.Erogazioni,
}

__all__ = ["CONTRACTS", "ContractResult", "SchemaDriftError", "check_drift", "validate_payloads"]
