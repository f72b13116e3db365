"""The official indicators as pure formulas: each rate's numerator and denominator, the verdict against the
threshold, the children still needed to meet it, the retention intake and its estimate, and the veto setting."""

from itertools import product

import pytest
from conftest import THRESHOLDS

from dropout import config
from dropout.rules.indicators import (
    CODES,
    ESTIMATE,
    NO_INTAKE,
    Indicator,
    Intake,
    children_to_threshold,
    meets,
    missed,
    official,
)


def cells(**stages):
    """{stage: {sex: figures}} from primary={...}, junior={...}, each split as given to M (the rest 0)."""
    return {stage: {"M": figures, "F": {}} for stage, figures in stages.items()}


# (numerator, denominator, threshold, higher is better) -> children still needed
GAPS = [
    # higher is better: smallest N with (n + N) / d >= t
    (99, 100, 99.0, True, 0),
    (98, 100, 99.0, True, 1),
    (0, 100, 99.0, True, 99),
    (7, 10, 99.0, True, 3),  # 9.9 children at the threshold: 10 needed
    (9, 10, 90.0, True, 0),  # exactly on it
    (949, 1000, 95.0, True, 1),
    (950, 1000, 95.0, True, 0),
    (1, 3, 33.3, True, 0),  # 33.33…% ≥ 33.3%
    (0, 3, 33.4, True, 2),
    (1, 3, 100.0, True, 2),
    (57, 100, 57.0, True, 0),  # 0.57 × 100 is 56.99999… in binary floating point; compared exactly here
    (56, 100, 57.0, True, 1),
    (120, 100, 99.0, True, 0),  # a gross rate over 100% meets it
    (9, 9, 110.0, True, 1),  # a gross threshold over 100%
    (10, 9, 110.0, True, 0),
    (0, 1, 99.0, True, 1),
    (3, 6, 95.0, True, 3),
    (5, 6, 95.0, True, 1),
    # a dropout rate: smallest N with (n − N) / d ≤ t
    (1, 5, 1.0, False, 1),
    (1, 100, 1.0, False, 0),
    (2, 100, 1.0, False, 1),
    (3, 100, 3.0, False, 0),
    (4, 100, 3.0, False, 1),
    (10, 150, 3.0, False, 6),  # 4.5 at the threshold: at most 4 may stay out
    (0, 10, 0.0, False, 0),
    (2, 10, 0.0, False, 2),  # 动态清零: every child back
    (1, 7, 14.2857, False, 1),  # 14.2857142…% is above 14.2857%
    (1, 7, 14.3, False, 0),
    (3, 1000, 0.3, False, 0),
    (4, 1000, 0.3, False, 1),
    (1, 6, 3.0, False, 1),
    (120, 100, 3.0, False, 117),  # more than the denominator (children out before the year began)
    # nothing to divide by, or a threshold no return can reach
    (5, 0, 99.0, True, None),
    (0, 0, 3.0, False, None),
    (2, 10, -1.0, False, None),
]


@pytest.mark.parametrize("numerator, denominator, threshold, higher, expected", GAPS)
def test_children_to_threshold(numerator, denominator, threshold, higher, expected):
    assert children_to_threshold(numerator, denominator, threshold, higher) == expected


@pytest.mark.parametrize("higher", [True, False])
def test_the_gap_is_the_smallest_number_that_meets_the_threshold(higher):
    """Over a grid of counts and thresholds: after N returns the rate is met, after N − 1 it is not."""
    move = 1 if higher else -1
    for numerator, denominator, threshold in product(
        range(13), range(1, 13), (0.0, 1.0, 3.0, 33.3, 50.0, 95.0, 99.0, 100.0, 105.0)
    ):
        gap = children_to_threshold(numerator, denominator, threshold, higher)
        assert gap is not None and gap >= 0
        assert meets(numerator + move * gap, denominator, threshold, higher)
        if gap:
            assert not meets(numerator + move * (gap - 1), denominator, threshold, higher)
        assert (gap == 0) is meets(numerator, denominator, threshold, higher)


@pytest.mark.parametrize(
    "numerator, denominator, threshold, higher, expected",
    [
        (99, 100, 99.0, True, True),
        (98, 100, 99.0, True, False),
        (57, 100, 57.0, True, True),
        (3, 100, 3.0, False, True),
        (4, 100, 3.0, False, False),
        (130, 100, 99.0, True, True),
        (1, 0, 1.0, False, None),
    ],
)
def test_meets_compares_exactly(numerator, denominator, threshold, higher, expected):
    assert meets(numerator, denominator, threshold, higher) is expected
    indicator = Indicator("x", numerator, denominator, threshold, higher)
    assert indicator.met is expected and (indicator.gap is None) is (expected is not False)


COUNTY = cells(
    primary={
        "enrolled": 30,
        "school_age": 31,
        "in_school": 33,
        "population": 30,
        "dropouts_year": 2,
        "students_year": 100,
        "still_out": 1,
        "disabled": 2,
        "disabled_enrolled": 2,
    },
    junior={
        "enrolled": 18,
        "school_age": 20,
        "in_school": 17,
        "population": 20,
        "dropouts_year": 1,
        "students_year": 50,
        "still_out": 3,
        "disabled": 1,
        "grade9": 14,
        "cohort": 16,
    },
)


def by_code(found):
    return {i.code: i for i in found}


