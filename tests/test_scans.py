"""The paper file (档案): scans of the signed 送达回证 and of the signed documents, checked like visit photos,
kept outside the web root, shown to those in scope; a refused scan leaves nothing behind."""

import dataclasses
import io
import json
from datetime import date
from pathlib import Path

import pytest
from casework import notice_data
from conftest import TODAY, csrf_token, login
from county import build_county
from flask import render_template
from flask_login import login_user
from hostile import upload

from dropout.casework import cases
from dropout.casework.settings import CaseSettings
from dropout.core import uploads
from dropout.core.errors import PermissionDenied, ValidationError
from dropout.db import database
from dropout.models import AuditLog, DocumentScan, DropoutCase, PenaltyDocument, ReturnNotice
from dropout.notices import scans
from dropout.views.scans import panel

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SERVED_ON = date(2026, 3, 21)


@pytest.fixture
def county(app):
    county = build_county()
    with app.test_request_context(), database.connection_context():
        user = county.users["township"]
        for child in (county.own, county.other):
            case = cases.open_case(
                user if child == county.own else county.users["admin"], child, date(2026, 3, 1), CaseSettings(), TODAY
            )
            cases.confirm(county.users["admin"], case, "work", "", date(2026, 3, 2), CaseSettings(), TODAY)
    return county


def make_notice(child, seq=1, served=True):
    """A notice as tests/casework.py builds one; served the day after it was issued, unless not."""
    case = DropoutCase.get(DropoutCase.child == child.id)
    data = notice_data(child, f"测试〔2026〕{seq}号", f"TEST-{seq:04d}")
    with database.connection_context():
        return ReturnNotice.create(
            case=case,
            township=child.village.township_id,
            series=f"notice:township:{child.village.township_id}",
            year=2026,
            seq=seq,
            number=data.number,
            status="served" if served else "issued",
            issued_on=date(2026, 3, 20),
            deadline_days=7,
            deadline_on=date(2026, 3, 28) if served else None,
            served_on=SERVED_ON if served else None,
            return_school="某小学",
            data=json.dumps(dataclasses.asdict(data), ensure_ascii=False),
            verify_code=data.verify_code,
        )


def make_document(notice, served=True):
    seq = notice.seq
    with database.connection_context():
        return PenaltyDocument.create(
            notice=notice,
            case=notice.case_id,
            kind="prior",
            issuer="township",
            series="prior:township:1",
            year=2026,
            seq=seq,
            number=f"测罚告〔2026〕{seq}号",
            issued_on=date(2026, 4, 1),
            penalty="warning",
            data="{}",
            served_on=date(2026, 4, 2) if served else None,
        )


def send(client, url, content, name, kind="receipt"):
    data = {"kind": kind, "csrf_token": csrf_token(client, "/")}
    if content is not None:
        data["scan"] = (io.BytesIO(content), name)
    return upload(client, url, data)  # closes the temporary file a large body is spooled to


