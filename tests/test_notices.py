"""限期复学通知书 through the services: numbering, content, service, deadlines, what follows."""

import threading
from datetime import date

import pytest
from county import build_county

from dropout.casework import cases, visits
from dropout.casework.settings import CaseSettings
from dropout.core.errors import PermissionDenied, ValidationError
from dropout.db import database
from dropout.models import AuditLog, CaseEvent, Child, DropoutCase, Escalation, ReturnNotice
from dropout.notices import documents, notices

SETTINGS = CaseSettings()
OPENED = date(2026, 3, 2)
ISSUED = date(2026, 3, 20)


@pytest.fixture
def county(app):
    return build_county()


def persuading_case(county, child=None):
    township = county.users["township"] if child is None else county.users["admin"]
    child = child or county.own
    case = cases.open_case(township, child, OPENED, SETTINGS, today=OPENED)
    cases.confirm(township, case, "work", "", date(2026, 3, 3), SETTINGS, date(2026, 3, 3))
    for day in (date(2026, 3, 5), date(2026, 3, 12)):
        visit = {"visited_on": day, "method": "home", "met": "guardian", "outcome": "refused"}
        visits.log_visit(township, DropoutCase.get_by_id(case.id), visit, SETTINGS, day)
    return DropoutCase.get_by_id(case.id)


def served(notice, day, **overrides):
    values = {
        "served_on": day,
        "served_time": "10:30",
        "method": "直接送达",
        "recipient": "监护人李小红",
        "place": "东街社区3组家中",
        "server": "张志强、刘芳",
    }
    values.update(overrides)
    return values


def test_the_notice_says_exactly_what_the_records_say(app, db, county):
    case = persuading_case(county)
    notice = notices.issue(county.users["township"], case, app.config, ISSUED)
    data = documents.data_of(notice)
    assert notice.number == data.number == "城关镇控辍通〔2026〕1号"
    assert (data.authority, data.title, data.issued_on) == ("城关镇人民政府", "限期复学通知书", "2026年3月20日")
    assert (data.guardian_name, data.guardian_relation, data.guardian_phone) == ("监护人李小红", "母亲", "13900000000")
    assert (data.child_name, data.child_sex, data.child_id_number) == ("李小红", "女", county.own.id_number)
    assert data.child_school == "城关镇中心小学5年级"
    assert data.paragraphs[0] == (
        "李小红自2026年3月2日起无正当理由未到校上学。城关镇人民政府于2026年3月5日、2026年3月12日上门家访（共2次），"
        "劝其返校，李小红至今仍未返校。"
    )
    assert "第五十八条" in data.paragraphs[1]
    assert data.paragraphs[2].startswith("请你自收到本通知书之日起7日内，将李小红送到城关镇中心小学复学。")
    # Rights as 行政复议法 Art. 20 and 行政诉讼法 Art. 46 give them; no threat that no provision allows.
    assert data.paragraphs[-1] == (
        "如不服本通知，可以自收到本通知书之日起六十日内向示例县人民政府申请行政复议，"
        "或者自收到本通知书之日起六个月内依法向人民法院提起行政诉讼。"
    )
    text = "".join(data.paragraphs)
    assert "强制执行" not in text and "行政处罚" not in text
    assert data.verify_url == f"http://127.0.0.1:5000/verify/{notice.verify_code}"
    assert data.contacts == ("乡镇联系人：township",)


def test_the_province_regulation_and_deadline_come_from_configuration(app, db, county):
    app.config.update(PROVINCE_REGULATION="《示例省义务教育条例》第三十条", NOTICE_DEADLINE_DAYS=12)
    notice = notices.issue(county.users["township"], persuading_case(county), app.config, ISSUED)
    data = documents.data_of(notice)
    assert "《示例省义务教育条例》第三十条" in data.paragraphs[1]
    assert "12日内" in data.paragraphs[2] and notice.deadline_days == 12


@pytest.mark.parametrize("status", ["suspected", "returned", "closed"])
def test_no_notice_for_a_child_in_school_or_only_suspected(app, db, county, status):
    case = cases.open_case(county.users["township"], county.own, OPENED, SETTINGS, today=OPENED)
    DropoutCase.update(status=status).where(DropoutCase.id == case.id).execute()
    with pytest.raises(ValidationError) as caught:
        notices.issue(county.users["township"], DropoutCase.get_by_id(case.id), app.config, ISSUED)
    assert "只对已确认辍学" in caught.value.errors["case"]
    assert ReturnNotice.select().count() == 0


