"""Effective dates: a change that affects the figures carries the day it happened, entered by the user
(default: the county's today); a registration carries the day the child is on the roll. A date in the
county's future, before the registration or before a later recorded change is refused at its field,
and nothing changes."""

import io
import re
from datetime import date

import pytest
from conftest import child_form, csrf_token, login, valid_id
from county import build_county
from test_import import BORN, roster_row, run, write_xlsxwriter
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from dropout.children import records as children
from dropout.core.errors import ValidationError
from dropout.db import database
from dropout.models import AuditLog, Child, ChildChange
from dropout.reporting import summaries
from dropout.reporting.figures import Month
from dropout.rules.indicators import total

TODAY = date(2026, 11, 22)


@pytest.fixture
def county(app):
    county = build_county()
    with database.connection_context():
        Child.update(registered_on=date(2026, 3, 1)).execute()
    return county


def _child(county):
    return Child.get_by_id(county.own.id)


def _state():
    return (
        [(c.id, c.village_id, c.school_id, c.status, c.status_since) for c in Child.select().order_by(Child.id)],
        ChildChange.select().count(),
        AuditLog.select().count(),
    )


def test_a_move_takes_the_day_it_happened_and_counts_in_that_month(db, county):
    admin, other_village = county.users["admin"], county.other.village
    child = _child(county)
    children.save_child(
        admin, child_form(child, village=str(other_village.id), changed_on="2026-10-20"), child, today=TODAY
    )
    change = ChildChange.get(ChildChange.child == child.id)
    assert change.changed_on == date(2026, 10, 20) and change.new_village_id == other_village.id
    entry = AuditLog.select().where((AuditLog.entity == "child") & (AuditLog.entity_id == child.id)).get()
    assert '"changed_on": "2026-10-20"' in entry.after  # when it happened; entry.at says when it was entered
    summaries.generate_month(Month(2026, 10))
    moved_to = summaries.figures_of(Month(2026, 10), "village", other_village.id)
    assert total(moved_to, "transfers_in") == 1


def test_a_change_without_a_date_is_dated_today(db, county):
    child = _child(county)
    children.save_child(county.users["admin"], child_form(child, status="outside_county"), child, today=TODAY)
    assert ChildChange.get(ChildChange.child == child.id).changed_on == TODAY


@pytest.mark.parametrize(
    "changed_on, message",
    [
        ("2026-11-23", "2026-11-23 是将来的日期（今天是 2026-11-22）。"),
        ("2026-02-28", "该儿童自 2026-03-01 起才在册，变动日期不能早于此日。"),
        ("2026-13-01", "日期格式不对，请写成 2015-09-01 这样。"),
    ],
)
def test_a_bad_change_date_is_refused_at_its_field(db, county, changed_on, message):
    child = _child(county)
    before = _state()
    with pytest.raises(ValidationError) as refused:
        children.save_child(
            county.users["admin"], child_form(child, status="outside_county", changed_on=changed_on), child, today=TODAY
        )
    assert refused.value.errors == {"changed_on": message}
    assert _state() == before


def test_a_change_cannot_be_dated_before_a_later_recorded_one(db, county):
    admin, child = county.users["admin"], _child(county)
    children.save_child(admin, child_form(child, status="outside_county", changed_on="2026-11-10"), child, today=TODAY)
    child = _child(county)
    before = _state()
    with pytest.raises(ValidationError) as refused:
        children.save_child(admin, child_form(child, status="enrolled", changed_on="2026-11-09"), child, today=TODAY)
    assert "已记录了 2026-11-10 的" in refused.value.errors["changed_on"]
    assert _state() == before
    # The same day, or later, is fine.
    children.save_child(admin, child_form(child, status="enrolled", changed_on="2026-11-10"), child, today=TODAY)
    assert _child(county).status == "enrolled"


def test_an_edit_that_moves_nothing_needs_no_date(db, county):
    child = _child(county)
    children.save_child(
        county.users["admin"], child_form(child, name="改名", changed_on="2099-01-01"), child, today=TODAY
    )
    assert _child(county).name == "改名" and ChildChange.select().count() == 0


@pytest.mark.parametrize(
    "registered_on, message",
    [("2026-11-23", "2026-11-23 是将来的日期（今天是 2026-11-22）。"), ("2015-01-01", "在册日期不能早于出生日期。")],
)
def test_a_registration_date_in_the_future_or_before_birth_is_refused(db, county, registered_on, message):
    before = _state()
    with pytest.raises(ValidationError) as refused:
        children.save_child(
            county.users["admin"],
            {
                "name": "新",
                "sex": "F",
                "birth_on": "2016-05-01",
                "village": str(county.home_village.id),
                "registered_on": registered_on,
            },
            today=TODAY,
        )
    assert refused.value.errors == {"registered_on": message}
    assert _state() == before


def test_the_edit_page_shows_the_refusal_next_to_the_date(app, client, county):
    login(client, county.users["admin"])
    url = f"/children/{county.own.id}/edit"
    page = client.get(url).get_data(as_text=True)
    form = dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', page))
    form.update(csrf_token=csrf_token(client, url), status="outside_county", changed_on="2099-01-01")
    response = client.post(url, data=form)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'name="changed_on"[^>]*value="2099-01-01".*?<p class="error">2099-01-01 是将来的日期', body, re.S)
    with database.connection_context():
        assert Child.get_by_id(county.own.id).status == "enrolled"