def files_in(app):
    root = Path(app.config["UPLOADS_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def rows():
    with database.connection_context():
        return DocumentScan.select().count(), AuditLog.select().where(AuditLog.entity == "document_scan").count()


def flashes(client):
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


@pytest.mark.parametrize(
    "content, name, mimetype",
    [(PNG, "回证.png", "image/png"), (JPEG, "回证.jpg", "image/jpeg"), (PDF, "回证.pdf", "application/pdf")],
)
def test_a_signed_receipt_is_attached_kept_and_shown(app, client, county, content, name, mimetype):
    notice = make_notice(county.own)
    login(client, county.users["township"])
    response = send(client, f"/notices/{notice.id}/scans", content, name)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/notices/{notice.id}")
    assert "扫描件已归档：送达回证（签收件）。" in flashes(client)
    with database.connection_context():
        scan = DocumentScan.get()
        entry = AuditLog.get(AuditLog.entity == "document_scan")
        assert (scan.notice_id, scan.document_id, scan.kind, scan.uploaded_by_id) == (
            notice.id,
            None,
            "receipt",
            county.users["township"].id,
        )
        assert (entry.entity_id, entry.child_id, entry.username) == (scan.id, county.own.id, "township")
        assert scans.on_file(notice) and [s.id for s in scans.scans_of(notice)] == [scan.id]
    assert files_in(app) == [Path(app.config["UPLOADS_DIR"]) / scan.path]
    assert files_in(app)[0].read_bytes() == content
    shown = client.get(f"/scans/{scan.id}")
    assert shown.status_code == 200 and shown.data == content and shown.mimetype == mimetype
    assert shown.headers["Cache-Control"] == "private, no-store"
    assert "attachment" not in shown.headers.get("Content-Disposition", "")
    shown.close()
    assert client.get("/static/" + scan.path).status_code == 404  # outside the web root

    with app.test_request_context(), database.connection_context():
        login_user(county.users["township"])
        html = render_template("notices/_scans.html", **panel(notice=notice))
    assert "送达回证（签收件）：" in html and "已归档" in html and "未归档" not in html
    assert f'href="/scans/{scan.id}"' in html and 'accept=".pdf,.jpg,.jpeg,.png' in html
    assert f'action="/notices/{notice.id}/scans"' in html and 'enctype="multipart/form-data"' in html

    page = client.get(f"/cases/{notice.case_id}").get_data(as_text=True)
    assert "回证已归档" in page and "回证未归档" not in page


def test_the_panel_and_the_case_page_say_when_the_receipt_is_missing(app, client, county):
    notice = make_notice(county.own)
    login(client, county.users["township"])
    assert send(client, f"/notices/{notice.id}/scans", PDF, "通知书.pdf", kind="signed").status_code == 302
    with app.test_request_context(), database.connection_context():
        login_user(county.users["teacher"])  # in scope, may not serve: sees the file, not the form
        html = render_template("notices/_scans.html", **panel(notice=notice))
        assert not scans.on_file(notice)
    assert "未归档" in html and "签字的文书" in html and "<form" not in html
    page = client.get(f"/cases/{notice.case_id}").get_data(as_text=True)
    assert "回证未归档" in page and "回证已归档" not in page


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"just some text, not a scan\n", "回证.pdf", "扫描件不是 PDF、JPEG 或 PNG 文件，未保存。"),
        (b"GIF89a" + b"\0" * 32, "回证.png", "扫描件不是 PDF、JPEG 或 PNG 文件，未保存。"),
        (PNG + b"\0" * uploads.MAX_BYTES, "回证.png", "扫描件超过 5 MB，未保存。"),
        (b"", "回证.pdf", "请选择要上传的扫描件：没有收到文件，或文件为空。"),
        (None, "", "请选择要上传的扫描件：没有收到文件，或文件为空。"),
    ],
)
def test_a_bad_scan_is_refused_with_a_message_and_nothing_changes(app, client, county, content, name, message):
    notice = make_notice(county.own)
    login(client, county.users["township"])
    response = send(client, f"/notices/{notice.id}/scans", content, name)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<p class="flash error">{message}</p>' in page
    assert rows() == (0, 0) and files_in(app) == []


def test_a_receipt_waits_for_the_service(app, client, county):
    notice = make_notice(county.own, served=False)
    login(client, county.users["township"])
    response = send(client, f"/notices/{notice.id}/scans", PNG, "回证.png")
    assert response.status_code == 302
    assert flashes(client) == ["请先登记送达：送达后才能上传签收的送达回证。"]
    assert rows() == (0, 0) and files_in(app) == []
    with app.test_request_context(), database.connection_context():
        login_user(county.users["township"])
        html = render_template("notices/_scans.html", **panel(notice=notice))
    assert "登记送达后即可上传签收的送达回证。" in html
    assert send(client, f"/notices/{notice.id}/scans", PNG, "告知书.png", kind="signed").status_code == 302
    assert rows() == (1, 1)
    assert send(client, f"/notices/{notice.id}/scans", PNG, "x.png", kind="other").status_code == 302
    assert flashes(client) == ["请选择扫描件的类别。"] and rows() == (1, 1)


