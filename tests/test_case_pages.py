"""Cases, visits and exemptions through the pages, as township staff and teachers use them."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import csrf_token, login, task_result
from county import build_county
from python_calamine import CalamineWorkbook

from dropout import clock
from dropout.db import database
from dropout.models import DropoutCase, Exemption, HomeVisit

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
TODAY = clock.today()


@pytest.fixture
def county(app):
    return build_county()


def post(client, url, data, page="/"):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)}, content_type="multipart/form-data")


def open_case(child, status="dropped_out", **fields):
    """A case of `child`, out of school since today and opened today."""
    return DropoutCase.create(child=child, absent_since=TODAY, opened_on=TODAY, status=status, **fields)


def the_case():
    with database.connection_context():
        return DropoutCase.get()


def test_report_confirm_visit_and_return_through_the_pages(client, county, app):
    login(client, county.users["township"])
    child = county.own
    response = post(
        client,
        f"/cases/new?child={child.id}",
        {"absent_since": (TODAY - timedelta(days=9)).isoformat(), "notes": "连续未到校"},
    )
    assert response.status_code == 302
    case = the_case()
    assert case.status == "suspected"
    response = post(client, f"/cases/{case.id}/confirm", {"confirm-reason": "work", "confirm-details": "随父母外出"})
    assert response.status_code == 302 and the_case().status == "dropped_out"
    visit = {
        "case": case.id,
        "visited_on": TODAY.isoformat(),
        "method": "home",
        "met": "guardian",
        "outcome": "refused",
        "reasons": "家长认为读书无用",
        "photo": (io.BytesIO(PNG), "门口.png"),
    }
    response = post(client, "/visits/new", visit, "/visits/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    case = the_case()
    assert (case.status, case.next_visit_on) == ("persuading", TODAY + timedelta(days=7))
    with database.connection_context():
        stored = HomeVisit.get()
    photo = client.get(f"/visits/{stored.id}/photo")
    assert photo.status_code == 200 and photo.data == PNG and photo.headers["Cache-Control"] == "private, no-store"
    photo.close()
    assert (Path(app.config["UPLOADS_DIR"]) / stored.photo_path).read_bytes() == PNG  # outside the web root:
    assert client.get("/static/" + stored.photo_path).status_code == 404
    response = post(
        client,
        f"/cases/{case.id}/return",
        {"return-placement": "original", "return-school": county.home_school.id, "return-grade": "5"},
    )
    assert response.status_code == 302 and the_case().status == "returned"
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    for text in ("报告未到校", "确认辍学", "外出务工", "家访", "家长认为读书无用", "已复学", "原校就读"):
        assert text in page, text


def test_the_visit_form_refuses_bad_input_and_stores_nothing(client, county):
    login(client, county.users["township"])
    post(client, f"/cases/new?child={county.own.id}", {"absent_since": (TODAY - timedelta(days=3)).isoformat()})
    case = the_case()
    cases_bad = [
        ({"visited_on": (TODAY + timedelta(days=1)).isoformat(), "outcome": "refused"}, "家访日期晚于今天"),
        ({"visited_on": (TODAY - timedelta(days=30)).isoformat(), "outcome": "refused"}, "早于立案日期"),
        ({"visited_on": TODAY.isoformat(), "outcome": ""}, "请选择家访结果"),
        ({"visited_on": "昨天", "outcome": "refused"}, "日期格式不对"),
        (
            {"visited_on": TODAY.isoformat(), "outcome": "refused", "photo": (io.BytesIO(b"GIF89a..."), "x.png")},
            "JPEG 或 PNG",
        ),
    ]
    for data, message in cases_bad:
        response = post(
            client, "/visits/new", {"case": case.id, "method": "home", "met": "guardian", **data}, "/visits/new"
        )
        assert response.status_code == 422 and message in response.get_data(as_text=True), message
    with database.connection_context():
        assert HomeVisit.select().count() == 0


def test_the_visit_form_offers_the_users_own_cases_first(client, county):
    with database.connection_context():
        open_case(county.own)
        open_case(county.assigned, teacher=county.users["teacher"])
        open_case(county.other)
    login(client, county.users["teacher"])
    page = client.get("/visits/new").get_data(as_text=True)
    assert re.findall(r'<option value="\d+">([^ <]+) ·', page) == [
        "赵小燕",
        "李小红",
    ]  # own case first; 王小芳 out of scope


def test_cases_export_to_a_spreadsheet_with_masked_ids(client, county):
    with database.connection_context():
        open_case(county.own, reason="work")
        open_case(county.other, "suspected")
    login(client, county.users["township"])
    assert "开始导出" in client.get("/cases/export.xlsx?status=dropped_out").get_data(as_text=True)
    response = task_result(client, "/cases/export.xlsx?status=dropped_out")
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.data)).get_sheet_by_index(0).to_python()
    response.close()  # the workbook is sent from the task's file
    assert rows[1][:3] == ["案卷", "姓名", "身份证号"]
    assert [row[1] for row in rows[2:]] == ["李小红"]
    assert rows[2][2] == county.own.id_number[:4] + "*" * 10 + county.own.id_number[-4:]
    assert rows[2][6] == "外出务工"


def test_an_exemption_is_recorded_approved_and_filed(client, county):
    login(client, county.users["village"])
    data = {
        "kind": "defer",
        "reason": "重病住院",
        "applied_on": TODAY.isoformat(),
        "valid_until": (TODAY + timedelta(days=200)).isoformat(),
        "scan": (io.BytesIO(b"%PDF-1.4 test"), "申请.pdf"),
    }
    response = post(client, f"/exemptions/new?child={county.own.id}", data)
    assert response.status_code == 302
    with database.connection_context():
        exemption = Exemption.get()
    assert exemption.status == "applied" and exemption.scan_path.endswith(".pdf")
    scan = client.get(f"/exemptions/{exemption.id}/scan")
    assert scan.data.startswith(b"%PDF") and scan.mimetype == "application/pdf"
    scan.close()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, county.users["township"])
    post(client, f"/exemptions/{exemption.id}/approve", {})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, county.users["bureau"])
    assert "待备案" in client.get("/").get_data(as_text=True)
    post(client, f"/exemptions/{exemption.id}/file", {})
    with database.connection_context():
        assert Exemption.get_by_id(exemption.id).status == "filed"


def test_the_home_page_lists_what_is_due(client, county):
    with database.connection_context():
        open_case(county.own, "persuading", cadre=county.users["township"], next_visit_on=TODAY - timedelta(days=2))
    login(client, county.users["township"])
    page = client.get("/").get_data(as_text=True)
    assert "我的待办" in page and "李小红" in page and "逾期 2 天" in page
