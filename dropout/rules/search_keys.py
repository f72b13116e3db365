"""Search keys stored with each child at write time, so that a search is served by an index:
the pinyin initials of the name (王梓明 -> wzm, typed on a phone's Latin keyboard) and the ID number
reversed (so that its last 4-6 digits, which staff read out, are a prefix)."""

import functools
import re

from pypinyin import Style, lazy_pinyin

# Surnames read differently from the character's common reading (曾 zēng, not céng).
SURNAMES = dict(zip("曾单解仇朴查区盖乐尉缪覃翟种秘召繁员", "zsxqpzogyymqzcbspy", strict=True))
_LATIN = re.compile(r"[a-z0-9]")
INITIALS_LENGTH = 20
KEYS = ("name_initials", "id_reversed")  # the Child fields that hold them


@functools.lru_cache(maxsize=32768)
def _initial(char):
    """The first letter of one character's pinyin; a Latin letter or digit stands for itself; else ''."""
    letter = lazy_pinyin(char, style=Style.FIRST_LETTER, errors="ignore")
    letter = (letter[0] if letter else char).lower()[:1]
    return letter if _LATIN.fullmatch(letter or "") else ""


def initials(name):
    """The pinyin initials of a name, lower case: 王梓明 -> 'wzm'; 曾小单 -> 'zxd' (surnames read as surnames)."""
    name = (name or "").strip()
    if not name:
        return ""
    first = SURNAMES.get(name[0]) or _initial(name[0])
    return (first + "".join(_initial(char) for char in name[1:]))[:INITIALS_LENGTH]


def reversed_id(id_number):
    """The ID number read backwards (None without one), so that 'ends with 1234' is the prefix '4321'."""
    return id_number[::-1].upper() if id_number else None


def search_keys(name, id_number):
    """The stored search keys of a child with this name and ID number: {field: value}."""
    return dict(zip(KEYS, (initials(name), reversed_id(id_number)), strict=True))
