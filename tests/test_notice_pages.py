"""Notices through the pages and the CLI: issue, serve, archive, reprint, batch print, verify."""

import hashlib
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import csrf_token, login, task_result
from county import build_county

from dropout import clock
from dropout.casework import cases, visits
from dropout.casework.settings import CaseSettings
from dropout.db import database
from dropout.models import DropoutCase, ReturnNotice

TODAY = clock.today()


@pytest.fixture
def county(app):
    county = build_county()
    with app.test_request_context(), database.connection_context():
        user = county.users["township"]
        case = cases.open_case(user, county.own, TODAY - timedelta(days=20), CaseSettings(), TODAY)
        cases.confirm(user, case, "work", "", TODAY - timedelta(days=18), CaseSettings(), TODAY)
        for method in ("phone", "home"):  # the contacts a notice needs
            visit = {"visited_on": TODAY, "method": method, "met": "guardian", "outcome": "refused"}
            visits.log_visit(user, DropoutCase.get_by_id(case.id), visit, CaseSettings(), TODAY)
    return county


def post(client, url, data=None):
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, "/")})


def pdftotext(data, tmp_path):
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_issue_archive_and_reprint_the_same_bytes(app, client, county, tmp_path):
    login(client, county.users["township"])
    with database.connection_context():
        case = DropoutCase.get()
    response = post(client, f"/cases/{case.id}/notice", {"return_school": "城关镇中心小学"})
    assert response.status_code == 302
    with database.connection_context():
        notice = ReturnNotice.get()
    archived = Path(app.config["REPORTS_DIR"]) / notice.pdf_path
    assert notice.pdf_path.startswith(f"notices/{TODAY.year}/")
    assert hashlib.sha256(archived.read_bytes()).hexdigest() == notice.sha256
    first = client.get(f"/notices/{notice.id}.pdf")
    second = client.get(f"/notices/{notice.id}.pdf")
    assert first.mimetype == "application/pdf" and first.data == second.data == archived.read_bytes()
    text = pdftotext(first.data, tmp_path)
    assert "李小红" in text and notice.number in text and "送达回证" in text


def test_service_through_the_page_starts_the_deadline(app, client, county):
    login(client, county.users["township"])
    with database.connection_context():
        case = DropoutCase.get()
    post(client, f"/cases/{case.id}/notice", {"return_school": "城关镇中心小学"})
    with database.connection_context():
        notice = ReturnNotice.get()
    bad = post(
        client,
        f"/notices/{notice.id}/serve",
        {"served_on": TODAY.isoformat(), "method": "留置送达", "place": "家中", "server": "张"},
    )
    assert bad.status_code == 422 and "留置送达须注明拒收理由" in bad.get_data(as_text=True)
    good = post(
        client,
        f"/notices/{notice.id}/serve",
        {
            "served_on": TODAY.isoformat(),
            "method": "直接送达",
            "recipient": "监护人李小红",
            "place": "家中",
            "server": "张志强",
        },
    )
    assert good.status_code == 302
    with database.connection_context():
        notice = ReturnNotice.get_by_id(notice.id)
        assert (notice.status, notice.deadline_on) == ("served", TODAY + timedelta(days=7))
        assert DropoutCase.get_by_id(case.id).status == "notice_running"


def test_a_batch_prints_notice_and_proof_alternating(app, client, county, tmp_path):
    login(client, county.users["admin"])
    with database.connection_context():
        case = DropoutCase.get()
        other = cases.open_case(county.users["admin"], county.other, TODAY - timedelta(days=9), CaseSettings(), TODAY)
        cases.confirm(county.users["admin"], other, "poverty", "", TODAY, CaseSettings(), TODAY)
    post(client, f"/cases/{case.id}/notice", {"return_school": "城关镇中心小学"})
    post(client, f"/cases/{other.id}/notice", {"return_school": "白马乡中心小学", "early_reason": "监护人已带孩子外出"})
    with database.connection_context():
        ids = [n.id for n in ReturnNotice.select()]
    response = task_result(client, "/notices/batch.pdf", {"notice": ids}, form_url="/notices/")
    text = pdftotext(response.data, tmp_path)
    response.close()
    pages = text.split("\f")
    assert "限期复学通知书" in pages[0] and "送达回证" in pages[1] and "王小芳" in pages[2] and "送达回证" in pages[3]


