"""通报 and 督办函: the lag rules over a locked month's frozen figures, the numbered 通报 with one 督办函 per lagging
unit, their PDFs, and each letter's answer, acceptance or return, on the to-do lists."""

import io
import shutil
import subprocess
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import PASSWORD_HASH, csrf_token, login, move

from dropout import clock
from dropout.casework import cases
from dropout.casework.settings import CaseSettings
from dropout.core.errors import PermissionDenied, ValidationError
from dropout.db import database
from dropout.models import AuditLog, Bulletin, Child, HomeVisit, MonthlyReport, SupervisionLetter, User, utcnow
from dropout.reporting import bulletins, lag_rules, summaries, supervision
from dropout.reporting.figures import Month
from dropout.todo import todo

OCTOBER = Month(2026, 10)
SEPTEMBER = Month(2026, 9)
PRIMARY_AGE, JUNIOR_AGE = date(2018, 3, 14), date(2013, 3, 14)
POPPLER = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) not installed")
QUIET = {  # every rule off: a test turns on the ones it looks at
    "BULLETIN_DROPOUT_RATE": 0,
    "BULLETIN_MIN_STILL_OUT": 0,
    "BULLETIN_MIN_OVERDUE_NOTICES": 0,
    "BULLETIN_MIN_COVERAGE": 0.0,
    "BULLETIN_LATE_REPORT": 0,
    "BULLETIN_UNITS": ("township", "school"),
}


@contextmanager
def opened(app):
    with app.test_request_context(), database.connection_context():
        yield


@pytest.fixture
def county(app, make_township, make_village, make_school, make_child, make_user):
    """城关镇: b (primary, its school 城关小学) and c (junior, 城关中学) drop out in October, b visited once;
    白马乡 (白马小学) has no dropout. September and October are generated, October locked."""
    t, u = make_township("城关镇"), make_township("白马乡")
    v1, w1 = make_village(t, "东街社区"), make_village(u, "白马村")
    p, j, q = make_school(t, "城关小学"), make_school(t, "城关中学", "junior"), make_school(u, "白马小学")
    admin = make_user("admin")
    with opened(app):
        kids = {
            "a": make_child(v1, p, PRIMARY_AGE, "F", grade=3),
            "b": make_child(v1, p, PRIMARY_AGE, "M", grade=4),
            "c": make_child(v1, j, JUNIOR_AGE, "M", grade=8),
            "e": make_child(w1, q, PRIMARY_AGE, "F", grade=2),
        }
        settings, today = CaseSettings(), clock.today()
        case_b = cases.open_case(admin, kids["b"], date(2026, 9, 20), settings, today)
        cases.confirm(admin, case_b, "work", "", date(2026, 10, 5), settings, today)
        HomeVisit.create(
            case=case_b,
            child=kids["b"],
            user=admin,
            visited_on=date(2026, 10, 7),
            method="home",
            met="guardian",
            outcome="refused",
        )
        case_c = cases.open_case(admin, kids["c"], date(2026, 10, 10), settings, today)
        cases.confirm(admin, case_c, "dislike", "", date(2026, 10, 12), settings, today)
        Child.update(registered_on=date(2025, 6, 1)).execute()
        summaries.generate_month(SEPTEMBER)
        summaries.generate_month(OCTOBER)
        summaries.lock(admin, OCTOBER)
        users = {
            "admin": admin,
            "bureau": User.create(username="bureau", password_hash=PASSWORD_HASH, role="bureau"),
            "town": User.create(username="town", password_hash=PASSWORD_HASH, role="township", township=t),
            "other_town": User.create(username="other", password_hash=PASSWORD_HASH, role="township", township=u),
            "teacher": User.create(username="teacher", password_hash=PASSWORD_HASH, role="teacher", school=p),
        }
    return {"t": t, "u": u, "p": p, "j": j, "q": q, "users": users, **kids}


def configure(app, **rules):
    app.config.update({**QUIET, **rules})


def named(app, month=OCTOBER):
    """{(kind, name): [rules broken]} the 通报 of `month` would name now."""
    with opened(app):
        _data, units = bulletins.content(month, app.config, clock.today())
    return {(u["kind"], u["name"]): [i["rule"] for i in u["issues"]] for u in units}


