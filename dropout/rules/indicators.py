"""The indicators of a unit's month, from its frozen figures, and how each stands against its threshold.

Every rate is a count of children over a count of children, in percent (``official``, in display order):

- 入学率 (``enrolment``): school-age residents (6–15) in school ÷ school-age residents.
- 小学 / 初中毛入学率 (``enrolment_primary`` / ``enrolment_junior``): resident pupils of any age in the
  stage's grades (``in_school``) ÷ residents of the stage's age band (``population``: 6–11, 12–14);
  a gross rate, so it may exceed 100%.
- 学年辍学率 by stage (``dropout_primary`` / ``dropout_junior``): children who dropped out in the school
  year so far ÷ children on the roll at its start; beside it the net rate (``…_net``): children still out
  at the month's end ÷ the same roll.
- 三类残疾儿童少年入学率 (``disabled``): school-age residents with a visual, hearing, speech or
  intellectual disability who are in school (a regular school, a special school or 送教上门) ÷ all of them.
- 九年义务教育巩固率 (``retention``): grade-9 pupils now ÷ their cohort's grade-1 intake, entered by the
  bureau or derived from the register's history. Without an intake there is no rate; the age-grade
  estimate (grade-9 pupils ÷ residents of grade-9 age, ``retention_estimate``) is shown as 估算 and never
  judged against the threshold.

``children_to_threshold`` gives, for a rate that misses its threshold, how many children would have to
come back to school for it to meet it. Rates are compared exactly (fractions), so the verdict and the gap
always agree.
"""

from dataclasses import dataclass, replace
from fractions import Fraction
from math import ceil, floor

STAGES = ("primary", "junior")
SEXES = ("M", "F")

# The indicators judged against a threshold, in display order (also the codes DROPOUT_VETO_INDICATORS accepts).
CODES = (
    "enrolment",
    "enrolment_primary",
    "enrolment_junior",
    "dropout_primary",
    "dropout_primary_net",
    "dropout_junior",
    "dropout_junior_net",
    "disabled",
    "retention",
)
ESTIMATE = "retention_estimate"  # shown, never judged
NO_INTAKE = "no_intake"  # why a retention rate is missing


@dataclass(frozen=True)
class Intake:
    """A cohort's grade-1 intake: entered by the bureau, or derived from the month (YYYY-MM) it was on the roll."""

    count: int
    source: str  # 'entered' or 'derived'
    month: str | None = None  # derived: the month whose grade-1 pupils it counts


@dataclass(frozen=True)
class Indicator:
    code: str
    numerator: int
    denominator: int
    threshold: float  # percent
    higher_is_better: bool
    is_estimate: bool = False  # shown for information, never met or missed
    is_veto: bool = False  # 一票否决: the province fails the unit when this one is missed
    intake: Intake | None = None  # retention: where its denominator came from
    missing: str | None = None  # why there is no rate although the figures exist (NO_INTAKE)

    @property
    def rate(self):
        """Percent, or None when there is nothing to divide by."""
        if self.missing or not self.denominator:
            return None
        return 100.0 * self.numerator / self.denominator

    @property
    def met(self):
        """True (green), False (red), or None when the rate cannot be computed or is only an estimate."""
        if self.is_estimate or self.rate is None:
            return None
        return meets(self.numerator, self.denominator, self.threshold, self.higher_is_better)

    @property
    def gap(self):
        """Children who would have to return to school for a missed rate to meet its threshold, else None."""
        if self.met is not False:
            return None
        return children_to_threshold(self.numerator, self.denominator, self.threshold, self.higher_is_better)


def _exact(threshold):
    """A threshold as the exact decimal it was written as (99.9, not the nearest binary fraction)."""
    return Fraction(repr(float(threshold)))


def meets(numerator, denominator, threshold, higher_is_better):
    """Whether numerator ÷ denominator (in percent) is at least (or at most) the threshold; None without denominator."""
    if denominator <= 0:
        return None
    share = Fraction(100 * numerator, denominator)
    return share >= _exact(threshold) if higher_is_better else share <= _exact(threshold)


def children_to_threshold(numerator, denominator, threshold, higher_is_better):
    """The fewest children N who, moving from out of school to in school, bring the rate to its threshold:
    the smallest N ≥ 0 with (numerator + N) ÷ denominator ≥ threshold for a rate where higher is better,
    (numerator − N) ÷ denominator ≤ threshold for a dropout rate. 0 when it is met already; None when there
    is no denominator, or no number of returns can reach it (a dropout threshold below 0)."""
    if denominator <= 0:
        return None
    at_threshold = _exact(threshold) * denominator / 100  # the numerator that would sit exactly on it
    if higher_is_better:
        return max(0, ceil(at_threshold) - numerator)
    if at_threshold < 0:
        return None
    return max(0, numerator - floor(at_threshold))


def total(cells, key, stage=None, sex=None):
    """Sum a figure over the cells {stage: {sex: {key: n}}}, optionally for one stage or sex."""
    return sum(
        cells.get(s, {}).get(x, {}).get(key, 0)
        for s in (STAGES if stage is None else (stage,))
        for x in (SEXES if sex is None else (sex,))
    )


def official(cells, thresholds, intake=None, veto=()):
    """The unit's indicators in display order. `intake`: the grade-9 cohort's grade-1 Intake, or None;
    `veto`: the codes the province treats as 一票否决."""

    def rate(code, numerator, denominator, stage=None, higher_is_better=True, **extra):
        return Indicator(
            code,
            total(cells, numerator, stage),
            total(cells, denominator, stage),
            thresholds[code],
            higher_is_better,
            **extra,
        )

    found = [
        rate("enrolment", "enrolled", "school_age"),
        rate("enrolment_primary", "in_school", "population", "primary"),
        rate("enrolment_junior", "in_school", "population", "junior"),
        rate("dropout_primary", "dropouts_year", "students_year", "primary", False),
        rate("dropout_primary_net", "still_out", "students_year", "primary", False),
        rate("dropout_junior", "dropouts_year", "students_year", "junior", False),
        rate("dropout_junior_net", "still_out", "students_year", "junior", False),
        rate("disabled", "disabled_enrolled", "disabled"),
    ]
    grade9 = total(cells, "grade9")
    if intake is not None:
        found.append(Indicator("retention", grade9, intake.count, thresholds["retention"], True, intake=intake))
    else:
        found.append(Indicator("retention", grade9, 0, thresholds["retention"], True, missing=NO_INTAKE))
        if total(cells, "cohort"):  # residents of grade-9 age: an estimate of the cohort, never judged
            found.append(
                Indicator(ESTIMATE, grade9, total(cells, "cohort"), thresholds["retention"], True, is_estimate=True)
            )
    return [replace(i, is_veto=True) if i.code in veto else i for i in found]


def missed(found):
    """(indicators missed, whether a veto indicator is among them)."""
    misses = [i for i in found if i.met is False]
    return len(misses), any(i.is_veto for i in misses)


BALANCE_IN = ("students_start", "transfers_in", "resumed")
BALANCE_OUT = ("transfers_out", "completed", "suspended", "deaths", "dropouts")


def balance_gap(cells, stage=None, sex=None):
    """start + in + resumed − out − completed − suspended − deaths − dropouts − end: 0 when the flows add up."""
    return (
        sum(total(cells, key, stage, sex) for key in BALANCE_IN)
        - sum(total(cells, key, stage, sex) for key in BALANCE_OUT)
        - total(cells, "students_end", stage, sex)
    )
