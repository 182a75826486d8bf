"""Declarative linkage settings: load a YAML file, validate it with pydantic, fail naming the field.

One `LinkageSettings` object drives the whole engine: derived columns, blocking passes,
comparisons (kind, columns, levels with thresholds, term-frequency adjustment), EM,
thresholds and hard constraints. `load_settings("stg_person")` reads
`matching/settings/stg_person.yaml`; `load_settings(path)` reads any file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SETTINGS_DIR = Path(__file__).parent


class SettingsError(ValueError):
    """Invalid linkage settings; the message names every offending field (dotted path)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- derived columns
DerivedTransform = Literal[
    "phonetic",  # metaphone of one column (per unique value)
    "variant",  # transliteration/variant key of one column (see comparators.variant_key)
    "year",  # birth year (text) of a date column
    "date",  # date as YYYYMMDD text (any accepted date representation)
    "prefix",  # first `length` characters
    "suffix",  # last `length` characters
    "digits",  # digits only
    "cf_prefix",  # codice fiscale, omocodia undone at the date digits, first `length` (default 11) chars
    "typed_cf11",  # the 11 CF characters a record's own typed data encode: columns [last, first, birth_date, sex]
    "sorted_concat",  # the non-null values of `columns`, sorted and joined with '|' (order-free name key)
    "concat",  # the values of `columns` joined with '|', null if any is null
]


class DerivedColumn(_Strict):
    transform: DerivedTransform
    columns: list[str] = Field(min_length=1)
    length: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _check(self) -> DerivedColumn:
        single = {"phonetic", "variant", "year", "date", "prefix", "suffix", "digits", "cf_prefix"}
        if self.transform in single and len(self.columns) != 1:
            raise ValueError(f"transform {self.transform!r} takes exactly one column")
        if self.transform == "typed_cf11" and len(self.columns) != 4:
            raise ValueError("transform 'typed_cf11' takes columns [last_name, first_name, birth_date, sex]")
        if self.transform in {"prefix", "suffix"} and self.length is None:
            raise ValueError(f"transform {self.transform!r} needs `length`")
        return self


# --------------------------------------------------------------------------- blocking
class BlockingPass(_Strict):
    """One blocking pass: records agreeing on every key are paired.

    A key is a column (or derived column) name, or a list of alternative names: the record then
    emits one key per non-null alternative (e.g. the primary and the alternative reading of a name),
    and two records pair when any of their alternatives agree.
    """

    name: str
    keys: list[str | list[str]] = Field(min_length=1)
    max_block_pairs: int | None = Field(default=None, ge=1)
    only_if_missing: str | None = Field(
        default=None,
        description="pair only records of which at least one lacks this column (e.g. name-only "
        "passes for records without a birth date, which the birth-date passes cannot reach)",
    )

    @field_validator("keys")
    @classmethod
    def _no_empty_alternatives(cls, v):
        for k in v:
            if isinstance(k, list) and not k:
                raise ValueError("an alternatives list must not be empty")
        return v


class Blocking(_Strict):
    passes: list[BlockingPass] = Field(min_length=1)
    max_block_pairs: int = Field(
        default=50_000,
        ge=1,
        description="blocks whose pair count exceeds this are dropped from the pass (key too common to "
        "discriminate); the other passes must catch those pairs. Reported in the blocking stats.",
    )

    @field_validator("passes")
    @classmethod
    def _unique_names(cls, v):
        names = [p.name for p in v]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate pass names: {sorted(dup)}")
        return v


# --------------------------------------------------------------------------- comparisons
class LevelSpec(_Strict):
    """A comparison level: `name` is the test (exact, jw, edit, phonetic, ...), `threshold` its parameter."""

    name: str
    threshold: float | None = None
    label: str | None = None

    @property
    def display(self) -> str:
        if self.label:
            return self.label
        if self.threshold is None:
            return self.name
        t = self.threshold
        return f"{self.name}_{t:g}"


class JointFrequency(_Strict):
    comparison: str
    column: str  # the two values together (e.g. the name pair)
    distinct_by: str  # bearers whose value here (birth date) differs from both records' are others


