"""The indicators of a unit's month, from its frozen figures, and how each stands against its threshold.

- 入学率 (enrolment rate) = school-age residents in school ÷ school-age residents.
- 辍学率 (dropout rate), by stage = children who dropped out in the school year so far ÷ children
  on the roll at the start of the school year.
- 三类残疾儿童少年入学率 = school-age residents with a visual, hearing, speech or intellectual
  disability who are in school (a regular school, a special school or 送教上门) ÷ all of them.
- 九年义务教育巩固率 (retention) = grade-9 pupils now ÷ their cohort's grade-1 intake, entered by the
  bureau, or else the residents of that cohort's age.
"""
from dataclasses import dataclass

STAGES = ("primary", "junior")
SEXES = ("M", "F")


@dataclass(frozen=True)
class Indicator:
    code: str
    numerator: int
    denominator: int
    threshold: float  # percent
    higher_is_better: bool

    @property
    def rate(self):
        """Percent, or None when there is nothing to divide by."""
        if not self.denominator:
            return None
        return 100.0 * self.numerator / self.denominator

    @property
    def met(self):
        """True (green), False (red), or None when the rate cannot be computed."""
        rate = self.rate
        if rate is None:
            return None
        return rate >= self.threshold if self.higher_is_better else rate <= self.threshold


def total(cells, key, stage=None, sex=None):
    """Sum a figure over the cells {stage: {sex: {key: n}}}, optionally for one stage or sex."""
    return sum(
        cells.get(s, {}).get(x, {}).get(key, 0)
        for s in (STAGES if stage is None else (stage,))
        for x in (SEXES if sex is None else (sex,))
    )


def indicators(cells, thresholds, intake=None):
    """The unit's indicators in display order; `intake` is the bureau's grade-1 intake of the grade-9 cohort."""
    cohort = intake if intake is not None else total(cells, "cohort")
    return [
        Indicator("enrolment", total(cells, "enrolled"), total(cells, "school_age"), thresholds["enrolment"], True),
        Indicator("dropout_primary", total(cells, "dropouts_year", "primary"), total(cells, "students_year", "primary"),
                  thresholds["dropout_primary"], False),
        Indicator("dropout_junior", total(cells, "dropouts_year", "junior"), total(cells, "students_year", "junior"),
                  thresholds["dropout_junior"], False),
        Indicator("disabled", total(cells, "disabled_enrolled"), total(cells, "disabled"), thresholds["disabled"], True),
        Indicator("retention", total(cells, "grade9"), cohort, thresholds["retention"], True),
    ]


BALANCE_IN = ("students_start", "transfers_in", "resumed")
BALANCE_OUT = ("transfers_out", "completed", "suspended", "deaths", "dropouts")


def balance_gap(cells, stage=None, sex=None):
    """start + in + resumed − out − completed − suspended − deaths − dropouts − end: 0 when the flows add up."""
    return (sum(total(cells, key, stage, sex) for key in BALANCE_IN)
            - sum(total(cells, key, stage, sex) for key in BALANCE_OUT)
            - total(cells, "students_end", stage, sex))
