"""School age and stage, counted against 31 August of the school year."""

from datetime import date

COMPULSORY_YEARS = 9
PRIMARY_GRADES = range(1, 7)
JUNIOR_GRADES = range(7, 10)


def school_year(today):
    """The calendar year a school year starts in: September to August."""
    return today.year if today.month >= 9 else today.year - 1


def age_on(birth_on, on):
    """Completed years of age on a given day."""
    return on.year - birth_on.year - ((on.month, on.day) < (birth_on.month, birth_on.day))


def school_age(birth_on, today):
    """Age on 31 August of the current school year."""
    return age_on(birth_on, date(school_year(today), 8, 31))


def last_school_age(start_age):
    """The oldest school age still in compulsory education (6 + 9 = 15 by default)."""
    return start_age + COMPULSORY_YEARS


def is_school_age(birth_on, today, start_age=6):
    """Whether the child is of compulsory-education age this school year."""
    return start_age <= school_age(birth_on, today) <= last_school_age(start_age)


def expected_grade(birth_on, today, start_age=6):
    """The grade a child of this age would be in if it started on time."""
    return school_age(birth_on, today) - start_age + 1


def stage(grade, birth_on, today, start_age=6):
    """'primary' or 'junior' from the grade, or from the age for a child not in school."""
    if grade is None:
        grade = min(expected_grade(birth_on, today, start_age), JUNIOR_GRADES[-1])
    if grade in PRIMARY_GRADES:
        return "primary"
    if grade in JUNIOR_GRADES:
        return "junior"
    return None


def birth_range_for_ages(min_age, max_age, today):
    """(earliest, latest) birth dates whose school age lies in [min_age, max_age]."""
    year = school_year(today)
    earliest = date(year - max_age - 1, 9, 1) if max_age is not None else None
    latest = date(year - min_age, 8, 31) if min_age is not None else None
    return earliest, latest
