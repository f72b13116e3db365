"""身份证号 rules per GB 11643: shape, area, date, check digit, sex, normalising, masking."""

from datetime import date

import pytest

from dropout.rules import id_number as idn

GB_EXAMPLE = "11010519491231002X"


def test_the_standards_own_example_parses():
    parsed = idn.parse(GB_EXAMPLE)
    assert parsed.number == GB_EXAMPLE
    assert parsed.birth_on == date(1949, 12, 31)
    assert parsed.sex == "F"  # sequence 002 is even


def test_check_digit_of_the_example_is_x():
    assert idn.check_char(GB_EXAMPLE[:17]) == "X"


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",  # lower-case x
        " 110105 19491231 002X ",  # spaces
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits and letter
        "１１０１０５１９４９１２３１００２ｘ",
        "110105\u300019491231002X",  # ideographic space
    ],
)
def test_normalised_spellings_parse_to_the_same_number(raw):
    assert idn.parse(raw).number == GB_EXAMPLE


@pytest.mark.parametrize(
    "raw, code",
    [
        ("", "length"),
        ("11010519491231002", "length"),
        ("11010519491231002XX", "length"),
        ("1101051949123100AX", "characters"),
        ("X10105194912310021", "characters"),
        ("99010519491231002X", "area"),
        ("00010519491231002X", "area"),
        ("110105194902300025", "date"),  # 30 February
        ("110105189912310025", "date"),  # before 1900
        ("110105194912310021", "checksum"),
        ("11010519491231003X", "checksum"),
    ],
)
def test_broken_numbers_name_the_broken_rule(raw, code):
    with pytest.raises(idn.IdNumberError) as caught:
        idn.parse(raw)
    assert caught.value.code == code


def test_a_future_birth_date_is_refused_against_today():
    number = idn.make("513401", date(2027, 1, 5), 11)
    assert idn.parse(number).birth_on == date(2027, 1, 5)
    with pytest.raises(idn.IdNumberError) as caught:
        idn.parse(number, today=date(2026, 11, 22))
    assert caught.value.code == "date"


@pytest.mark.parametrize("sequence, sex", [(1, "M"), (2, "F"), (457, "M"), (998, "F")])
def test_sex_follows_the_parity_of_the_sequence(sequence, sex):
    assert idn.parse(idn.make("513401", date(2015, 9, 1), sequence)).sex == sex


def test_every_made_number_validates():
    for day in range(1, 29):
        for sequence in (0, 1, 10, 999):
            number = idn.make("440305", date(2014, 2, day), sequence)
            assert idn.parse(number).number == number


def test_mask_keeps_four_characters_at_each_end():
    assert idn.mask("51340120150314123X") == "5134**********123X"
    assert idn.mask(None) == ""
    assert idn.mask("1234") == "****"