# The roster import: one date for the file, or a 在册日期 column; moves dated by the file's date.

HEADER_WITH_DATE = (*__import__("test_import").HEADER, "在册日期")


def test_an_import_registers_new_children_from_the_files_date_or_their_own(db, county, tmp_path):
    own_date, file_date = valid_id(BORN, "F"), valid_id(BORN, "M")
    rows = [[*roster_row(id_number=own_date, sex="女"), date(2026, 9, 1)], [*roster_row(id_number=file_date), ""]]
    path = write_xlsxwriter(tmp_path / "名册.xlsx", rows, header=HEADER_WITH_DATE)
    outcome = run(county.users["admin"], path, commit=True, as_of=date(2026, 10, 8))
    assert outcome.counts["new"] == 2 and outcome.committed
    registered = {
        c.id_number: c.registered_on for c in Child.select().where(Child.id_number.in_([own_date, file_date]))
    }
    assert registered == {own_date: date(2026, 9, 1), file_date: date(2026, 10, 8)}


def test_an_import_dates_a_move_by_the_files_date_and_refuses_one_before_a_recorded_change(db, county, tmp_path):
    child = _child(county)
    row = roster_row(
        id_number=child.id_number,
        name=child.name,
        sex="女",
        village="白马村",
        township="白马乡",
        school="白马乡中心小学",
    )
    path = write_xlsxwriter(tmp_path / "名册.xlsx", [row])
    early = run(county.users["admin"], path, commit=True, as_of=date(2026, 2, 1))
    assert early.counts["rejected"] == 1 and not early.committed
    assert "2026-02-01" in early.rejections[0][4] and "2026-03-01" in early.rejections[0][4]
    outcome = run(county.users["admin"], path, commit=True, as_of=date(2026, 10, 8))
    assert outcome.counts["updated"] == 1
    assert ChildChange.get(ChildChange.child == child.id).changed_on == date(2026, 10, 8)


def test_an_import_refuses_a_future_date_for_the_file_or_a_row(db, county, tmp_path):
    path = write_xlsxwriter(tmp_path / "名册.xlsx", [[*roster_row(), date(2026, 11, 23)]], header=HEADER_WITH_DATE)
    before = _state()
    with pytest.raises(ValidationError) as refused:
        run(county.users["admin"], path, commit=True, as_of=date(2026, 11, 23))
    assert refused.value.errors == {"as_of": "2026-11-23 是将来的日期（今天是 2026-11-22）。"}
    outcome = run(county.users["admin"], path, commit=True)
    assert outcome.rejections[0][2:] == ["在册日期", "陈小明", "2026-11-23 是将来的日期（今天是 2026-11-22）。"]
    assert _state() == before


def test_the_upload_page_refuses_a_future_file_date_at_its_field(app, client, county, tmp_path):
    login(client, county.users["township"])
    content = write_xlsxwriter(tmp_path / "名册.xlsx", [roster_row()]).read_bytes()
    fields = {
        "csrf_token": csrf_token(client, "/imports/"),
        "as_of": "2099-01-01",
        "file": FileStorage(io.BytesIO(content), filename="名册.xlsx"),
    }
    boundary, body = encode_multipart(fields)
    response = client.post("/imports/", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422
    assert re.search(
        r'name="as_of"[^>]*value="2099-01-01".*?<p class="error">2099-01-01 是将来的日期',
        response.get_data(as_text=True),
        re.S,
    )


def test_the_import_command_refuses_a_future_file_date(app, runner, county, tmp_path):
    path = write_xlsxwriter(tmp_path / "名册.xlsx", [roster_row()])
    result = runner.invoke(args=["import-roster", str(path), "--as-of", "2099-01-01"])
    assert result.exit_code == 1 and "2099-01-01 has not come yet" in result.output


def test_a_case_step_cannot_move_the_child_before_a_recorded_change(db, county):
    from dropout.casework import cases
    from dropout.casework.settings import CaseSettings
    from dropout.models import DropoutCase

    admin, child = county.users["admin"], _child(county)
    children.save_child(
        admin, child_form(child, village=str(county.other.village_id), changed_on="2026-11-10"), child, today=TODAY
    )
    before = _state()
    with pytest.raises(ValidationError) as refused:
        cases.open_case(admin, _child(county), date(2026, 11, 5), CaseSettings(), TODAY)
    assert "已记录了 2026-11-10 的" in refused.value.errors["absent_since"]
    assert _state() == before and DropoutCase.select().count() == 0
    cases.open_case(admin, _child(county), date(2026, 11, 12), CaseSettings(), TODAY)
    assert _child(county).status == "suspected"


def test_the_childs_history_shows_the_day_a_change_happened(app, client, county):
    with database.connection_context():
        child = _child(county)
        children.save_child(
            county.users["admin"],
            child_form(child, status="outside_county", changed_on="2026-10-20"),
            child,
            today=TODAY,
        )
    login(client, county.users["admin"])
    page = client.get(f"/children/{county.own.id}").get_data(as_text=True)
    assert "<li>变动日期: 2026-10-20</li>" in page and "在校 → 县外就读" in page