# code -> (numerator, denominator, rate over 100, met, gap) on COUNTY with an entered intake of 15
FORMULAS = {
    "enrolment": (48, 51, False, False, 3),  # 48 of 51: 50.49 needed
    "enrolment_primary": (33, 30, True, True, None),  # gross: 110%
    "enrolment_junior": (17, 20, False, False, 2),
    "dropout_primary": (2, 100, False, False, 1),
    "dropout_primary_net": (1, 100, False, True, None),
    "dropout_junior": (1, 50, False, True, None),
    "dropout_junior_net": (3, 50, False, False, 2),
    "disabled": (2, 3, False, False, 1),
    "retention": (14, 15, False, False, 1),
}


@pytest.mark.parametrize("code", FORMULAS)
def test_each_indicator_has_its_formula(code):
    numerator, denominator, over, met, gap = FORMULAS[code]
    found = by_code(official(COUNTY, THRESHOLDS, Intake(15, "entered")))
    indicator = found[code]
    assert (indicator.numerator, indicator.denominator) == (numerator, denominator)
    assert indicator.rate == pytest.approx(100 * numerator / denominator)
    assert (indicator.rate > 100) is over
    assert (indicator.met, indicator.gap) == (met, gap)
    assert indicator.threshold == THRESHOLDS[code] and not indicator.is_estimate


def test_the_indicators_come_in_display_order_with_the_net_rate_beside_the_years():
    found = official(COUNTY, THRESHOLDS, Intake(15, "entered"))
    assert [i.code for i in found] == list(CODES)
    assert [i.higher_is_better for i in found] == [True, True, True, False, False, False, False, True, True]


def test_without_figures_nothing_is_judged():
    for indicator in official({}, THRESHOLDS):
        assert (indicator.rate, indicator.met, indicator.gap) == (None, None, None), indicator.code
    assert [i.code for i in official({}, THRESHOLDS)] == list(CODES)  # no estimate without residents of its age


def test_an_intake_feeds_the_retention_rate_and_says_where_it_came_from():
    derived = Intake(16, "derived", "2018-09")
    retention = by_code(official(COUNTY, THRESHOLDS, derived))["retention"]
    assert (retention.numerator, retention.denominator, retention.intake) == (14, 16, derived)
    assert retention.met is False and retention.gap == 2  # 15.2 of 16 needed
    assert ESTIMATE not in by_code(official(COUNTY, THRESHOLDS, derived))


def test_without_an_intake_no_retention_rate_only_an_estimate_that_is_never_judged():
    found = by_code(official(COUNTY, THRESHOLDS))
    retention, estimate = found["retention"], found[ESTIMATE]
    assert retention.missing == NO_INTAKE and (retention.rate, retention.met, retention.gap) == (None, None, None)
    assert estimate.is_estimate and (estimate.numerator, estimate.denominator) == (14, 16)
    assert estimate.rate == pytest.approx(87.5) and estimate.rate < estimate.threshold
    assert (estimate.met, estimate.gap) == (None, None)  # below the threshold, yet never red
    over = by_code(official(cells(junior={"grade9": 20, "cohort": 10}), THRESHOLDS))[ESTIMATE]
    assert over.rate == 200.0 and over.met is None  # nor green
    assert [i.code for i in official(COUNTY, THRESHOLDS)][-2:] == ["retention", ESTIMATE]


def test_an_intake_of_zero_gives_no_rate():
    retention = by_code(official(COUNTY, THRESHOLDS, Intake(0, "entered")))["retention"]
    assert (retention.rate, retention.met, retention.gap) == (None, None, None)


def test_veto_indicators_are_flagged_and_counted():
    found = official(COUNTY, THRESHOLDS, None, veto={"dropout_junior_net", "retention", "enrolment_primary"})
    flagged = {i.code for i in found if i.is_veto}
    assert flagged == {"dropout_junior_net", "retention", "enrolment_primary"}  # never the estimate
    assert missed(found) == (5, True)  # enrolment, enrolment_junior, dropout_primary, dropout_junior_net, disabled
    assert missed(official(COUNTY, THRESHOLDS, None, veto={"enrolment_primary"})) == (5, False)
    assert missed(official({}, THRESHOLDS, None, veto=set(CODES))) == (0, False)


def test_an_indicator_without_a_threshold_miss_has_no_gap():
    assert Indicator("enrolment", 99, 100, 99.0, True).gap is None
    assert Indicator("enrolment", 98, 100, 99.0, True).gap == 1
    assert Indicator("dropout_junior", 5, 100, 3.0, False, is_estimate=True).gap is None


def test_thresholds_cover_every_indicator():
    assert set(config.thresholds(config.from_environment({}))) == set(CODES)
    assert config.from_environment({})["THRESHOLD_ENROLMENT_JUNIOR"] == 95.0
    limits = config.thresholds(config.from_environment({"DROPOUT_THRESHOLD_DROPOUT_JUNIOR_NET": "0"}))
    assert limits["dropout_junior_net"] == 0.0 and limits["dropout_junior"] == 3.0


def test_the_veto_setting_names_known_indicators_only():
    assert config.veto_indicators(config.from_environment({})) == frozenset()
    values = config.from_environment({"DROPOUT_VETO_INDICATORS": " dropout_junior, retention ,"})
    assert values["VETO_INDICATORS"] == ("dropout_junior", "retention")
    assert config.veto_indicators(values) == {"dropout_junior", "retention"}
    for bad in ("dropout", "retention_estimate", "Retention"):
        with pytest.raises(SystemExit, match=f"DROPOUT_VETO_INDICATORS.*{bad}"):
            config.from_environment({"DROPOUT_VETO_INDICATORS": f"enrolment,{bad}"})
    with pytest.raises(SystemExit, match="DROPOUT_VETO_INDICATORS"):
        config.veto_indicators({"VETO_INDICATORS": ("nope",)})