def test_the_township_or_the_bureau_issues(app, db, county):
    case = persuading_case(county)
    for role in ("teacher", "village"):
        with pytest.raises(PermissionDenied):
            notices.issue(county.users[role], case, app.config, ISSUED)
    with pytest.raises(ValidationError) as caught:  # township staff issue in their government's name only
        notices.issue(county.users["township"], case, app.config, ISSUED, issuer="bureau")
    assert "issuer" in caught.value.errors and ReturnNotice.select().count() == 0
    notice = notices.issue(county.users["bureau"], case, app.config, ISSUED)
    data = documents.data_of(notice)
    assert (notice.issuer, notice.number, data.authority) == ("bureau", "示例县教育局控辍通〔2026〕1号", "示例县教育局")
    assert "示例县教育局将依照有关法律法规采取进一步措施" in data.paragraphs[3]


def test_each_issuer_numbers_its_own_series_without_gaps(app, db, county):
    by_bureau = notices.issue(county.users["admin"], persuading_case(county), app.config, ISSUED, issuer="bureau")
    by_town = notices.issue(
        county.users["admin"], persuading_case(county, county.other), app.config, ISSUED, issuer="township"
    )
    assert (by_bureau.seq, by_bureau.series, by_town.seq, by_town.series) == (
        1,
        "notice:bureau",
        1,
        f"notice:township:{county.other.village.township_id}",
    )
    assert by_town.number == "白马乡控辍通〔2026〕1号"
    # The bureau's series runs across townships.
    child = county.assigned
    third = notices.issue(county.users["admin"], persuading_case(county, child), app.config, ISSUED, issuer="bureau")
    assert third.number == "示例县教育局控辍通〔2026〕2号"


def test_contacts_are_printed_as_what_they_were(app, db, county):
    township, teacher = county.users["township"], county.users["teacher"]
    case = cases.open_case(township, county.own, OPENED, SETTINGS, today=OPENED)
    cases.confirm(township, case, "work", "", date(2026, 3, 3), SETTINGS, date(2026, 3, 3))
    for user, day, method in (
        (teacher, date(2026, 3, 5), "phone"),
        (teacher, date(2026, 3, 9), "phone"),
        (township, date(2026, 3, 12), "video"),
    ):
        visit = {"visited_on": day, "method": method, "met": "guardian", "outcome": "refused"}
        visits.log_visit(user, DropoutCase.get_by_id(case.id), visit, SETTINGS, day)
    case = DropoutCase.get_by_id(case.id)
    # Three calls, none in person: refused, with the reason.
    with pytest.raises(ValidationError) as caught:
        notices.issue(township, case, app.config, ISSUED)
    assert "3 次联系" in caught.value.errors["early_reason"] and "当面 0 次" in caught.value.errors["early_reason"]
    assert ReturnNotice.select().count() == 0
    # A person records why it cannot wait: issued, the reason kept on the case and in the audit trail.
    notice = notices.issue(township, case, app.config, ISSUED, early_reason="监护人已明确表示带孩子外出务工")
    paragraph = documents.data_of(notice).paragraphs[0]
    assert "上门家访" not in paragraph
    assert "城关镇中心小学于2026年3月5日、2026年3月9日电话联系（共2次）" in paragraph
    assert "城关镇人民政府于2026年3月12日视频通话" in paragraph
    assert notice.early_reason == "监护人已明确表示带孩子外出务工"
    assert "外出务工" not in "".join(documents.data_of(notice).paragraphs)
    event = CaseEvent.get(CaseEvent.kind == "notice_issued")
    assert event.notes == notice.early_reason
    assert AuditLog.get(AuditLog.action == "issue_early").reason == notice.early_reason


def test_the_required_contacts_are_settings(app, db, county):
    app.config.update(NOTICE_MIN_CONTACTS=3, NOTICE_MIN_IN_PERSON=3)
    case = persuading_case(county)
    ready = notices.readiness(case, app.config)
    assert (ready.contacts, ready.in_person, ready.ready) == (2, 2, False)
    with pytest.raises(ValidationError):
        notices.issue(county.users["township"], case, app.config, ISSUED)
    app.config.update(NOTICE_MIN_CONTACTS=2, NOTICE_MIN_IN_PERSON=2)
    assert notices.readiness(case, app.config).ready
    assert notices.issue(county.users["township"], case, app.config, ISSUED).early_reason == ""


def test_a_second_notice_on_the_same_case_says_why(app, db, county):
    case = persuading_case(county)
    notices.issue(county.users["township"], case, app.config, ISSUED)
    with pytest.raises(ValidationError) as caught:
        notices.issue(county.users["township"], DropoutCase.get_by_id(case.id), app.config, ISSUED)
    assert caught.value.errors == {"case": "本案卷已有生效的通知书。"}