def issue(app, user, month=OCTOBER):
    with opened(app):
        return bulletins.generate(user, month, app.config)


def test_the_rules_pick_the_units_from_the_frozen_figures(app, county):
    configure(app, BULLETIN_MIN_STILL_OUT=1)
    assert named(app) == {
        ("township", "城关镇"): ["still_out"],
        ("school", "城关小学"): ["still_out"],
        ("school", "城关中学"): ["still_out"],
    }
    configure(app, BULLETIN_MIN_STILL_OUT=2, BULLETIN_UNITS=("township",))  # a school has one each
    assert named(app) == {("township", "城关镇"): ["still_out"]}
    configure(app, BULLETIN_DROPOUT_RATE=1, BULLETIN_MIN_COVERAGE=80.0, BULLETIN_UNITS=("township",))
    # primary 1 of 2 (a, b) and junior 1 of 1 dropped out; 1 of the 2 out was visited
    assert named(app) == {("township", "城关镇"): ["dropout_primary", "dropout_junior", "coverage"]}
    configure(app, BULLETIN_LATE_REPORT=1)
    with opened(app):  # 白马乡 filed on time, 白马小学 late; the others not at all
        due = MonthlyReport.get(month="2026-10", unit_kind="township", unit_id=county["u"].id).due_on
        on_time, late = datetime(due.year, due.month, due.day, 1), datetime(due.year, due.month, due.day + 2, 1)
        for unit_kind, unit_id, at in (("township", county["u"].id, on_time), ("school", county["q"].id, late)):
            MonthlyReport.update(status="submitted", submitted_at=at).where(
                (MonthlyReport.month == "2026-10")
                & (MonthlyReport.unit_kind == unit_kind)
                & (MonthlyReport.unit_id == unit_id)
            ).execute()
    assert named(app) == {
        ("township", "城关镇"): ["report_missing"],
        ("school", "城关小学"): ["report_missing"],
        ("school", "城关中学"): ["report_missing"],
        ("school", "白马小学"): ["report_late"],
    }


def test_a_report_is_missing_only_once_its_due_day_has_passed():
    rules = lag_rules.Rules(("township",), False, 0, 0, 0.0, True, 15, {})
    today, before, after = date(2026, 12, 3), date(2026, 12, 2), date(2026, 12, 5)

    def broken(due_on, submitted_on):
        return [i["rule"] for i in lag_rules.issues_of({}, lag_rules.Filed(due_on, submitted_on), rules, {}, today)]

    assert broken(after, None) == [] and broken(after, today) == [] and broken(before, before) == []
    assert broken(before, None) == ["report_missing"] and broken(before, today) == ["report_late"]


def test_the_bulletin_quotes_the_locked_month_not_the_register_now(app, county):
    configure(app, BULLETIN_MIN_STILL_OUT=1, BULLETIN_UNITS=("township",))
    with opened(app):  # a back-dated entry after the lock: the register says 3 out in October, the month says 2
        move(county["a"], date(2026, 10, 20), status="dropped_out")
    bulletin = issue(app, county["users"]["bureau"])
    with opened(app):
        data = bulletins.data_of(Bulletin.get_by_id(bulletin.id))
        [unit] = data["lagging"]
        assert (unit["name"], unit["issues"][0]["figure"]) == ("城关镇", "2人")
        out = next(row for row in data["county_table"] if row[0] == "月末仍未返校辍学生")
        assert out[1:] == [1, 1, 2]
        first = bulletins.pdf_of(Bulletin.get_by_id(bulletin.id), app.config)
        (Path(app.config["REPORTS_DIR"]) / bulletin.pdf_path).unlink()  # a lost file is printed again, the same
        assert bulletins.pdf_of(Bulletin.get_by_id(bulletin.id), app.config) == first


