"""The roster import's fast paths (issue 15, "Import once"): a chunk read a column at a time gives what reading
each row cell by cell gives, the ID number's check character in one call, and the kept rows written as they are
(one COPY on PostgreSQL, its text format escaped), read back equal."""

import random
from datetime import date, datetime

import pytest
from conftest import TODAY, on_postgres, roster_cells, valid_id
from county import build_county
from test_import import FIELDS, HEADER, write_csv, write_xlsxwriter

from dropout.db import copy_lines, copy_rows, copy_text, database
from dropout.models import Child, Guardian
from dropout.roster import cells as roster_cells_module
from dropout.roster import imports as roster_import
from dropout.rules import id_number

BORN = date(2015, 9, 1)
GOOD = id_number.make("513401", date(2015, 3, 14), 123)
CELLS = [
    *("", " ", None, "x", " 张三 ", "男", "女", " 女", "m", "F", "男性", "\t", "\n女\n", "abc", "a\x00b"),
    *(GOOD, GOOD.lower()[:-1] + "x", GOOD[:-1] + "0", "１" + GOOD[1:], " " + GOOD + " ", GOOD[:9] + " " + GOOD[9:]),
    *("5.13401201503e+17", id_number.make("110101", date(1899, 1, 1), 1), id_number.make("990101", BORN, 1)),
    *(id_number.make("110101", date(2027, 1, 1), 1), "X" * 18, GOOD[:17] + "Y", "51340120150230123X"),
    *("2015-09-01", "2015-9-1", "2015-02-30", "2015年9月1日", "2015-09-01 10:00", "20150901", "2015-13-01"),
    *("2015-09-01\n2015-09-02", "13812345678", "138-1234-5678", "1234", "1" * 21, "5", "0", "五年级", "初二", "10"),
    *("3级", "视力", "视力残疾", "听力类", "G123", "1e5", "是", "否", " 是", "yes", "Y", "√", "x" * 256, "x" * 255),
    *("长" * 300, 3.0, 3.5, 0.0, 5.134012015031e17, 13812345678.0, True, False, 1),
    *(date(2015, 3, 14), datetime(2015, 3, 14, 10, 0)),
]
# A valid row of every column the import reads, in the order of roster_cells_module.converters().
VALID = {
    "name": "张三",
    "sex": "男",
    "id_number": GOOD,
    "birth_on": "2015-03-14",
    "ethnicity": "汉族",
    "township": "城关镇",
    "village": "东街社区",
    "group": "1组",
    "address": "东街12号",
    "guardian_name": "李四",
    "guardian_relation": "父亲",
    "guardian_phone": "13812345678",
    "school": "城关镇中心小学",
    "grade": "5",
    "student_number": "G1",
    "disability_category": "视力",
    "disability_grade": "2",
    "notes": "",
    "registered_on": "2020-01-01",
}


def plan_and_flags():
    convert = roster_cells_module.converters(TODAY)
    fields = list(convert)
    assert sorted(fields) == sorted(VALID)
    plan = [(name, column, convert[name]) for column, name in enumerate(fields)]
    flags = {"is_poor": [len(fields), len(fields) + 1], "is_left_behind": [len(fields) + 2]}
    return fields, plan, flags


@pytest.mark.parametrize("seed", range(4))
def test_a_chunk_read_a_column_at_a_time_is_each_row_read_cell_by_cell(app, seed):
    """Columns of the usual spellings (the fast paths), with a few hostile or odd cells, short rows, and columns
    of anything: every value and every message as read_row() gives them."""
    fields, plan, flags = plan_and_flags()
    width = len(fields) + 3
    rng = random.Random(seed)
    with app.test_request_context():
        for _trial in range(300):
            rows = []
            usual = rng.random() < 0.5
            for _ in range(rng.randint(1, 12)):
                if usual:
                    row = [VALID[name] for name in fields] + ["是", "否", "否"]
                    for _k in range(rng.randint(0, 2)):
                        row[rng.randrange(width)] = rng.choice(CELLS)
                else:
                    row = [rng.choice(CELLS) for _ in range(width)]
                if rng.random() < 0.1:
                    row = row[: rng.randint(0, width)]
                rows.append(row)
            expected = [roster_cells_module.read_row(plan, flags, row) for row in rows]
            assert roster_cells_module.read_rows(plan, flags, rows) == expected, rows


def test_the_fast_paths_take_the_usual_columns_and_give_the_readers_values(app):
    fields, plan, flags = plan_and_flags()
    rows = [[VALID[name] for name in fields] + ["是", "否", "×"] for _ in range(3)]
    with app.test_request_context():
        ((values, errors), *_rest) = roster_cells_module.read_rows(plan, flags, rows)
    assert errors == {}
    assert values["id_number"] == (GOOD, date(2015, 3, 14), "M")
    assert values["birth_on"] == date(2015, 3, 14) and values["grade"] == 5 and values["disability_grade"] == 2
    assert values["sex"] == "M" and values["disability_category"] == "visual"
    assert values["guardian_phone"] == "13812345678"
    assert values["is_poor"] is True and values["is_left_behind"] is False
    assert "notes" not in values  # blank: no value


