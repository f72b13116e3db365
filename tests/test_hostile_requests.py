"""Hostile requests: a malformed body is answered 400 on every route, and every file is sent uncached, safely named
and never sniffed."""

import csv
import io

from casework import add_casework
from conftest import csrf_token, login, task_result, valid_id
from county import build_county
from werkzeug.routing import AnyConverter, IntegerConverter

from dropout import clock
from dropout.db import database
from dropout.models import DocumentScan, Township

MALFORMED_PAGE = "提交的表单数据格式有误，无法读取。请刷新页面后重试。"
BOUNDARY = "XyZzY"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def _part(disposition, value=b"value"):
    return b"--" + BOUNDARY.encode() + b"\r\nContent-Disposition: " + disposition + b"\r\n\r\n" + value + b"\r\n"


def _token_part(token):
    return _part(b'form-data; name="csrf_token"', token.encode()) if token else b""


def _end():
    return b"--" + BOUNDARY.encode() + b"--\r\n"


# label -> (body given the CSRF token or None, Content-Type). Each cannot be read as a form: answered 400.
MALFORMED = {
    "semicolons only": (lambda t: _token_part(t) + _part(b";;;;") + _end(), MULTIPART),
    "no field name": (lambda t: _token_part(t) + _part(b"form-data") + _end(), MULTIPART),
    "a file with no field name": (
        lambda t: _token_part(t) + _part(b'form-data; filename="a.xlsx"') + _end(),
        MULTIPART,
    ),
    "non-UTF-8 field name": (lambda t: _token_part(t) + _part(b'form-data; name="\xff\xfe"') + _end(), MULTIPART),
    "non-UTF-8 file name": (
        lambda t: _token_part(t) + _part(b'form-data; name="file"; filename="\xc3\x28.xlsx"') + _end(),
        MULTIPART,
    ),
    "no Content-Disposition": (
        lambda t: (
            _token_part(t) + b"--" + BOUNDARY.encode() + b"\r\nContent-Type: text/plain\r\n\r\nvalue\r\n" + _end()
        ),
        MULTIPART,
    ),
    "missing boundary": (lambda t: _token_part(t) + _end(), "multipart/form-data"),
    "empty boundary": (lambda t: _token_part(t) + _end(), "multipart/form-data; boundary="),
    "non-ASCII boundary": (lambda t: _token_part(t) + _end(), "multipart/form-data; boundary=é"),
    "truncated": (lambda t: _token_part(t) + _part(b'form-data; name="a"')[:-10], MULTIPART),
    "garbage": (lambda t: b"\x00\x01\x02 not a multipart body at all", MULTIPART),
    "non-UTF-8 urlencoded": (
        lambda t: b"\xff\xfe=1&csrf_token=" + (t or "").encode(),
        "application/x-www-form-urlencoded",
    ),
}
# Odd but readable: whatever the route answers, never a server error. (Without the CSRF token: read, they would act.)
ODD = {
    "percent-encoded non-UTF-8 name": (lambda t: b"%ff%fe=%ff", "application/x-www-form-urlencoded"),
    "unknown charset": (lambda t: b"a=1", "application/x-www-form-urlencoded; charset=x"),
    "a part in an unknown charset": (
        lambda t: (
            b"--" + BOUNDARY.encode() + b"\r\nContent-Disposition: form-data; "
            b'name="a"\r\nContent-Type: text/plain; charset=nonsense\r\n\r\n\xff\r\n' + _end()
        ),
        MULTIPART,
    ),
    "JSON": (lambda t: b'{"csrf_token": null}', "application/json"),
    "plain text": (lambda t: b"\xff\xfe", "text/plain"),
}

# Values for URL arguments no converter constrains.
SAMPLE = {
    "month": "2026-10",
    "kind": "village",
    "step": "approve",
    "action": "confirm",
    "token": "0" * 32,
    "code": "zh_Hans_CN",
    "filename": "style.css",
}