def test_issuing_numbers_the_bulletin_and_one_letter_per_lagging_unit(app, county):
    configure(app, BULLETIN_MIN_STILL_OUT=1, BULLETIN_RECTIFY_DAYS=10)
    bulletin = issue(app, county["users"]["bureau"])
    year = clock.today().year
    with opened(app):
        assert bulletin.number == f"示例县教育局控辍通报〔{year}〕1号"
        letters = list(SupervisionLetter.select().order_by(SupervisionLetter.seq))
        assert [(x.seq, x.number) for x in letters] == [(n, f"示例县教育局督办〔{year}〕{n}号") for n in (1, 2, 3)]
        assert [(x.unit_kind, x.status) for x in letters] == [
            ("township", "open"),
            ("school", "open"),
            ("school", "open"),
        ]
        assert {x.due_on for x in letters} == {bulletin.rectify_by}
        assert (bulletin.rectify_by - bulletin.issued_on).days == 10
        assert {x.township_id for x in letters} == {county["t"].id}
        for path in [bulletin.pdf_path] + [x.pdf_path for x in letters]:
            assert (Path(app.config["REPORTS_DIR"]) / path).read_bytes().startswith(b"%PDF")
        assert AuditLog.select().where(AuditLog.entity == "bulletin").count() == 1


def test_refusals_use_no_number(app, county):
    configure(app, BULLETIN_MIN_STILL_OUT=1, BULLETIN_UNITS=("township",))
    bureau = county["users"]["bureau"]
    with pytest.raises(ValidationError, match="未锁定"), opened(app):
        bulletins.generate(bureau, SEPTEMBER, app.config)
    with pytest.raises(ValidationError, match="尚未生成"), opened(app):
        bulletins.generate(bureau, Month(2026, 8), app.config)
    with pytest.raises(PermissionDenied), opened(app):
        bulletins.generate(county["users"]["town"], OCTOBER, app.config)
    first = issue(app, bureau)
    with pytest.raises(bulletins.Exists) as refused, opened(app):
        bulletins.generate(bureau, OCTOBER, app.config)
    assert refused.value.bulletin.id == first.id
    with opened(app):
        summaries.lock(county["users"]["admin"], SEPTEMBER)
    configure(app, BULLETIN_LATE_REPORT=1, BULLETIN_UNITS=("township",))  # in September both reported late
    second = issue(app, bureau, SEPTEMBER)
    with opened(app):
        assert (first.seq, second.seq) == (1, 2)
        assert [x.seq for x in SupervisionLetter.select().order_by(SupervisionLetter.seq)] == [1, 2, 3]


def test_the_pages_refuse_an_unlocked_month_and_link_a_second_bulletin_to_the_first(app, client, county):
    configure(app, BULLETIN_MIN_STILL_OUT=1)
    login(client, county["users"]["bureau"])
    token = csrf_token(client, "/bulletins/")
    month_page = client.get("/reports/2026-10").get_data(as_text=True)
    assert "印发本月通报" in month_page and "本月通报已印发" not in month_page
    response = client.post("/bulletins/generate", data={"csrf_token": token, "month": "2026-09"}, follow_redirects=True)
    assert "未锁定" in response.get_data(as_text=True)
    response = client.post("/bulletins/generate", data={"csrf_token": token, "month": "2026-10"})
    assert response.status_code == 302 and "/bulletins/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "城关镇" in page and "城关中学" in page and "控辍通报" in page
    again = client.post("/bulletins/generate", data={"csrf_token": token, "month": "2026-10"})
    assert again.location == response.location  # to the one issued before
    assert "已于此前印发" in client.get(again.location).get_data(as_text=True)
    with opened(app):
        assert Bulletin.select().count() == 1
    assert client.get(response.location + ".pdf").data.startswith(b"%PDF")
    month_page = client.get("/reports/2026-10").get_data(as_text=True)  # the month's page links it, offers no other
    assert "本月通报已印发" in month_page and "印发本月通报" not in month_page


