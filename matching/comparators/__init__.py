"""Comparators: recordlinkage compare features that return comparison LEVELS (int8), vectorised.

Every comparator maps a record pair to one small integer level:

    0                      missing  (a value absent on either side: neutral weight)
    1 .. k                 extra neutral levels of the kind (codice fiscale: `untrusted`)
    next ..                the configured agreement/disagreement levels, in precedence order
                           (the first test a pair passes wins)
    last                   else (disagreement)

`comparator.labels[level]` names a level, `comparator.neutral_codes` lists the neutral ones.

They work inside `recordlinkage.Compare` (`compare.add(NameComparator(...))`; they have the interface of its
`BaseCompareFeature` without importing recordlinkage, and with it scikit-learn), where they receive
pandas Series, and in the engine's fast path, which hands them pandas Categoricals sharing one
vocabulary so that equality is a comparison of integer codes. String similarity uses
`rapidfuzz.process.cpdist` (vectorised, GIL released, `workers` threads); per-value work
(phonetic keys, variant keys, CF name codes, date parsing) is done once per unique value.

One module per family: `base` (the level machinery and value helpers), `names` (strings, person
names), `dates` (birth dates, implied birth windows), `codes` (codice fiscale), `contact` (exact values
such as phone and e-mail, address, birthplace), `registry` (kind -> class, `build_comparator`). This
package re-exports their public names: `from matching.comparators import NameComparator`.
"""

from matching.comparators.base import (
    MISSING,
    LevelComparator,
    LevelContext,
    as_array,
    bool_masks,
    encode_shared,
    isin_values,
    per_code,
    per_unique,
    recode,
)
from matching.comparators.codes import CodiceFiscaleComparator, cf_prefix, cf_prefixes, typed_cf11
from matching.comparators.contact import AddressComparator, BirthplaceComparator, ExactComparator
from matching.comparators.dates import BirthWindowComparator, DateComparator, date_numbers, date_parts
from matching.comparators.names import NameComparator, StringComparator, fold, phonetic_key, variant_key
from matching.comparators.registry import COMPARATORS, build_comparator

__all__ = [
    "COMPARATORS",
    "MISSING",
    "AddressComparator",
    "BirthWindowComparator",
    "BirthplaceComparator",
    "CodiceFiscaleComparator",
    "DateComparator",
    "ExactComparator",
    "LevelComparator",
    "LevelContext",
    "NameComparator",
    "StringComparator",
    "as_array",
    "bool_masks",
    "build_comparator",
    "cf_prefix",
    "cf_prefixes",
    "date_numbers",
    "date_parts",
    "encode_shared",
    "fold",
    "isin_values",
    "per_code",
    "per_unique",
    "phonetic_key",
    "recode",
    "typed_cf11",
    "variant_key",
]