def test_numbers_run_per_township_and_year(app, db, county):
    first = notices.issue(county.users["township"], persuading_case(county), app.config, ISSUED)
    other = notices.issue(county.users["admin"], persuading_case(county, county.other), app.config, ISSUED)
    assert (first.number, other.number) == ("城关镇控辍通〔2026〕1号", "白马乡控辍通〔2026〕1号")
    # A new year starts again at 1.
    DropoutCase.update(status="persuading").where(DropoutCase.id == first.case_id).execute()
    ReturnNotice.update(status="complied").where(ReturnNotice.id == first.id).execute()
    next_year = notices.issue(
        county.users["township"], DropoutCase.get_by_id(first.case_id), app.config, date(2027, 1, 4)
    )
    assert next_year.number == "城关镇控辍通〔2027〕1号"


def test_concurrent_issuing_never_repeats_or_skips_a_number(app, county, make_child):
    with database.connection_context():
        children = [make_child(village=county.home_village, school=county.home_school) for _ in range(8)]
        ids = [persuading_case_for(county, child).id for child in children]
    barrier = threading.Barrier(len(ids))
    numbers, errors = [], []

    def issue(case_id):
        with app.app_context(), database.connection_context():
            barrier.wait()
            try:
                notice = notices.issue(
                    county.users["township"],
                    DropoutCase.get_by_id(case_id),
                    app.config,
                    ISSUED,
                    early_reason="监护人拒绝见面",
                )
                numbers.append(notice.seq)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=issue, args=(case_id,)) for case_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(numbers) == list(range(1, 9))


def persuading_case_for(county, child):
    township = county.users["township"]
    case = cases.open_case(township, child, OPENED, SETTINGS, today=OPENED)
    return cases.confirm(township, case, "work", "", OPENED, SETTINGS, OPENED)


@pytest.mark.parametrize(
    "served_on, deadline",
    [
        (date(2026, 3, 20), date(2026, 3, 27)),
        (date(2026, 3, 26), date(2026, 4, 2)),  # across a month end
        (date(2026, 3, 28), date(2026, 4, 7)),  # 4 April is in the Qingming holiday (4–6): the next working day
        (date(2026, 9, 24), date(2026, 10, 8)),  # National Day, 1–7 October 2026
        (date(2026, 3, 21), date(2026, 3, 30)),  # a Saturday: the Monday after
        (date(2026, 12, 28), date(2027, 1, 4)),  # across a year end
        (date(2028, 2, 25), date(2028, 3, 3)),  # a leap February
    ],
)
def test_the_deadline_counts_from_the_day_of_service(app, db, county, served_on, deadline):
    notice = notices.issue(county.users["township"], persuading_case(county), app.config, ISSUED)
    notice = notices.record_service(county.users["township"], notice, served(notice, served_on), app.config, served_on)
    assert (notice.status, notice.deadline_on) == ("served", deadline)
    case = DropoutCase.get_by_id(notice.case_id)
    assert (case.status, case.deadline_on) == ("notice_running", deadline)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"method": "托人带话"}, "method"),
        ({"served_on": date(2026, 3, 19)}, "served_on"),  # before the notice was issued
        ({"served_on": date(2026, 3, 23)}, "served_on"),  # in the future
        ({"place": ""}, "place"),
        ({"recipient": ""}, "recipient"),
        ({"method": "留置送达", "refusal_reason": "", "witness1": "王五", "witness2": "赵六"}, "refusal_reason"),
        ({"method": "留置送达", "refusal_reason": "拒绝签收", "witness1": "王五", "witness2": ""}, "witness1"),
    ],
)
def test_incomplete_proof_of_service_is_refused(app, db, county, overrides, field):
    notice = notices.issue(county.users["township"], persuading_case(county), app.config, ISSUED)
    with pytest.raises(ValidationError) as caught:
        notices.record_service(
            county.users["township"], notice, served(notice, ISSUED, **overrides), app.config, date(2026, 3, 22)
        )
    assert field in caught.value.errors
    assert ReturnNotice.get_by_id(notice.id).status == "issued"


def test_left_at_the_home_with_two_witnesses(app, db, county):
    notice = notices.issue(county.users["township"], persuading_case(county), app.config, ISSUED)
    values = served(
        notice,
        ISSUED,
        method="留置送达",
        recipient="",
        refusal_reason="家长拒绝签收",
        witness1="王五（村干部）",
        witness2="赵六（邻居）",
    )
    assert notices.record_service(county.users["township"], notice, values, app.config, ISSUED).status == "served"


def test_the_daily_check_marks_overdue_once(app, db, county):
    notice = notices.issue(county.users["township"], persuading_case(county), app.config, ISSUED)
    notices.record_service(county.users["township"], notice, served(notice, ISSUED), app.config, ISSUED)
    assert notices.check_deadlines(app.config, date(2026, 3, 27)) == 0  # the deadline day itself
    assert notices.check_deadlines(app.config, date(2026, 3, 28)) == 1
    assert notices.check_deadlines(app.config, date(2026, 3, 28)) == 0  # a re-run changes nothing
    assert ReturnNotice.get_by_id(notice.id).status == "overdue"
    assert DropoutCase.get_by_id(notice.case_id).status == "overdue"