def url_of(app, rule, ids=None):
    """A URL the rule matches: `ids` by argument name, else a sample value its converter accepts."""
    args = {}
    for name, converter in rule._converters.items():  # the arguments in the path (not a rule's defaults)
        if ids and name in ids:
            args[name] = ids[name]
        elif isinstance(converter, AnyConverter):
            args[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            args[name] = 1
        else:
            args[name] = SAMPLE.get(name, "1")
    url = rule.build(args, append_unknown=False)[1]
    matched = app.url_map.bind("localhost").match(
        url, method=sorted(rule.methods - {"HEAD", "OPTIONS"})[0], return_rule=True
    )[0]
    assert matched is rule, f"{url} does not reach {rule.endpoint}: add a sample value for its arguments"
    return url


def _routes(app, method):
    return [rule for rule in app.url_map.iter_rules() if method in rule.methods]


def _walk_malformed(app, client, token):
    """Every route with every body, POST and GET: the malformed ones get the 400 page, none a server error."""
    failures = []
    for rule in _routes(app, "POST") + _routes(app, "GET"):
        url = url_of(app, rule)
        send = client.post if "POST" in rule.methods else client.get
        for label, (body, content_type) in {**MALFORMED, **ODD}.items():
            response = send(url, data=body(token), content_type=content_type)
            page = response.get_data()
            response.close()
            if response.status_code >= 500:
                failures.append(f"{rule.endpoint} {url} {label}: {response.status_code}")
            elif label in MALFORMED and (response.status_code != 400 or MALFORMED_PAGE.encode() not in page):
                failures.append(f"{rule.endpoint} {url} {label}: {response.status_code}, not the 400 page")
    return failures


def test_every_route_answers_a_malformed_body_with_400_to_an_anonymous_visitor(app, client):
    build_county()
    assert len(_routes(app, "POST")) > 30  # the walk reaches every form
    assert _walk_malformed(app, client, None) == []


def test_every_route_answers_a_malformed_body_with_400_to_the_admin(app, client):
    county = build_county()
    login(client, county.users["admin"])
    token = csrf_token(client, "/")
    assert _walk_malformed(app, client, token) == []
    assert client.get("/").status_code == 200  # still logged in


def test_the_400_page_is_the_apps_own_chinese_error_page(app, client):
    response = client.post("/login", data=MALFORMED["semicolons only"][0](None), content_type=MULTIPART)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "<h1>400</h1>" in page and MALFORMED_PAGE in page and "Traceback" not in page
    assert response.headers["Cache-Control"] == "no-store"


def test_a_well_formed_multipart_form_is_still_read(app, client):
    county = build_county()
    body = (
        _token_part(csrf_token(client))
        + _part(b'form-data; name="username"', b"admin")
        + _part(b'form-data; name="password"', b"correct horse")
        + _end()
    )
    response = client.post("/login", data=body, content_type=MULTIPART)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/").status_code == 200
    assert county.users["admin"].username == "admin"


# Every route that sends a file. The walk below fails on a file from a route not listed here.
FILE_ENDPOINTS = {
    "notices.pdf",
    "penalties.pdf",
    "visits.photo",
    "exemptions.scan",
    "scans.show",
    "registers.export",
    "registers.check_export",
    "tasks.download",  # a background task's result: the ledger, a batch of notices, …
    "imports.template",
    "imports.rejected",
    "reports.archived",
    "self_evaluation.workbook",
    "self_evaluation.pdf",
}


def _assert_download_headers(response, what):
    disposition = response.headers.get("Content-Disposition", "")
    assert response.status_code == 200, (what, response.status_code)
    assert disposition.startswith(("attachment;", "inline;")), (what, disposition)
    assert 'filename="' in disposition and "filename*=UTF-8''" in disposition, (what, disposition)
    assert response.headers["Cache-Control"] == "private, no-store", what
    assert response.headers["X-Content-Type-Options"] == "nosniff", what


def _files(app, client, county):
    """Casework, a scan, an archived month, a register comparison and an import to download; the URL arguments."""
    from dropout.reporting import archive as report_archive
    from dropout.reporting import summaries
    from dropout.reporting.figures import Month

    work = add_casework(county, app.config["UPLOADS_DIR"])
    month = Month.parse(f"{clock.today():%Y-%m}").previous()
    with app.test_request_context(), database.connection_context():
        summaries.generate_month(month)
        report_archive.write_month(month, app.config)
        town = Township.get(Township.name == "城关镇")
        scan = DocumentScan.create(notice=work.notice["own"], kind="receipt", path="visits/own.png")

    household = io.StringIO()
    csv.writer(household).writerows(
        [
            ["序号", "姓名", "性别", "公民身份号码", "出生日期", "监护人", "村（社区）"],
            ["1", county.own.name, "女", county.own.id_number, "", "家长", "东街社区"],
            ["2", "孙小新", "男", valid_id(), "", "孙大新", "东街社区"],
        ]
    )
    household = (io.BytesIO(household.getvalue().encode()), "户籍.csv")
    compared = client.post(
        "/registers/",
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(client, "/registers/"), "household": household},
    )
    assert compared.status_code == 302, compared.get_data(as_text=True)
    compared = client.get(compared.headers["Location"], follow_redirects=True)  # its reading task, then the result
    roster = "姓名,身份证号,出生日期\r\n张三,123,2015-01-01\r\n".encode()
    imported = client.post(
        "/imports/",
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(client, "/imports/"), "file": (io.BytesIO(roster), "名册.csv")},
    )
    assert imported.status_code == 302, imported.get_data(as_text=True)
    previewed = client.get(imported.headers["Location"], follow_redirects=True)  # its check task, then the preview

    ids = {
        "child_id": county.own.id,
        "user_id": county.users["village"].id,
        "place_id": county.home_village.id,
        "scan_id": scan.id,
        "month": str(month),
        "kind": "pdf",
    }
    for name, objects in work.by_argument().items():
        ids[name] = objects["own"].id
    tokens = {"registers": compared.request.path.rsplit("/", 1)[1], "imports": previewed.request.path.rsplit("/", 1)[1]}
    return ids, tokens, f"township-{town.id}", work


