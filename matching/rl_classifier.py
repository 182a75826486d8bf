"""The multi-level Fellegi–Sunter model of `matching.scoring` as a recordlinkage classifier.

fit / predict / prob on the feature frame that `recordlinkage.Compare` builds with our comparators; in a
module of its own because importing recordlinkage imports scikit-learn (seconds).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from recordlinkage.base import BaseClassifier

from matching.scoring import FittedModel, LevelMeta, fit_em, fit_supervised, level_frequencies


class FSClassifier(BaseClassifier):
    """recordlinkage classifier: multi-level Fellegi–Sunter (EM when fitted without matches).

    Features are the level columns produced by `recordlinkage.Compare` with our comparators.
    `fit(features)` runs EM (u initialised from the features' own level frequencies unless `u_init`
    is given); `fit(features, match_index)` counts m/u from the labelled matches.
    """

    def __init__(self, comparators: Sequence, threshold: float = 0.5, em=None, u_init=None):
        self.metas = [LevelMeta.from_comparator(c) for c in comparators]
        self.threshold = threshold
        self.em = em
        self.u_init = u_init
        self.model: FittedModel | None = None

    def _fit(self, features, y=None):
        lv = np.asarray(features, dtype=np.int64)
        if y is None:
            u0 = self.u_init or level_frequencies(lv, self.metas)
            kw = {}
            if self.em is not None:
                kw = dict(
                    prior=self.em.prior,
                    max_iterations=self.em.max_iterations,
                    tolerance=self.em.tolerance,
                    fix_u=self.em.fix_u,
                    fix_prior=self.em.fix_prior,
                    pseudo_count=self.em.pseudo_count,
                )
            self.model = fit_em(lv, self.metas, u0, **kw)
        else:
            self.model = fit_supervised(lv, y, self.metas)

    def _prob_match(self, features):
        if self.model is None:
            raise RuntimeError("the classifier is not fitted")
        return self.model.probability(self.model.match_weight(np.asarray(features, dtype=np.int64)))

    def _predict(self, features):
        return (self._prob_match(features) >= self.threshold).astype(int)