def test_a_return_ends_the_notice_as_complied_with(app, db, county):
    notice = notices.issue(county.users["township"], persuading_case(county), app.config, ISSUED)
    notices.record_service(county.users["township"], notice, served(notice, ISSUED), app.config, ISSUED)
    case = DropoutCase.get_by_id(notice.case_id)
    cases.record_return(
        county.users["township"],
        case,
        date(2026, 3, 24),
        "original",
        county.home_school.id,
        None,
        "",
        SETTINGS,
        date(2026, 3, 24),
    )
    assert ReturnNotice.get_by_id(notice.id).status == "complied"
    assert notices.check_deadlines(app.config, date(2026, 4, 30)) == 0


def test_what_follows_a_missed_deadline_is_a_persons_decision(app, db, county):
    notice = notices.issue(county.users["township"], persuading_case(county), app.config, ISSUED)
    notices.record_service(county.users["township"], notice, served(notice, ISSUED), app.config, ISSUED)

    def escalate(kind, number, decided_on, notes="", today=None):
        """The township's measure on the notice, decided on `decided_on` (and recorded that day unless told)."""
        return notices.escalate(
            county.users["township"], notice, kind, number, decided_on, notes, app.config, today or decided_on
        )

    with pytest.raises(ValidationError):  # not overdue yet
        escalate("further_order", "城关控辍责〔2026〕1号", date(2026, 3, 25))
    notices.check_deadlines(app.config, date(2026, 3, 28))
    notice = ReturnNotice.get_by_id(notice.id)
    assert Escalation.select().count() == 0  # nothing happened by itself
    for kind, field in (("prison", "kind"), ("penalty", "kind"), ("court", "kind")):
        with pytest.raises(ValidationError) as caught:  # a penalty goes through its prior notice; court needs a basis
            escalate(kind, "", date(2026, 3, 29))
        assert field in caught.value.errors
    with pytest.raises(ValidationError) as caught:  # the deadline day itself is still the party's
        escalate("further_order", "", date(2026, 3, 27), today=date(2026, 3, 29))
    assert "decided_on" in caught.value.errors
    measure = escalate("further_order", "城关控辍责〔2026〕1号", date(2026, 3, 29), "约谈监护人")
    assert (measure.kind, measure.decided_by.username, measure.document_number) == (
        "further_order",
        "township",
        "城关控辍责〔2026〕1号",
    )
    assert Escalation.select().count() == 1


def test_a_correction_is_a_new_version_under_the_same_number(app, db, county):
    notice = notices.issue(county.users["township"], persuading_case(county), app.config, ISSUED)
    Child.update(address="东街社区5组18号").where(Child.id == county.own.id).execute()
    new = notices.correct(county.users["township"], notice, app.config, date(2026, 3, 21))
    assert (new.number, new.version, new.seq) == (notice.number, 2, notice.seq)
    assert ReturnNotice.get_by_id(notice.id).status == "superseded"
    assert documents.data_of(new).guardian_address == "东街社区5组18号"
    assert "更正件" in documents.data_of(new).version_note
    assert documents.data_of(ReturnNotice.get_by_id(notice.id)).guardian_address == ""  # the old content is kept
    assert notices.verify(notice.verify_code)["superseded"] is True


def test_verification_reveals_no_personal_data(app, db, county):
    notice = notices.issue(county.users["township"], persuading_case(county), app.config, ISSUED)
    found = notices.verify(notice.verify_code.lower())
    assert found == {
        "number": "城关镇控辍通〔2026〕1号",
        "authority": "城关镇人民政府",
        "issued_on": ISSUED,
        "version": 1,
        "superseded": False,
    }
    assert notices.verify("ZZZZ-ZZZZ") is None


def test_overdue_notices_wait_on_the_townships_to_do_list_until_a_measure_is_decided(app, db, county):
    from dropout import todo

    notice = notices.issue(county.users["township"], persuading_case(county), app.config, ISSUED)
    notices.record_service(county.users["township"], notice, served(notice, ISSUED), app.config, ISSUED)
    day = date(2026, 3, 28)
    assert todo.todo(county.users["township"], day, SETTINGS).notices_overdue == []
    notices.check_deadlines(app.config, day)
    assert [n.id for n in todo.todo(county.users["township"], day, SETTINGS).notices_overdue] == [notice.id]
    assert todo.todo(county.users["teacher"], day, SETTINGS).notices_overdue == []
    notices.escalate(
        county.users["township"], ReturnNotice.get_by_id(notice.id), "referral", "", day, "", app.config, day
    )
    assert todo.todo(county.users["township"], day, SETTINGS).notices_overdue == []