def test_every_file_is_sent_uncached_safely_named_and_unsniffed(app, client):
    county = build_county()
    login(client, county.users["admin"])
    ids, tokens, unit, work = _files(app, client, county)
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}

    def url(endpoint, **extra):
        return url_of(app, rules[endpoint], {**ids, "token": tokens.get(endpoint.split(".")[0], "0" * 32), **extra})

    downloads = {
        "notice PDF": client.get(url("notices.pdf")),
        "penalty PDF": client.get(url("penalties.pdf")),
        "batch of notices": task_result(
            client, url("notices.batch"), {"notice": [work.notice["own"].id]}, form_url="/notices/"
        ),
        "cases": task_result(client, url("cases.export")),
        "visit photo": client.get(url("visits.photo")),
        "exemption scan": client.get(url("exemptions.scan")),
        "signed receipt scan": client.get(url("scans.show")),
        "comparison list": client.get(url("registers.export", list_name="candidates")),
        "duplicates": client.get(url("registers.check_export", list_name="duplicates")),
        "past school age": client.get(url("registers.check_export", list_name="past_age")),
        "no school": client.get(url("registers.check_export", list_name="no_school")),
        "ledger": task_result(client, url("registers.ledger_export")),
        "roster template": client.get(url("imports.template")),
        "rejected rows": client.get(url("imports.rejected")),
        "archived PDF": client.get(url("reports.archived", kind="pdf") + f"?unit={unit}"),
        "archived workbook": client.get(url("reports.archived", kind="xlsx") + f"?unit={unit}"),
    }
    for what, response in downloads.items():
        _assert_download_headers(response, what)
        response.close()
    disposition = {what: response.headers["Content-Disposition"] for what, response in downloads.items()}
    # Shown in the browser: a PDF to print, a photo or a scan; everything else is saved.
    for what in ("notice PDF", "penalty PDF", "visit photo", "exemption scan", "signed receipt scan", "archived PDF"):
        assert disposition[what].startswith("inline;"), what
    for what in ("batch of notices", "cases", "ledger", "roster template", "rejected rows", "archived workbook"):
        assert disposition[what].startswith("attachment;"), what
    # A Chinese name: the full name in UTF-8, and an ASCII fallback for old browsers.
    assert (
        "filename*=UTF-8''%E9%80%82%E9%BE%84%E5%84%BF%E7%AB%A5%E5%90%8D%E5%86%8C%E6%A8%A1%E6%9D%BF.xlsx"
        in (disposition["roster template"])
    )
    assert 'filename="download.xlsx"' in disposition["roster template"]
    assert f'filename="notice-{work.notice["own"].id}-v1.pdf"' in disposition["notice PDF"]


def test_any_response_naming_a_file_carries_the_download_headers(app, client):
    """A walk of every GET route: a response with a Content-Disposition comes from a listed file route and carries
    the three headers; every listed route sent its file."""
    county = build_county()
    login(client, county.users["admin"])
    ids, tokens, unit, _work = _files(app, client, county)
    sent = set()
    for rule in _routes(app, "GET"):
        if rule.endpoint in ("static", "auth.language"):  # public assets; the language switch
            continue
        url = url_of(app, rule, {**ids, "token": tokens.get(rule.endpoint.split(".")[0], "0" * 32)})
        if rule.endpoint.startswith(("reports.", "filing.")):
            url += f"?unit={unit}"
        response = client.get(url)
        response.close()
        assert response.status_code < 500, url
        if "Content-Disposition" in response.headers:
            assert rule.endpoint in FILE_ENDPOINTS, f"{rule.endpoint} sends a file: list it in FILE_ENDPOINTS"
            _assert_download_headers(response, url)
            sent.add(rule.endpoint)
    assert sent == FILE_ENDPOINTS - {"tasks.download"}  # no task is walked here: its results are, above


def test_a_download_name_never_breaks_the_header(app):
    from dropout.views.downloads import content_disposition

    assert content_disposition("适龄儿童少年台账-20261203.xlsx") == (
        "attachment; filename=\"20261203.xlsx\"; filename*=UTF-8''"
        "%E9%80%82%E9%BE%84%E5%84%BF%E7%AB%A5%E5%B0%91%E5%B9%B4%E5%8F%B0%E8%B4%A6-20261203.xlsx"
    )
    hostile = content_disposition('a"b\r\nSet-Cookie: x=1;/../..\\c.pdf', inline=True)
    assert hostile.startswith("inline; ") and "\r" not in hostile and "\n" not in hostile
    assert hostile.count('"') == 2 and "/" not in hostile and "\\" not in hostile
    assert content_disposition("") == "attachment; filename=\"download\"; filename*=UTF-8''download"