class TermFrequency(_Strict):
    """Term-frequency adjustment of the `exact` level (Splink-style): weight += w * log2(u_exact / tf(value));
    the `fuzzy` levels too, by the frequency of the more common of the two values (ROSSI ~ ROSSO says
    little, DERRELLI ~ DERREELLI much)."""

    column: str | None = None  # default: the comparison's `value` column
    # other columns the value also counts in: its frequency is its largest share among all of them (a
    # surname typed as first name is as common as the surname, not rare because few first names are it)
    also: list[str] = Field(default_factory=list)
    weight: float = Field(default=1.0, ge=0.0, le=1.0)
    min_frequency: float = Field(default=1e-6, gt=0.0, le=1.0)
    fuzzy: list[str] = Field(default_factory=list, description="labels of further levels adjusted the same way")
    # when this comparison and `joint.comparison` both agree exactly, their two adjustments become one by the
    # frequency of the two values together (`joint.column`): first and last names are not independent
    # (families, origins), so the product of their frequencies makes a shared full name look far rarer
    joint: JointFrequency | None = None


class Comparison(_Strict):
    name: str
    kind: str
    columns: dict[str, str] = Field(min_length=1)
    levels: list[LevelSpec] | None = None
    tf_adjustment: TermFrequency | None = None

    @field_validator("levels", mode="before")
    @classmethod
    def _shorthand(cls, v):
        if v is None:
            return v
        out = []
        for item in v:
            if isinstance(item, str):
                out.append({"name": item})
            elif isinstance(item, dict) and len(item) == 1 and "name" not in item:
                ((k, t),) = item.items()  # {jw: 0.92}
                out.append({"name": k, "threshold": t})
            else:
                out.append(item)
        return out

    @model_validator(mode="after")
    def _check_kind(self) -> Comparison:
        from matching.comparators import COMPARATORS

        cls = COMPARATORS.get(self.kind)
        if cls is None:
            raise ValueError(f"unknown comparator kind {self.kind!r}; known: {sorted(COMPARATORS)}")
        cls.validate_spec(self.columns, self.levels)
        if self.tf_adjustment is not None:
            levels = self.levels or cls.default_levels()
            if not any(lv.name == "exact" for lv in levels):
                raise ValueError("tf_adjustment needs an 'exact' level")
            unknown = set(self.tf_adjustment.fuzzy) - {lv.display for lv in levels}
            if unknown:
                raise ValueError(f"tf_adjustment.fuzzy: unknown levels {sorted(unknown)}")
            if self.tf_adjustment.column is None and "value" not in self.columns:
                raise ValueError("tf_adjustment needs `column` (the comparison has no 'value' column)")
        return self


# --------------------------------------------------------------------------- scoring, thresholds, constraints
class TrainingSession(_Strict):
    """One EM session (Splink-style): pairs agreeing on `keys` (a blocking pass of its own); the comparisons
    in `exclude` (those the keys make agree) are left out of that session's likelihood and estimates."""

    name: str
    keys: list[str | list[str]] = Field(min_length=1)
    exclude: list[str] = Field(default_factory=list)
    max_block_pairs: int = Field(default=5_000, ge=1)


class HouseholdEvidence(_Strict):
    """Relatives share a phone and an address: among records that agree on `given` (the surname) those
    comparisons are weak evidence. Their u is estimated again on random pairs that agree exactly on
    `given` but not on `differ` (the first name: mostly relatives, not the same person), and used
    whenever `given` agrees exactly."""

    given: str
    differ: str
    comparisons: list[str] = Field(min_length=1)
    max_block_pairs: int = Field(default=2000, ge=1)


class BirthRule(_Strict):
    """Events matching `where` (column -> value) imply an age at the event's date: younger than `younger_than`
    years (born after the date minus that) or older than `older_than` years (born before)."""

    where: dict[str, str] = Field(min_length=1)
    younger_than: int | None = Field(default=None, gt=0)
    older_than: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_bound(self) -> BirthRule:
        if (self.younger_than is None) == (self.older_than is None):
            raise ValueError("a birth rule gives exactly one of younger_than, older_than")
        return self


class ImpliedBirth(_Strict):
    """Birth-date bounds of the records of `system` implied by their events in a staging table (a child
    helped at after-school, an adult volunteer): columns `born_after` / `born_before` of the records, read
    by `birth_window` comparisons. Records of other systems, or without such events, get none."""

    table: str
    system: str
    date_column: str
    person_column: str = "source_person_id"
    rules: list[BirthRule] = Field(min_length=1)


