"""The child record's columns, defined once (dropout/children/columns.py), and everything that writes or reads the
register agreeing with them: the tables, the child form, the roster import, the 台账 and the bulk rows (the demo's
own is in test_demo)."""

from datetime import date

import pytest

from dropout.children import columns
from dropout.models import Child, Guardian
from dropout.roster import cells as roster_cells
from dropout.roster import imports as roster_import
from dropout.roster import ledger
from dropout.roster import read as roster_read

MODELS = {columns.CHILD: Child, columns.GUARDIAN: Guardian}


@pytest.mark.parametrize("table", [columns.CHILD, columns.GUARDIAN])
def test_every_field_of_the_table_is_in_the_register_or_named_outside_it(table):
    """A new field of Child or Guardian fails here until columns.py says where the register has it, or why not."""
    fields = list(MODELS[table]._meta.fields)
    register = [column.field for column in columns.of(table)]
    outside = list(columns.NOT_IN_REGISTER[table])
    assert sorted(register + outside) == sorted(fields)
    assert not set(register) & set(outside)


def test_each_column_is_named_once_and_says_how_it_is_shown_and_read():
    keys = [column.key for column in columns.REGISTER]
    assert len(keys) == len(set(keys))
    readers = roster_cells.readers(date(2026, 11, 22))
    for column in columns.REGISTER:
        assert (column.cell is None) == (not column.headers), column.key
        assert column.cell is None or column.cell in readers, column.key
        assert column.form in (None, columns.TEXT, columns.CHOICE, columns.FLAG, columns.LONG_TEXT), column.key
        assert column.table in (columns.CHILD, columns.GUARDIAN) or column.key == "township", column.key
    # What is not stored (the township: the village's) is only read and written with the village.
    assert [column.key for column in columns.REGISTER if column.table is None] == ["township"]


def test_the_child_form_shows_the_form_columns_in_order_under_their_labels(app):
    from dropout.forms import CHILD_FIELDS, ChildForm

    with app.test_request_context("/"):
        form = ChildForm(meta={"csrf": False})
        shown = [column.key for column in columns.on_form()]
        assert list(CHILD_FIELDS) == shown
        assert [field.name for field in form] == [*shown, "changed_on", "guardians"]
        for column in columns.on_form():
            assert form[column.key].label.text == str(column.label)
        guardian = form.guardians.entries[0].form
        assert [field.short_name for field in guardian] == ["id", *(c.field for c in columns.on_form(columns.GUARDIAN))]
        for column in columns.on_form(columns.GUARDIAN):
            assert guardian[column.field].label.text == str(column.label)


def test_the_import_recognises_every_spelling_and_reads_every_column():
    roster = columns.in_roster()
    assert list(roster_read.HEADERS) == [column.key for column in roster]  # the template's order
    for column in roster:
        for spelling in column.headers:
            assert roster_read.field_of(spelling) == column.key, spelling
    readers = roster_cells.converters(date(2026, 11, 22))
    assert sorted([*readers, *roster_read.FLAG_FIELDS]) == sorted(column.key for column in roster)
    # A new child starts from every register field of Child; the guardian's columns are the first guardian's.
    assert sorted(roster_import.NEW_CHILD) == sorted(column.field for column in columns.of(columns.CHILD))
    assert all(Guardian._meta.fields.get(field) for field in roster_import.GUARDIAN_FIELDS.values())


def test_the_ledger_writes_the_ledger_columns_and_the_import_reads_its_headers_back():
    groups = columns.in_ledger()
    assert ledger.HEADERS == ("序号", *(header for header, _width, _shared in groups))
    assert len(ledger.WIDTHS) == len(ledger.HEADERS) and all(ledger.WIDTHS)
    # Several columns share a cell only as the priority groups.
    assert [header for header, _width, shared in groups if len(shared) > 1] == [columns.GROUPS]
    selected = [column._alias for column in ledger.COLUMNS]  # the first guardian's columns too, by their keys
    assert sorted(selected) == sorted(column.key for _header, _width, shared in groups for column in shared)
    for _header, _width, shared in groups:
        for column in shared:
            if column.headers and len(shared) == 1:  # a ledger goes back in as a roster
                assert roster_read.field_of(column.ledger) == column.key, column.ledger


def test_the_priority_group_cell_shows_each_of_its_columns():
    labels = ledger._labels()
    (shared,) = [shared for header, _width, shared in columns.in_ledger() if header == columns.GROUPS]
    nothing = {column.key: column.blank for column in shared}
    assert ledger._groups(nothing, labels) == ""
    for column in shared:
        value = True if column.blank is False else "visual"
        assert ledger._groups(dict(nothing, **{column.key: value}), labels), column.key


def test_bulk_rows_carry_every_register_field_and_name_a_missing_one():
    child_fields = {field.column_name for field in Child._meta.sorted_fields}
    assert sorted(columns.CHILD_ROW) == sorted(child_fields - {"status_since"})  # a new child has made no move yet
    assert sorted(columns.GUARDIAN_ROW) == sorted(field.column_name for field in Guardian._meta.sorted_fields)
    values = dict(columns.blanks(), id=1, created_at=None, updated_at=None)
    assert len(columns.child_row(values)) == len(columns.CHILD_ROW)
    del values["notes"]
    with pytest.raises(KeyError, match="notes"):
        columns.child_row(values)
