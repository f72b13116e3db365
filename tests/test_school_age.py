"""School age is counted on 31 August of the school year; stage from grade or age."""

from datetime import date

import pytest

from dropout.rules import school_age as sa


@pytest.mark.parametrize(
    "today, year",
    [(date(2026, 8, 31), 2025), (date(2026, 9, 1), 2026), (date(2026, 11, 22), 2026), (date(2027, 1, 1), 2026)],
)
def test_school_year_starts_in_september(today, year):
    assert sa.school_year(today) == year


def test_born_31_august_starts_school_a_year_before_born_1_september():
    today = date(2026, 11, 22)
    assert sa.school_age(date(2020, 8, 31), today) == 6
    assert sa.school_age(date(2020, 9, 1), today) == 5
    assert sa.is_school_age(date(2020, 8, 31), today)
    assert not sa.is_school_age(date(2020, 9, 1), today)


def test_the_last_school_age_is_fifteen_by_default():
    today = date(2026, 11, 22)
    assert sa.is_school_age(date(2011, 9, 1), today)  # 14 on 2026-08-31
    assert sa.is_school_age(date(2010, 9, 1), today)  # 15
    assert not sa.is_school_age(date(2010, 8, 31), today)  # 16


def test_start_age_is_configurable():
    today = date(2026, 11, 22)
    assert not sa.is_school_age(date(2020, 8, 31), today, start_age=7)
    assert sa.is_school_age(date(2019, 8, 31), today, start_age=7)
    assert sa.is_school_age(date(2009, 9, 1), today, start_age=7)


@pytest.mark.parametrize(
    "grade, birth_on, stage",
    [
        (1, date(2020, 1, 1), "primary"),
        (6, date(2014, 1, 1), "primary"),
        (7, date(2014, 1, 1), "junior"),  # the grade wins over the age
        (9, date(2011, 1, 1), "junior"),
        (None, date(2015, 1, 1), "primary"),  # age 11: would be in grade 6
        (None, date(2014, 8, 31), "junior"),  # age 12: would be in grade 7
        (None, date(2014, 9, 1), "primary"),
        (None, date(2010, 9, 1), "junior"),  # age 15, over-age: still junior
        (None, date(2021, 1, 1), None),  # too young
    ],
)
def test_stage_from_grade_or_age(grade, birth_on, stage):
    assert sa.stage(grade, birth_on, date(2026, 11, 22)) == stage


def test_birth_range_for_ages_matches_school_age():
    today = date(2026, 11, 22)
    earliest, latest = sa.birth_range_for_ages(12, 14, today)
    assert sa.school_age(earliest, today) == 14
    assert sa.school_age(latest, today) == 12
    assert sa.school_age(date(latest.year, 9, 1), today) == 11
    assert sa.school_age(date(earliest.year, 8, 31), today) == 15