class EMSettings(_Strict):
    training: Literal["candidates", "sessions"] = Field(
        default="candidates",
        description="candidates: one EM over every candidate pair (m, u and lambda of candidate pairs); "
        "sessions: u from random pairs, m from EM sessions on `sessions`, lambda of random pairs by EM "
        "over the candidate pairs with m and u held",
    )
    sessions: list[TrainingSession] = Field(default_factory=list)
    max_iterations: int = Field(default=200, ge=1)
    tolerance: float = Field(default=1e-6, gt=0)
    prior: float = Field(default=0.01, gt=0, lt=1, description="initial lambda: share of candidate pairs that match")
    fix_prior: bool = False
    fix_u: bool = False
    u_sample_pairs: int = Field(default=200_000, ge=100, description="random pairs used to initialise u")
    household: HouseholdEvidence | None = None
    prior_by: str | None = Field(
        default=None,
        description="sessions training: a column (e.g. source_system) whose pair of values gets a "
        "lambda of its own, estimated the same way over its candidate pairs (a volunteering record is far "
        "likelier to be someone in the registry than two registry records are to be one person)",
    )
    pseudo_count: float = Field(default=0.5, ge=0, description="Laplace smoothing of level counts")
    seed: int = 42


class Thresholds(_Strict):
    scale: Literal["probability", "weight"] = "probability"
    auto_link: float
    review: float
    ambiguity_margin: float | None = Field(
        default=None,
        ge=0,
        description="a record whose automatic links to two records that cannot be the same "
        "person (two records of a one-person system, two different trusted codes) differ by less than this "
        "match weight sends those links to review instead",
    )

    @model_validator(mode="after")
    def _order(self) -> Thresholds:
        if self.review > self.auto_link:
            raise ValueError("review must be <= auto_link")
        if self.scale == "probability" and not (0 <= self.review <= 1 and 0 <= self.auto_link <= 1):
            raise ValueError("probability thresholds must lie in [0, 1]")
        return self


class Coherence(_Strict):
    """The record columns of the strong attributes no cluster may hold two conflicting values of
    (matching/coherence.py): a full birth date (with its placeholder flag), the sex, the implied birth window.
    A column the records lack gives no attribute."""

    birth_date: str | None = "birth_date"
    birth_date_is_default: str | None = "birth_date_is_default"
    # the birth date a trusted code encodes (status valid or omocodic, not inconsistent with the record): the
    # full date of a record whose own is a placeholder or missing
    code_birth_date: str | None = "cf_birth_date"
    code_status: str | None = "cf_status"
    code_consistent: str | None = "cf_consistent"
    sex: str | None = "sex"
    born_after: str | None = "born_after"
    born_before: str | None = "born_before"


class Constraints(_Strict):
    cf_conflict: Literal["cannot_link", "ignore"] = "cannot_link"
    cf_column: str = "cf_base"
    cf_status_column: str | None = "cf_status"
    cf_consistent_column: str | None = "cf_consistent"
    system_column: str | None = "source_system"
    one_person_per_record_systems: list[str] = Field(default_factory=lambda: ["anagrafe"])
    double_registration_columns: list[str] = Field(
        default_factory=lambda: ["codice_fiscale", "household_key"],
        description="two records of a one-person-per-record system with a trusted code that agree on all these "
        "columns are one person registered twice, kept together; empty: never",
    )
    one_to_one_link: bool = Field(
        default=False, description="link mode: a record links to at most one record of the other frame"
    )
    coherence: Coherence | None = Field(
        default=None,
        description="strong attributes that no cluster may hold conflicting values of, whichever records carry "
        "them; a record linked within `thresholds.ambiguity_margin` to two clusters that conflict goes to review "
        "with both candidates. None: only the codes, the one-person systems and the review decisions bind",
    )


class PopulationPrior(_Strict):
    """Weak evidence priced by the population (matching/population.py): a pair whose date comparison is at a
    `year_levels` level (the years agree, one date a placeholder) or a `missing_levels` level, and whose
    `unless` comparisons are at none of their listed levels, loses log2(1 + K) bits, K the other
    people (distinct full birth dates) bearing its `name` and `year` (the name alone when the date is missing)
    across all staged records."""

    name: str  # column: the full name, order-free (e.g. the derived name_pair)
    year: str  # column: the birth year
    birth_date: str  # column: the birth date that tells people apart (full dates only)
    is_default: str | None = None  # column: the placeholder flag of the birth date
    date_comparison: str
    year_levels: list[str] = Field(min_length=1)
    missing_levels: list[str] = Field(default_factory=list)
    unless: dict[str, list[str]] = Field(default_factory=dict)