def test_print_notices_from_the_command_line(app, runner, county, tmp_path):
    with app.test_request_context(), database.connection_context():
        from dropout.notices import notices

        notices.issue(county.users["township"], DropoutCase.get(), app.config, TODAY)
    out = tmp_path / "batch.pdf"
    result = runner.invoke(
        args=[
            "print-notices",
            "--township",
            "城关镇",
            "--since",
            (TODAY - timedelta(days=1)).isoformat(),
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "李小红" in pdftotext(out.read_bytes(), tmp_path)
    assert runner.invoke(args=["print-notices", "--township", "无此镇", "--out", str(out)]).exit_code == 1
    assert (
        runner.invoke(args=["print-notices", "--township", "城关镇", "--since", "昨天", "--out", str(out)]).exit_code
        == 1
    )


def test_check_deadlines_from_the_command_line(app, runner, county):
    with app.test_request_context(), database.connection_context():
        from dropout.notices import notices

        notice = notices.issue(county.users["township"], DropoutCase.get(), app.config, TODAY - timedelta(days=10))
        values = {
            "served_on": TODAY - timedelta(days=10),
            "method": "直接送达",
            "recipient": "李",
            "place": "家",
            "server": "张",
        }
        notices.record_service(county.users["township"], notice, values, app.config, TODAY - timedelta(days=10))
    assert "1 notices newly overdue" in runner.invoke(args=["check-deadlines"]).output
    assert "0 notices newly overdue" in runner.invoke(args=["check-deadlines"]).output


def test_verification_is_public_and_shows_no_personal_data(app, client, county):
    with app.test_request_context(), database.connection_context():
        from dropout.notices import notices

        notice = notices.issue(county.users["township"], DropoutCase.get(), app.config, TODAY)
    page = client.get(f"/verify/{notice.verify_code}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and notice.number in text and "城关镇人民政府" in text
    assert "李小红" not in text and county.own.id_number not in text
    assert client.get("/verify/NOPE-NOPE").status_code == 404


def test_printing_without_a_chinese_font_refuses_clearly(app, client, county):
    app.config["PDF_FONT"] = "/nonexistent/font.ttf"
    login(client, county.users["township"])
    with database.connection_context():
        case = DropoutCase.get()
    response = post(client, f"/cases/{case.id}/notice", {"return_school": "城关镇中心小学"})
    assert response.status_code == 302  # the notice is issued and recorded ...
    with database.connection_context():
        notice = ReturnNotice.get()
    assert notice.pdf_path is None  # ... but not printed with boxes instead of characters
    page = client.get(f"/notices/{notice.id}.pdf", follow_redirects=True).get_data(as_text=True)
    assert "未安装可用于打印的中文字体" in page


def test_the_case_page_says_whether_a_notice_can_be_issued(app, client, county):
    login(client, county.users["township"])
    with database.connection_context():
        case = DropoutCase.get()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "可以发出通知书：已记录联系 2 次，其中当面 1 次。" in page
    app.config.update(NOTICE_MIN_IN_PERSON=2)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert (
        "尚不具备发出通知书的条件。" in page
        and "发出通知书至少需要 2 次联系，其中当面（上门家访或在校谈话）2 次" in page
    )
    # Refused at the issue page with the same reason, and nothing numbered.
    response = post(client, f"/cases/{case.id}/notice", {"return_school": "城关镇中心小学"})
    assert response.status_code == 422 and "如需现在发出，请填写必须现在发出的理由。" in response.get_data(as_text=True)
    with database.connection_context():
        assert ReturnNotice.select().count() == 0
    post(client, f"/cases/{case.id}/notice", {"return_school": "城关镇中心小学", "early_reason": "家长准备带孩子外出"})
    with database.connection_context():
        notice = ReturnNotice.get()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert notice.number in page and "家长准备带孩子外出" in page  # the timeline: the number, and the recorded reason