def test_only_those_who_may_serve_attach_and_only_those_in_scope_see(app, client, county, make_user):
    notice = make_notice(county.own)
    login(client, county.users["township"])
    send(client, f"/notices/{notice.id}/scans", PNG, "回证.png")
    with database.connection_context():
        scan = DocumentScan.get()
    client = app.test_client()

    login(client, county.users["teacher"])  # sees the child, may not serve the notice
    assert send(client, f"/notices/{notice.id}/scans", PNG, "回证.png").status_code == 403
    shown = client.get(f"/scans/{scan.id}")
    assert shown.status_code == 200 and shown.data == PNG
    shown.close()
    client = app.test_client()

    with database.connection_context():
        elsewhere = make_user("township", township=county.other.village.township_id)
    login(client, elsewhere)
    assert send(client, f"/notices/{notice.id}/scans", PNG, "回证.png").status_code == 404
    assert client.get(f"/scans/{scan.id}").status_code == 404
    assert client.get("/scans/999999").status_code == 404
    assert rows() == (1, 1) and len(files_in(app)) == 1

    with app.test_request_context(), database.connection_context():
        with pytest.raises(PermissionDenied):
            scans.attach(county.users["teacher"], "receipt", io.BytesIO(PNG), app.config["UPLOADS_DIR"], notice=notice)
        with pytest.raises(ValueError):
            scans.attach(county.users["township"], "receipt", io.BytesIO(PNG), app.config["UPLOADS_DIR"])


def test_a_missing_file_is_not_found(app, client, county):
    notice = make_notice(county.own)
    login(client, county.users["township"])
    send(client, f"/notices/{notice.id}/scans", PNG, "回证.png")
    for path in files_in(app):
        path.unlink()
    with database.connection_context():
        scan = DocumentScan.get()
    assert client.get(f"/scans/{scan.id}").status_code == 404


def test_a_failed_write_leaves_no_file(app, county, monkeypatch):
    notice = make_notice(county.own)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(scans.audit, "record", fail)
    with app.test_request_context(), database.connection_context(), pytest.raises(RuntimeError):
        scans.attach(county.users["township"], "receipt", io.BytesIO(PNG), app.config["UPLOADS_DIR"], notice=notice)
    assert rows() == (0, 0) and files_in(app) == []


def test_scans_of_a_penalty_document(app, client, county):
    notice = make_notice(county.own)
    document = make_document(notice)
    unserved = make_document(make_notice(county.own, seq=2), served=False)
    login(client, county.users["township"])
    response = send(client, f"/penalties/{document.id}/scans", PDF, "事先告知书回证.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/penalties/{document.id}")
    assert flashes(client) == ["扫描件已归档：送达回证（签收件）。"]
    with database.connection_context():
        scan = DocumentScan.get()
        assert (scan.notice_id, scan.document_id, scan.kind) == (None, document.id, "receipt")
        assert scans.on_file(document) and not scans.on_file(notice)
    shown = client.get(f"/scans/{scan.id}")
    assert shown.data == PDF and shown.headers["Cache-Control"] == "private, no-store"
    shown.close()

    response = send(client, f"/penalties/{document.id}/scans", b"%PDX not quite", "签字.pdf", kind="signed")
    assert response.status_code == 302 and flashes(client) == ["扫描件不是 PDF、JPEG 或 PNG 文件，未保存。"]
    send(client, f"/penalties/{unserved.id}/scans", PNG, "回证.png")
    assert flashes(client) == ["请先登记送达：送达后才能上传签收的送达回证。"]
    assert rows() == (1, 1) and len(files_in(app)) == 1
    client = app.test_client()

    login(client, county.users["teacher"])
    assert send(client, f"/penalties/{document.id}/scans", PNG, "回证.png").status_code == 403
    client = app.test_client()
    other = make_document(make_notice(county.other, seq=3))
    login(client, county.users["township"])
    assert send(client, f"/penalties/{other.id}/scans", PNG, "回证.png").status_code == 404
    assert rows() == (1, 1)

    with app.test_request_context(), database.connection_context():
        login_user(county.users["township"])
        html = render_template("notices/_scans.html", **panel(document=document))
    assert f'action="/penalties/{document.id}/scans"' in html and "已归档" in html


def test_the_service_refuses_with_the_field_named(app, county):
    notice = make_notice(county.own)
    with app.test_request_context(), database.connection_context(), pytest.raises(ValidationError) as refused:
        scans.attach(
            county.users["township"], "receipt", io.BytesIO(b"hello"), app.config["UPLOADS_DIR"], notice=notice
        )
    assert list(refused.value.errors) == ["scan"]
