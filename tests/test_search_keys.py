"""The search keys stored with each child: pinyin initials and the ID number reversed, on every write path."""

from datetime import date

from conftest import valid_id

from dropout.children import columns
from dropout.db import bulk_insert, database, next_id
from dropout.models import Child
from dropout.rules.search_keys import initials, reversed_id, search_keys


def test_initials_are_the_first_letters_of_the_pinyin():
    assert initials("王梓明") == "wzm"
    assert initials("欧阳娜") == "oyn"
    assert initials("  李 ") == "l"
    assert initials("") == initials(None) == ""


def test_surnames_are_read_as_surnames():
    # 曾 is céng in 曾经 but Zēng as a surname; 单 is dān but Shàn; inside a given name they keep the common reading.
    assert initials("曾小单") == "zxd"
    assert initials("单曾") == "sc"


def test_latin_letters_and_digits_stand_for_themselves_and_marks_are_dropped():
    assert initials("阿依·Anna2") == "ayanna2"


def test_the_id_number_is_reversed_in_upper_case():
    assert reversed_id("11010520150301123x") == "X32110305102501011"
    assert reversed_id("") is None and reversed_id(None) is None
    assert search_keys("王梓明", None) == {"name_initials": "wzm", "id_reversed": None}


def test_a_saved_child_carries_the_keys_of_its_current_name_and_number(make_child):
    child = make_child(name="王梓明")
    assert (child.name_initials, child.id_reversed) == ("wzm", child.id_number[::-1])
    with database.connection_context():
        child.name, child.id_number = "曾小单", valid_id(date(2016, 5, 2), "F")
        child.save()
        stored = Child.get_by_id(child.id)
    assert (stored.name_initials, stored.id_reversed) == ("zxd", child.id_number[::-1].upper())


def test_bulk_rows_carry_the_keys(make_village):
    village = make_village()
    with database.connection_context():
        values = columns.blanks() | {
            "id": next_id("child"),
            "name": "欧阳娜",
            "sex": "F",
            "id_number": valid_id(date(2015, 1, 9), "F"),
            "birth_on": date(2015, 1, 9),
            "village": village.id,
            "registered_on": date(2026, 9, 1),
            "created_at": date(2026, 9, 1),
            "updated_at": date(2026, 9, 1),
        }
        bulk_insert("child", columns.CHILD_ROW, [columns.child_row(values)])
        stored = Child.get_by_id(values["id"])
    assert (stored.name_initials, stored.id_reversed) == ("oyn", values["id_number"][::-1].upper())
