"""The cases export: the filtered cases list streamed into a file as a real .xlsx, ID numbers masked, with
progress told as it goes."""

import io

import openpyxl
import pytest
from county import build_county
from flask_babel import gettext
from python_calamine import CalamineWorkbook

from dropout import clock
from dropout.casework import export
from dropout.casework.search import CaseFilters
from dropout.core import spreadsheets
from dropout.models import Child, DropoutCase

TODAY = clock.today()


@pytest.fixture
def county(db):
    """The test county with seven more children of the township, each with a dropout case, and one case of
    the other township."""
    county = build_county()
    cases = [DropoutCase.create(child=county.own, absent_since=TODAY, opened_on=TODAY, status="dropped_out")]
    for n in range(7):
        child = Child.create(name=f"外出{n}", sex="M", birth_on=county.own.birth_on, village=county.home_village)
        cases.append(
            DropoutCase.create(child=child, absent_since=TODAY, opened_on=TODAY, status="dropped_out", reason="work")
        )
    DropoutCase.create(child=county.other, absent_since=TODAY, opened_on=TODAY, status="suspected")
    county.cases = cases
    return county


def cells_of(data):
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def test_the_export_to_a_file_is_a_real_workbook_with_the_lists_cells(county, tmp_path):
    """openpyxl reads the file; its cells are the ones the table writer gives for the same rows (the export as
    it was built in memory), every value text, the ID number masked."""
    user, filters = county.users["township"], CaseFilters(status="dropped_out")
    path = tmp_path / "cases.xlsx"
    with open(path, "wb") as out:
        count = export.write_workbook(user, filters, TODAY, "示例县", out)
    assert count == 8
    sheet = openpyxl.load_workbook(path).worksheets[0]
    cells = [["" if value is None else value for value in row] for row in sheet.iter_rows(values_only=True)]
    title = f"示例县 {gettext('Dropout cases')} {TODAY:%Y-%m-%d}"
    in_memory = spreadsheets.write_table(title, export.headers(), export.rows(user, filters, TODAY))
    assert cells == cells_of(in_memory)
    assert cells[0][0] == title and cells[1] == [str(header) for header in export.headers()]
    assert sorted(int(row[0]) for row in cells[2:]) == sorted(case.id for case in county.cases)
    own = next(row for row in cells[2:] if row[1] == "李小红")
    assert own[2] == county.own.id_number[:4] + "*" * 10 + county.own.id_number[-4:]
    assert all(isinstance(value, str) for row in cells for value in row)
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 14 and sheet["A2"].font.b


def test_a_file_object_in_memory_works_too(county):
    out = io.BytesIO()
    assert export.write_workbook(county.users["admin"], CaseFilters(), TODAY, "示例县", out) == 9
    assert len(cells_of(out.getvalue())) == 2 + 9


@pytest.mark.parametrize(("chunk", "expected"), [(3, [0, 3, 6, 8]), (4, [0, 4, 8]), (100, [0, 8])])
def test_progress_counts_up_every_chunk_to_the_total(county, monkeypatch, chunk, expected):
    """Told at the start and after each chunk, never per row, ending at (total, total) exactly once."""
    monkeypatch.setattr(export, "CHUNK", chunk)
    calls = []
    count = export.write_workbook(
        county.users["township"], CaseFilters(), TODAY, "示例县", io.BytesIO(), lambda *call: calls.append(call)
    )
    assert count == 8  # the township's cases only
    assert calls == [(done, 8) for done in expected]


def test_progress_of_no_cases_is_zero_of_zero(county):
    calls = []
    filters = CaseFilters(status="closed")
    progress = lambda *call: calls.append(call)  # noqa: E731
    assert export.write_workbook(county.users["admin"], filters, TODAY, "示例县", io.BytesIO(), progress) == 0
    assert calls == [(0, 0)]
