"""One county clock: on a server in UTC, "today" is the county's day (Asia/Shanghai, UTC+8), also
between 00:00 and 08:00 county time, when the server's date is still yesterday, and across a month end."""

import os
import time
from datetime import UTC, date, datetime

import pytest
import time_machine
from conftest import child_form, login

from dropout import clock
from dropout.children import records as children
from dropout.db import database
from dropout.models import Child, ChildChange, JobRun, ReturnNotice
from dropout.reporting import summaries
from dropout.reporting.figures import Month, compute
from dropout.rules.dates import local_date
from dropout.rules.indicators import total

DEC_1_0130 = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)  # 01:30 on 1 December in the county
DEC_1_0730 = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 07:30 on 1 December in the county
NOV_30_2359 = datetime(2026, 11, 30, 15, 59, tzinfo=UTC)  # 23:59 on 30 November in the county
NOVEMBER = Month(2026, 11)


@pytest.fixture(autouse=True)
def utc_server():
    """The process runs in UTC, as servers do; the county is at UTC+8."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.parametrize(
    "moment, county_day, server_day",
    [
        (DEC_1_0130, date(2026, 12, 1), date(2026, 11, 30)),
        (DEC_1_0730, date(2026, 12, 1), date(2026, 11, 30)),
        (NOV_30_2359, date(2026, 11, 30), date(2026, 11, 30)),
    ],
)
def test_today_is_the_countys_day_whatever_the_servers(app, moment, county_day, server_day):
    with time_machine.travel(moment, tick=False):
        assert date.today() == server_day  # the server's own idea
        with app.app_context():
            assert clock.today() == county_day
        assert clock.today({"TIMEZONE": "Asia/Shanghai"}) == county_day


def test_a_stored_utc_time_falls_on_the_countys_day(app):
    with app.app_context():
        assert local_date(datetime(2026, 11, 30, 23, 30), clock.zone_name()) == date(2026, 12, 1)


def test_the_visit_and_service_forms_propose_the_countys_today(app, client, make_user):
    with time_machine.travel(DEC_1_0130, tick=False):
        login(client, make_user("admin"))
        page = client.get("/visits/new").get_data(as_text=True)
    assert 'value="2026-12-01"' in page and "2026-11-30" not in page


def test_a_move_entered_after_midnight_is_dated_in_the_new_month(db, make_child, make_village, make_user):
    old, new = make_village(), make_village()
    child = make_child(old, registered_on=date(2026, 1, 5))
    admin = make_user("admin")
    with time_machine.travel(DEC_1_0130, tick=False):
        data = child_form(Child.get_by_id(child.id), village=str(new.id))
        children.save_child(admin, data, Child.get_by_id(child.id))
    change = ChildChange.get(ChildChange.child == child.id)
    assert (str(change.changed_on), change.new_village_id) == ("2026-12-01", new.id)
    cells = compute(NOVEMBER)
    assert total(cells[("village", old.id)], "school_age") == 1  # still at home on 30 November
    assert total(cells[("village", new.id)], "school_age") == 0


def test_a_child_registered_at_0730_county_time_counts_from_december(db, make_village, make_user):
    village = make_village()
    admin = make_user("admin")
    with time_machine.travel(DEC_1_0730, tick=False):
        child = children.save_child(
            admin, {"name": "新来", "sex": "F", "birth_on": "2016-05-01", "village": str(village.id)}, today=None
        )
    assert str(Child.get_by_id(child.id).registered_on) == "2026-12-01"
    cells = compute(NOVEMBER)
    assert total(cells[("county", 0)], "students_end") + total(cells[("county", 0)], "school_age") == 0
    assert total(cells[("county", 0)], "transfers_in") == 0


def test_a_child_registered_at_2359_on_the_months_last_day_counts_in_it(db, make_village, make_user):
    village = make_village()
    admin = make_user("admin")
    with time_machine.travel(NOV_30_2359, tick=False):
        children.save_child(admin, {"name": "月末", "sex": "M", "birth_on": "2016-05-01", "village": str(village.id)})
    cells = compute(NOVEMBER)
    county = cells[("county", 0)]
    assert [total(county, key) for key in ("school_age", "students_end", "transfers_in")] == [1, 1, 1]


def test_the_commands_refuse_the_countys_future(app, runner):
    with time_machine.travel(DEC_1_0130, tick=False):
        for args in (["run-jobs", "--date", "2026-12-02"], ["check-deadlines", "--today", "2026-12-02"]):
            result = runner.invoke(args=args)
            assert result.exit_code == 1, result.output
            assert "2026-12-02 has not come yet" in result.output and "today is 2026-12-01" in result.output
        # The county's today is accepted although the server's date is still 30 November.
        result = runner.invoke(args=["check-deadlines", "--today", "2026-12-01"])
        assert result.exit_code == 0 and "0 notices newly overdue" in result.output
        far = runner.invoke(args=["run-jobs", "--date", "2027-01-02"])
        current = runner.invoke(args=["summaries", "--month", "2026-12"])
    with time_machine.travel(NOV_30_2359, tick=False):
        last_minute = runner.invoke(args=["summaries", "--month", "2026-11"])
    for result in (current, last_minute):
        assert result.exit_code == 1 and "尚未结束" in result.output
    assert far.exit_code == 1
    with database.connection_context():
        assert JobRun.select().count() == 0 and ReturnNotice.select().count() == 0
        assert summaries.generated_months() == []


def test_nothing_in_the_code_reads_the_servers_clock():
    """Every today and now comes from dropout.clock: no date.today(), datetime.today(), datetime.utcnow()
    or datetime.now() without a time zone anywhere in dropout/."""
    import ast
    from pathlib import Path

    found = []
    for path in Path(clock.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value.id if isinstance(node.func.value, ast.Name) else ""
            name = f"{owner}.{node.func.attr}"
            if name in ("date.today", "datetime.today", "datetime.utcnow") or (
                name == "datetime.now" and not node.args and not node.keywords
            ):
                found.append(f"{path.name}:{node.lineno} {name}()")
    assert found == []