class LinkageSettings(_Strict):
    name: str
    id_column: str | None = None
    derived: dict[str, DerivedColumn] = Field(default_factory=dict)
    blocking: Blocking
    comparisons: list[Comparison] = Field(min_length=1)
    em: EMSettings = Field(default_factory=EMSettings)
    thresholds: Thresholds
    constraints: Constraints = Field(default_factory=Constraints)
    implied_birth: ImpliedBirth | None = None
    population: PopulationPrior | None = None
    n_jobs: int = Field(default=2, ge=1)

    @model_validator(mode="after")
    def _sessions(self) -> LinkageSettings:
        names = {c.name for c in self.comparisons}
        if self.em.training == "sessions":
            if not self.em.sessions:
                raise ValueError("em.training 'sessions' needs em.sessions")
            covered = set()
            for s in self.em.sessions:
                unknown = set(s.exclude) - names
                if unknown:
                    raise ValueError(f"em.sessions.{s.name}.exclude: unknown comparisons {sorted(unknown)}")
                covered |= names - set(s.exclude)
            if covered != names:
                raise ValueError(f"em.sessions leave comparisons without an m estimate: {sorted(names - covered)}")
        for c in self.comparisons:
            j = c.tf_adjustment.joint if c.tf_adjustment else None
            if j is not None:
                other = next((o for o in self.comparisons if o.name == j.comparison and o.name != c.name), None)
                if other is None or other.tf_adjustment is None:
                    raise ValueError(
                        f"{c.name}.tf_adjustment.joint: {j.comparison!r} must be another comparison "
                        "with a tf_adjustment"
                    )
        h = self.em.household
        if h is not None:
            unknown = {h.given, h.differ, *h.comparisons} - names
            if unknown:
                raise ValueError(f"em.household: unknown comparisons {sorted(unknown)}")
            for c in self.comparisons:
                if c.name in (h.given, h.differ) and "value" not in c.columns:
                    raise ValueError(f"em.household: comparison {c.name} has no 'value' column")
        return self

    @model_validator(mode="after")
    def _population(self) -> LinkageSettings:
        p = self.population
        if p is not None:
            unknown = ({p.date_comparison} | set(p.unless)) - {c.name for c in self.comparisons}
            if unknown:
                raise ValueError(f"population: unknown comparisons {sorted(unknown)}")
        return self

    @field_validator("comparisons")
    @classmethod
    def _unique(cls, v):
        names = [c.name for c in v]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate comparison names: {sorted(dup)}")
        return v

    def required_columns(self) -> set[str]:
        """Input columns the settings read (derived names excluded)."""
        cols: set[str] = set()
        for d in self.derived.values():
            cols.update(d.columns)
        for p in self.blocking.passes:
            for k in p.keys:
                cols.update(k if isinstance(k, list) else [k])
            if p.only_if_missing:
                cols.add(p.only_if_missing)
        for c in self.comparisons:
            cols.update(c.columns.values())
            if c.tf_adjustment:
                cols.update(c.tf_adjustment.also)
                if c.tf_adjustment.joint:
                    cols.update((c.tf_adjustment.joint.column, c.tf_adjustment.joint.distinct_by))
                if c.tf_adjustment.column:
                    cols.add(c.tf_adjustment.column)
        if self.population:
            pop = self.population
            cols.update(c for c in (pop.name, pop.year, pop.birth_date, pop.is_default) if c)
        return cols - set(self.derived)


def _format_errors(err: ValidationError, source: str) -> str:
    lines = [f"invalid linkage settings ({source}):"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "<root>"
        lines.append(f"  {loc}: {e['msg']}")
    return "\n".join(lines)


def parse_settings(data: dict[str, Any], source: str = "<dict>") -> LinkageSettings:
    try:
        return LinkageSettings.model_validate(data)
    except ValidationError as err:
        raise SettingsError(_format_errors(err, source)) from None


def load_settings(name_or_path: str | Path) -> LinkageSettings:
    """Load settings by bundled name (`stg_person`, `febrl`) or by file path."""
    p = Path(name_or_path)
    if not p.suffix:
        p = SETTINGS_DIR / f"{name_or_path}.yaml"
    with open(p, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise SettingsError(f"invalid linkage settings ({p}): top level must be a mapping")
    return parse_settings(data, str(p))