def test_the_check_character_in_one_call_is_the_standards():
    rng = random.Random(15)
    fast = roster_cells_module._id_reader(TODAY).fast
    for _ in range(2000):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        assert id_number.CHECK_CHARS[2 * int(first17, 13) % 11] == id_number.check_char(first17)
    numbers = [valid_id(BORN) for _ in range(50)]
    found, missed = fast(numbers)
    assert not missed and [parsed.number for parsed in found] == numbers
    wrong = numbers[:-1] + [numbers[-1][:17] + ("0" if numbers[-1][17] != "0" else "1")]
    found, missed = fast(wrong)
    assert missed and found[-1] is roster_cells_module.MISS and found[0].number == numbers[0]


def test_copy_text_escapes_what_the_format_reads_specially():
    assert copy_text(None) == "\\N"
    assert copy_text("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e"
    assert copy_text("\\N") == "\\\\N"  # the text, not NULL
    assert copy_text(True) == "True" and copy_text(7) == "7" and copy_text(date(2015, 3, 1)) == "2015-03-01"
    with pytest.raises(ValueError):
        copy_text("a\x00b")
    rows = [("plain", None, 1, False), ("tab\there", "back\\slash", 2, True), ("line\nend", "\\N", 3, None)]
    assert copy_lines(rows, "\tZ") == (
        "plain\t\\N\t1\tFalse\tZ\ntab\\there\tback\\\\slash\t2\tTrue\tZ\nline\\nend\t\\\\N\t3\t\\N\tZ\n"
    )
    with pytest.raises(ValueError):
        copy_lines([("a\x00",)])


ODD_TEXTS = ["tab\there", "line\nend", "cr\rhere", "back\\slash", "\\N", "\\.", "tail\\", "é中文", "", "None"]


def test_the_kept_rows_are_written_as_they_are_and_read_back_equal(db):
    """The import's writer (COPY on PostgreSQL, executemany on SQLite), a constant on every row."""
    database.execute_sql("CREATE TABLE kept (id INTEGER PRIMARY KEY, a TEXT, b TEXT, n INTEGER, f BOOLEAN, at TEXT)")
    rows = [(i + 1, text, None if i % 2 else text[::-1], i, i % 3 == 0) for i, text in enumerate(ODD_TEXTS)]
    with database.atomic():
        roster_import._insert("kept", ("id", "a", "b", "n", "f"), rows, {"at": "2026-11-22 08:00:00.5"})
    back = database.execute_sql("SELECT id, a, b, n, f, at FROM kept ORDER BY id").fetchall()
    assert [(*row[:4], bool(row[4])) for row in back] == rows
    assert {row[5] for row in back} == {"2026-11-22 08:00:00.5"}


@pytest.mark.skipif(not on_postgres(), reason="COPY is PostgreSQL's")
def test_copy_rows_writes_nothing_when_a_value_holds_a_nul(db):
    database.execute_sql("CREATE TABLE kept (id INTEGER PRIMARY KEY, a TEXT)")
    with pytest.raises(ValueError):
        copy_rows("kept", ("id", "a"), [(1, "fine"), (2, "nul\x00")])
    assert database.execute_sql("SELECT COUNT(*) FROM kept").fetchone()[0] == 0
    copy_rows("kept", ("id", "a"), [(1, "tab\tline\nback\\")])
    assert database.execute_sql("SELECT a FROM kept").fetchone()[0] == "tab\tline\nback\\"


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_text_with_tabs_line_ends_and_backslashes_is_imported_exactly(db, tmp_path, kind):
    """A roster's text goes through the kept rows and the writer (COPY's text format on PostgreSQL) unchanged."""
    county = build_county()
    texts = {"address": "东街\t12号\\3", "notes": "第一行\n第二行\r\n\\N", "guardian": "陈\\大海", "group": "\\."}
    row = roster_cells(BORN, **texts)
    path = tmp_path / f"odd.{kind}"
    if kind == "xlsx":
        write_xlsxwriter(path, [[row[field] for field in FIELDS]])
    else:  # CSV: each cell quoted, its quotes doubled
        quoted = [['"' + str(row[field]).replace('"', '""') + '"' for field in FIELDS]]
        write_csv(path, quoted, "utf-8", header=HEADER)
    outcome = roster_import.import_roster(county.users["admin"], path, commit=True, today=TODAY, file_name=path.name)
    assert outcome.committed and outcome.counts["new"] == 1, outcome.rejections
    child = Child.get(Child.id_number == row["id_number"])
    assert (child.address, child.notes, child.group) == (texts["address"], texts["notes"], texts["group"])
    assert Guardian.get(Guardian.child == child.id).name == texts["guardian"]
    assert child.name_initials == "cxm" and child.id_reversed == row["id_number"][::-1]