@POPPLER
def test_the_pdfs_name_the_units_and_carry_the_numbers(app, county, tmp_path):
    configure(app, BULLETIN_MIN_STILL_OUT=1, BULLETIN_DROPOUT_RATE=1)
    bulletin = issue(app, county["users"]["bureau"])
    reports = Path(app.config["REPORTS_DIR"])
    text = subprocess.run(["pdftotext", reports / bulletin.pdf_path, "-"], capture_output=True, text=True).stdout
    flat = "".join(text.split())
    for words in (
        "示例县教育局文件",
        bulletin.number,
        "关于2026年10月控辍保学工作情况的通报",
        "城关镇",
        "城关小学",
        "城关中学",
    ):
        assert words in flat, words
    assert "白马乡" not in flat and "白马小学" not in flat
    with opened(app):
        letter = SupervisionLetter.get(unit_kind="township")
    text = subprocess.run(["pdftotext", reports / letter.pdf_path, "-"], capture_output=True, text=True).stdout
    flat = "".join(text.split())
    for words in (letter.number, "城关镇人民政府", bulletin.number, "月末仍未返校辍学生", "2人"):
        assert words in flat, words


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/bulletins/letters/"), **data})


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_a_letter_is_answered_returned_answered_again_and_accepted(app, client, county):
    configure(app, BULLETIN_MIN_STILL_OUT=1, BULLETIN_UNITS=("township",))
    issue(app, county["users"]["bureau"])
    with opened(app):
        letter = SupervisionLetter.get()
    url = f"/bulletins/letters/{letter.id}"
    login(client, county["users"]["other_town"])  # another township's letter is not there for it
    assert client.get(url).status_code == 404
    assert post(client, url + "/answer", answer="已整改").status_code == 404
    login(client, county["users"]["town"])
    refused = post(client, url + "/answer", answer="  ")
    assert "请填写整改情况" in client.get(refused.location).get_data(as_text=True)
    bad = client.post(
        url + "/answer",
        data={"csrf_token": csrf_token(client, url), "answer": "已整改", "scan": (io.BytesIO(b"not a scan"), "a.txt")},
    )
    assert "不是 PDF、JPEG 或 PNG" in client.get(bad.location).get_data(as_text=True)
    with opened(app):
        assert SupervisionLetter.get_by_id(letter.id).status == "open"
    answered = client.post(
        url + "/answer",
        data={"csrf_token": csrf_token(client, url), "answer": "已劝返1人", "scan": (io.BytesIO(PNG), "答复.png")},
    )
    assert answered.status_code == 302
    scan = client.get(url + "/scan")
    assert scan.data == PNG
    scan.close()
    assert post(client, url + "/accept").status_code == 403  # the unit does not accept its own answer
    login(client, county["users"]["bureau"])
    no_reason = post(client, url + "/return", reason=" ")
    assert "请填写退回理由" in client.get(no_reason.location).get_data(as_text=True)
    post(client, url + "/return", reason="佐证材料不全")
    with opened(app):
        assert SupervisionLetter.get_by_id(letter.id).status == "open"
    login(client, county["users"]["town"])
    assert "佐证材料不全" in client.get(url).get_data(as_text=True)
    post(client, url + "/answer", answer="已补充佐证材料")
    login(client, county["users"]["bureau"])
    post(client, url + "/accept")
    with opened(app):
        closed = SupervisionLetter.get_by_id(letter.id)
        assert (closed.status, closed.answer, closed.decided_by_id) == (
            "accepted",
            "已补充佐证材料",
            county["users"]["bureau"].id,
        )
        assert closed.answer_scan_path  # the scan of the first answer stays with the letter
    page = client.get("/bulletins/letters/?status=accepted").get_data(as_text=True)
    assert closed.number in page


def test_a_school_letter_goes_to_its_teachers_and_its_township(app, client, county):
    configure(app, BULLETIN_MIN_STILL_OUT=1, BULLETIN_UNITS=("school",))
    issue(app, county["users"]["bureau"])
    with opened(app):
        mine = SupervisionLetter.get(unit_id=county["p"].id)
        other = SupervisionLetter.get(unit_id=county["j"].id)
        teacher = User.get_by_id(county["users"]["teacher"].id)
        assert [x.id for x, _name in supervision.to_answer(teacher)] == [mine.id]
        town = User.get_by_id(county["users"]["town"].id)
        assert {x.id for x, _name in supervision.to_answer(town)} == {mine.id, other.id}
    login(client, county["users"]["teacher"])
    assert client.get(f"/bulletins/letters/{other.id}").status_code == 404
    post(client, f"/bulletins/letters/{mine.id}/answer", answer="已劝返")
    with opened(app):
        assert SupervisionLetter.get_by_id(mine.id).status == "answered"


