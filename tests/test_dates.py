"""Dates in the spellings county offices use."""

from datetime import date

import pytest

from dropout.rules.dates import parse_date


@pytest.mark.parametrize(
    "text", ["2015-09-01", "2015/9/1", "2015.09.01", "20150901", "2015年9月1日", " 2015 年 9 月 1 日 ", "2015-9-1"]
)
def test_common_spellings(text):
    assert parse_date(text) == date(2015, 9, 1)


@pytest.mark.parametrize("text", ["2015-02-30", "01/09/2015", "yesterday", "2015-13-01", "201591"])
def test_nonsense_is_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_blank_is_none():
    assert parse_date("  ") is None
    assert parse_date(None) is None
