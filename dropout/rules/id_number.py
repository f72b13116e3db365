"""Resident identity numbers (公民身份号码) per GB 11643-1999.

18 characters: a 6-digit area code, the birth date as YYYYMMDD, a 3-digit sequence
number whose parity gives the sex (odd male, even female), and an ISO 7064 MOD 11-2
check character (0-9 or X).
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from operator import mul

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# First two digits: the province-level divisions of GB/T 2260.
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class IdNumberError(ValueError):
    """A malformed identity number; `code` names the broken rule."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_on: date
    sex: str  # "M" or "F"


def normalise(raw):
    """Full-width digits to ASCII, spaces removed, a lower-case x upper-cased."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(text.split()).upper()


def check_char(first17):
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(map(mul, map(int, first17), WEIGHTS))  # map stops at the shorter, as zip does: a roster's hot loop
    return CHECK_CHARS[total % 11]


def parse(raw, today=None):
    """Validate and decode an identity number, or raise IdNumberError."""
    number = normalise(raw)
    if len(number) != 18:
        raise IdNumberError("length")
    if not _SHAPE.match(number):
        raise IdNumberError("characters")
    if number[:2] not in PROVINCE_CODES:
        raise IdNumberError("area")
    try:
        birth_on = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError("date") from None
    if birth_on.year < 1900 or (today is not None and birth_on > today):
        raise IdNumberError("date")
    if check_char(number[:17]) != number[17]:
        raise IdNumberError("checksum")
    sex = "M" if int(number[16]) % 2 else "F"
    return IdNumber(number, birth_on, sex)


def mask(number):
    """Keep the first four and last four characters: 5134**********123X."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def make(area, birth_on, sequence):
    """Build a valid number (for demo data and tests): area code, birth date, 3-digit sequence."""
    first17 = f"{area}{birth_on:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