def test_the_to_do_lists_carry_the_letters_until_they_close(app, county):
    configure(app, BULLETIN_MIN_STILL_OUT=1, BULLETIN_UNITS=("township",))
    issue(app, county["users"]["bureau"])
    settings = CaseSettings()
    with opened(app):
        town, bureau = (User.get_by_id(county["users"][k].id) for k in ("town", "bureau"))
        other = User.get_by_id(county["users"]["other_town"].id)
        letter = SupervisionLetter.get()
        today = clock.today()
        assert todo(town, today, settings).letters_to_answer == [(letter, "城关镇")]
        assert todo(other, today, settings).letters_to_answer == []
        assert todo(bureau, today, settings).letters_to_accept == []
        supervision.answer(town, letter, "已整改", None, app.config["UPLOADS_DIR"])
        assert todo(town, today, settings).letters_to_answer == []
        assert [(x.id, name) for x, name in todo(bureau, today, settings).letters_to_accept] == [(letter.id, "城关镇")]
        supervision.accept(bureau, SupervisionLetter.get_by_id(letter.id))
        assert todo(bureau, today, settings).letters_to_accept == []
        with pytest.raises(ValidationError):  # closed: nothing more to answer
            supervision.answer(town, SupervisionLetter.get_by_id(letter.id), "again", None, app.config["UPLOADS_DIR"])


def test_the_tracking_page_filters_by_status_and_overdue(app, client, county):
    configure(app, BULLETIN_MIN_STILL_OUT=1)
    issue(app, county["users"]["bureau"])
    with opened(app):
        township_letter = SupervisionLetter.get(unit_kind="township")
        SupervisionLetter.update(due_on=date(2026, 11, 1)).where(SupervisionLetter.id == township_letter.id).execute()
        school_letter = SupervisionLetter.get(unit_id=county["j"].id)
        SupervisionLetter.update(status="answered", answer="x", answered_at=utcnow()).where(
            SupervisionLetter.id == school_letter.id
        ).execute()
    login(client, county["users"]["bureau"])
    overdue = client.get("/bulletins/letters/?overdue=1").get_data(as_text=True)
    assert township_letter.number in overdue and school_letter.number not in overdue
    answered = client.get("/bulletins/letters/?status=answered").get_data(as_text=True)
    assert school_letter.number in answered and township_letter.number not in answered
    home = client.get("/").get_data(as_text=True)
    assert school_letter.number in home  # waiting for the bureau's acceptance
    login(client, county["users"]["town"])
    assert township_letter.number in client.get("/").get_data(as_text=True)


def test_without_a_chinese_font_nothing_is_issued_and_no_number_used(app, county, tmp_path):
    configure(app, BULLETIN_MIN_STILL_OUT=1)
    app.config["PDF_FONT"] = str(tmp_path / "missing.ttf")
    with pytest.raises(ValidationError, match="未安装中文字体"), opened(app):
        bulletins.generate(county["users"]["bureau"], OCTOBER, app.config)
    app.config["PDF_FONT"] = None
    with opened(app):
        assert Bulletin.select().count() == 0 and SupervisionLetter.select().count() == 0
    assert issue(app, county["users"]["bureau"]).seq == 1


def test_the_tracking_page_reads_the_letters_a_page_at_a_time_earliest_due_first(app, client, county):
    configure(app, BULLETIN_MIN_STILL_OUT=1)
    issue(app, county["users"]["bureau"])
    with opened(app):
        model = SupervisionLetter.get(unit_kind="township")
        fields = {name: getattr(model, name) for name in ("bulletin", "township", "year", "issues", "status")}
        for n in range(25):  # one letter a day, the latest made first
            SupervisionLetter.create(
                **fields,
                unit_kind="school",
                unit_id=10_000 + n,
                seq=100 + n,
                number=f"测试督办{n:02d}号",
                due_on=date(2026, 12, 31 - n),
            )
        numbers = [x.number for x in supervision.tracked(county["users"]["bureau"]).limit(1000)]
    login(client, county["users"]["bureau"])
    first = client.get("/bulletins/letters/").get_data(as_text=True)
    shown = [number for number in numbers if f">{number}<" in first]
    assert shown == numbers[:20] and numbers[20] not in first and "下一页" in first
    later = client.get("/bulletins/letters/?page=2").get_data(as_text=True)
    assert [n for n in numbers if f">{n}<" in later] == numbers[20:]
    assert "测试督办24号" in first and "测试督办00号" in later  # the earliest due (the 24th made) on the first page
