"""Every route, walked with every role: scope holds, and a child outside it answers 404."""

import pytest
from casework import add_casework
from conftest import csrf_token, login
from county import ROLES, build_county
from pushed import pushed_list

from dropout import clock
from dropout.db import database

EVERYONE = dict.fromkeys(ROLES, 200)
SCOPED = ("township", "teacher", "village")


def by_role(default, **overrides):
    return {role: overrides.get(role, default) for role in ROLES}


# (endpoint, method, target) -> expected status per role. target: the child the URL names.
EXPECTED = {
    ("home.index", "GET", None): EVERYONE,
    ("children.index", "GET", None): EVERYONE,
    ("children.create", "GET", None): by_role(200, bureau=403),
    ("children.detail", "GET", "own"): EVERYONE,
    ("children.detail", "GET", "other"): by_role(404, admin=200, bureau=200),
    ("children.detail", "GET", "assigned"): by_role(404, admin=200, bureau=200, teacher=200),
    ("children.edit", "GET", "own"): by_role(200, bureau=403),
    ("children.edit", "GET", "other"): by_role(404, admin=200, bureau=403),
    ("children.delete", "POST", "own"): by_role(403, admin=302),
    ("children.delete", "POST", "other"): by_role(404, admin=302, bureau=403),
    ("children.reveal_ids", "POST", "own"): by_role(200, teacher=403, village=403),  # full ID numbers, audited
    ("children.reveal_ids", "POST", "other"): by_role(404, admin=200, bureau=200),
    ("cases.index", "GET", None): EVERYONE,
    ("cases.export", "GET", None): EVERYONE,
    ("cases.export", "POST", None): dict.fromkeys(ROLES, 302),  # the task's page
    ("cases.create", "GET", "own"): by_role(200, bureau=403),  # the village committee reports too
    ("cases.create", "GET", "other"): by_role(404, admin=200, bureau=403),
    ("cases.detail", "GET", "own"): EVERYONE,
    ("cases.detail", "GET", "other"): by_role(404, admin=200, bureau=200),
    ("cases.act", "POST", "own"): by_role(422, bureau=403, village=403),  # an empty confirmation is refused
    ("cases.act", "POST", "other"): by_role(404, admin=422, bureau=403),
    # A closure (销号) step with no request waiting is refused (422); the bureau and the village take none.
    ("cases.closure_step", "POST", "own"): by_role(422, bureau=403, village=403),
    ("cases.closure_step", "POST", "other"): by_role(404, admin=422, bureau=403),
    ("cases.closure_scan", "GET", "own"): by_role(404),  # no such request: test_closures opens a real scan
    ("cases.closure_scan", "GET", "other"): by_role(404),
    ("cases.handover", "GET", None): by_role(403, admin=200, township=200),
    ("visits.create", "GET", None): by_role(200, bureau=403),
    ("visits.photo", "GET", "own"): EVERYONE,
    ("visits.photo", "GET", "other"): by_role(404, admin=200, bureau=200),
    ("exemptions.index", "GET", None): EVERYONE,
    ("exemptions.create", "GET", "own"): by_role(200, bureau=403),
    ("exemptions.create", "GET", "other"): by_role(404, admin=200, bureau=403),
    ("exemptions.detail", "GET", "own"): EVERYONE,
    ("exemptions.detail", "GET", "other"): by_role(404, admin=200, bureau=200),
    ("exemptions.advance", "POST", "own"): by_role(403, admin=302, township=302),
    ("exemptions.advance", "POST", "other"): by_role(404, admin=302, bureau=403),
    ("exemptions.scan", "GET", "own"): EVERYONE,
    ("exemptions.scan", "GET", "other"): by_role(404, admin=200, bureau=200),
    ("notices.index", "GET", None): EVERYONE,
    ("notices.batch", "POST", "own"): dict.fromkeys(ROLES, 302),  # the task printing the ticked notices in scope
    ("notices.batch", "POST", "other"): dict.fromkeys(ROLES, 302),  # nothing in scope: back to the list
    ("notices.issue", "GET", "own"): by_role(403, admin=200, township=200, bureau=200),  # the bureau in its own name
    ("notices.issue", "GET", "other"): by_role(404, admin=200, bureau=200),
    ("notices.detail", "GET", "own"): EVERYONE,
    ("notices.detail", "GET", "other"): by_role(404, admin=200, bureau=200),
    ("notices.pdf", "GET", "own"): EVERYONE,
    ("notices.pdf", "GET", "other"): by_role(404, admin=200, bureau=200),
    ("notices.serve", "POST", "own"): by_role(403, admin=422, township=422),  # an empty proof of service is refused
    ("notices.serve", "POST", "other"): by_role(404, admin=422, bureau=403),
    ("notices.measure", "POST", "own"): by_role(403, admin=422, township=422),  # not overdue: refused
    ("notices.measure", "POST", "other"): by_role(404, admin=422, bureau=403),
    ("notices.correct", "POST", "own"): by_role(403, admin=302, township=302),
    ("notices.correct", "POST", "other"): by_role(404, admin=302, bureau=403),
    ("notices.verify", "GET", "own"): EVERYONE,
    ("penalties.propose", "POST", "own"): by_role(403, admin=422, township=422),  # no provision configured: refused
    ("penalties.propose", "POST", "other"): by_role(404, admin=422, bureau=403),
    ("penalties.detail", "GET", "own"): EVERYONE,
    ("penalties.detail", "GET", "other"): by_role(404, admin=200, bureau=200),
    ("penalties.pdf", "GET", "own"): EVERYONE,
    ("penalties.pdf", "GET", "other"): by_role(404, admin=200, bureau=200),
    ("penalties.serve", "POST", "own"): by_role(403, admin=422, township=422),  # an empty proof of service is refused
    ("penalties.serve", "POST", "other"): by_role(404, admin=422, bureau=403),
    ("penalties.statement", "POST", "own"): by_role(403, admin=422, township=422),  # not served yet: refused
    ("penalties.statement", "POST", "other"): by_role(404, admin=422, bureau=403),
    ("penalties.decide", "POST", "own"): by_role(403, admin=422, township=422),  # no statement yet: refused
    ("penalties.decide", "POST", "other"): by_role(404, admin=422, bureau=403),
    ("scans.attach_to_notice", "POST", "own"): by_role(403, admin=302, township=302),  # no file: back with the reason
    ("scans.attach_to_notice", "POST", "other"): by_role(404, admin=302, bureau=403),
    ("scans.attach_to_document", "POST", "own"): by_role(403, admin=302, township=302),
    ("scans.attach_to_document", "POST", "other"): by_role(404, admin=302, bureau=403),
    ("scans.show", "GET", None): dict.fromkeys(ROLES, 404),  # no such scan: tests/test_scans.py reads real ones
    ("calendar.index", "GET", None): EVERYONE,
    ("calendar.index", "POST", None): by_role(403, admin=422, bureau=422),  # an empty entry is refused
    ("calendar.delete", "POST", None): by_role(403, admin=404, bureau=404),  # no such entry
    ("registers.index", "GET", None): by_role(403, admin=200, bureau=200, township=200),
    ("registers.index", "POST", None): by_role(403, admin=422, bureau=422, township=422),  # no file uploaded: refused
    ("registers.result", "GET", None): by_role(403, admin=404, bureau=404, township=404),  # nobody's upload
    ("registers.flag", "POST", None): by_role(403, admin=404, township=404),
    ("registers.take_categories", "POST", None): by_role(403, admin=404, township=404),
    ("registers.export", "GET", None): by_role(403, admin=404, bureau=404, township=404),
    ("registers.check_export", "GET", None): by_role(403, admin=200, bureau=200, township=200),
    ("registers.ledger_export", "GET", None): EVERYONE,
    ("registers.ledger_export", "POST", None): dict.fromkeys(ROLES, 302),  # the task's page
    ("ledgers.index", "GET", None): by_role(200, village=403),  # a village committee keeps no 台账
    ("ledgers.suspected", "GET", None): by_role(200, village=403),
    ("ledgers.dropouts", "GET", None): by_role(200, village=403),
    ("ledgers.suspected_export", "GET", None): by_role(200, village=403),
    ("ledgers.suspected_export", "POST", None): by_role(302, village=403),  # the task's page
    ("ledgers.dropouts_export", "GET", None): by_role(200, village=403),
    ("ledgers.dropouts_export", "POST", None): by_role(302, village=403),
    ("tasks.index", "GET", None): EVERYONE,
    ("help.index", "GET", None): EVERYONE,
    ("tasks.show", "GET", None): dict.fromkeys(ROLES, 404),  # nobody's task: tests/test_tasks.py reads real ones
    ("tasks.state", "GET", None): dict.fromkeys(ROLES, 404),
    ("tasks.download", "GET", None): dict.fromkeys(ROLES, 404),
    ("tasks.cancel", "POST", None): dict.fromkeys(ROLES, 404),
    ("imports.upload", "GET", None): by_role(403, admin=200, bureau=200, township=200),
    ("imports.template", "GET", None): by_role(403, admin=200, bureau=200, township=200),
    ("imports.preview", "GET", None): by_role(403, admin=404, bureau=404, township=404),  # no such upload
    ("imports.commit", "POST", None): by_role(403, admin=404, bureau=404, township=404),
    ("imports.check_again", "POST", None): by_role(403, admin=404, bureau=404, township=404),
    ("imports.rejected", "GET", None): by_role(403, admin=404, bureau=404, township=404),
    ("places.index", "GET", None): by_role(403, admin=200, bureau=200),
    ("places.edit", "GET", None): by_role(403, admin=200),
    ("places.delete", "POST", None): by_role(403, admin=302),
    ("accounts.index", "GET", None): by_role(403, admin=200),
    ("accounts.create", "GET", None): by_role(403, admin=200),
    ("accounts.toggle", "POST", None): by_role(403, admin=302),
    ("accounts.require_password_change", "POST", None): by_role(403, admin=302),
    ("accounts.logins", "GET", None): by_role(403, admin=200),
    ("reports.index", "GET", None): dict.fromkeys(ROLES, 302),  # to the newest month
    ("reports.month", "GET", None): EVERYONE,  # each on its own unit
    ("reports.month", "GET", "own"): by_role(404, admin=200, bureau=200, township=200),  # the own township
    ("reports.month", "GET", "other"): by_role(404, admin=200, bureau=200),
    ("reports.archived", "GET", None): by_role(404, admin=200, bureau=200, township=200),  # schools have no archive
    ("reports.generate", "POST", None): by_role(403, admin=302, bureau=302),
    ("reports.lock", "POST", None): by_role(403, admin=302, bureau=302),
    ("reports.unlock", "POST", None): by_role(403, admin=302),
    ("reports.intake", "POST", None): by_role(403, admin=302, bureau=302),
    ("reports.job_runs", "GET", None): by_role(403, admin=200),
    ("self_evaluation.index", "GET", None): by_role(403, admin=200, bureau=200),  # the county's extract
    ("self_evaluation.workbook", "GET", None): by_role(403, admin=200, bureau=200),
    ("self_evaluation.pdf", "GET", None): by_role(403, admin=200, bureau=200),
    ("filing.latest", "GET", None): dict.fromkeys(ROLES, 302),  # to the newest month
    # 通报 and 督办函 (a village committee is named in none); no such bulletin or letter: tests/test_bulletins.py
    ("bulletins.index", "GET", None): by_role(200, village=403),
    ("bulletins.generate", "POST", None): by_role(403, admin=302, bureau=302),  # no month: back with the reason
    ("bulletins.detail", "GET", None): by_role(404, village=403),
    ("bulletins.pdf", "GET", None): by_role(404, village=403),
    ("bulletins.letters", "GET", None): by_role(200, village=403),
    ("bulletins.letter", "GET", None): by_role(404, village=403),
    ("bulletins.letter_pdf", "GET", None): by_role(404, village=403),
    ("bulletins.scan", "GET", None): by_role(404, village=403),
    ("bulletins.answer", "POST", None): by_role(404, village=403),
    ("bulletins.accept", "POST", None): by_role(404, village=403),
    ("bulletins.send_back", "POST", None): by_role(404, village=403),
    ("filing.index", "GET", None): EVERYONE,
    # a school's report: its township approves it (the bureau approves the townships')
    ("filing.advance", "POST", "own"): by_role(403, admin=302, township=302, village=404),
    ("filing.advance", "POST", "other"): by_role(404, admin=302, bureau=403),
    ("verification.index", "GET", None): by_role(200, teacher=403, village=403),  # 核查: bureau and townships
    ("verification.upload", "GET", None): by_role(200, teacher=403, village=403),
    ("verification.upload", "POST", None): by_role(422, teacher=403, village=403),  # no file uploaded: refused
    ("verification.detail", "GET", None): by_role(200, teacher=403, village=403),  # the township has a row in it
    ("verification.row", "GET", "own"): by_role(200, teacher=403, village=403),
    ("verification.row", "GET", "other"): by_role(403, admin=200, bureau=200),  # another township's row: refused
    ("verification.row", "POST", "own"): by_role(422, teacher=403, village=403),  # no result chosen
    ("verification.row", "POST", "other"): by_role(403, admin=422, bureau=422),
    ("verification.open_case", "POST", "own"): by_role(422, bureau=403, teacher=403, village=403),  # case already open
    ("verification.export", "POST", None): by_role(403, admin=302, bureau=302),  # the bureau's list: the task's page
    ("auth.login", "GET", None): EVERYONE,
    ("auth.logout", "POST", None): dict.fromkeys(ROLES, 302),
    ("auth.change_password", "GET", None): EVERYONE,
    ("auth.change_password", "POST", None): dict.fromkeys(ROLES, 422),  # no current password
    ("auth.language", "GET", None): dict.fromkeys(ROLES, 302),
    ("static", "GET", None): EVERYONE,
}
PUBLIC = {"auth.login", "auth.language", "static", "notices.verify"}


def _month(app, county, endpoint, target):
    """Generate last month (and archive it, for the archived file's route); the URL arguments naming it, a unit or
    a school's report."""
    from dropout.models import MonthlyReport, Township
    from dropout.reporting import archive as report_archive
    from dropout.reporting import summaries
    from dropout.reporting.figures import Month

    month = Month.parse(f"{clock.today():%Y-%m}").previous()
    with app.test_request_context(), database.connection_context():
        summaries.generate_month(month)
        if endpoint == "reports.archived":  # printing the month's PDFs is slow: only where the route serves one
            report_archive.write_month(month, app.config)
        args = {"month": str(month)}
        school = county.home_school.id if target == "own" else county.other.school_id
        if endpoint == "filing.advance":
            args["report_id"] = MonthlyReport.get(
                (MonthlyReport.unit_kind == "school") & (MonthlyReport.unit_id == school)
            ).id
        elif target is not None:
            town = Township.get(Township.name == ("城关镇" if target == "own" else "白马乡"))
            args["unit"] = f"township-{town.id}"
        if endpoint == "reports.archived":
            args["kind"] = "pdf"
    return args


def _url(app, county, endpoint, target):
    from flask import url_for

    args = {}
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    work = add_casework(county, app.config["UPLOADS_DIR"])
    if "child_id" in rule.arguments:
        args["child_id"] = getattr(county, target).id
    if endpoint in ("cases.create", "exemptions.create"):
        args["child"] = getattr(county, target).id
    for name, objects in work.by_argument().items():  # case_id, visit_id, …, measure_id: the record of the target
        if name in rule.arguments:
            args[name] = objects[target].id
    if "action" in rule.arguments:
        args["action"] = "confirm"
    if "step" in rule.arguments:
        args["step"] = "approve"
    if "code" in rule.arguments and endpoint == "notices.verify":
        args["code"] = work.notice[target].verify_code
    if endpoint == "notices.batch":
        args["notice"] = work.notice[target].id
    if endpoint.startswith(("reports.", "filing.")):
        args.update(_month(app, county, endpoint, target))
    elif "kind" in rule.arguments:
        args["kind"] = "village"
    if "place_id" in rule.arguments:
        args["place_id"] = county.home_village.id
    if "user_id" in rule.arguments:
        args["user_id"] = county.users["village"].id
    if "code" in rule.arguments and endpoint == "auth.language":
        args["code"] = "en"
    if "request_id" in rule.arguments:
        args["request_id"] = 1
    if "scan_id" in rule.arguments:
        args["scan_id"] = 1
    if "entry_id" in rule.arguments:
        args["entry_id"] = 1
    for name in ("bulletin_id", "letter_id"):  # no such bulletin or letter
        if name in rule.arguments:
            args[name] = 1
    if "token" in rule.arguments:
        args["token"] = "0" * 32  # no such upload: test_crosscheck walks a real one
    if "key" in rule.arguments:
        args["key"] = "0" * 32  # no such task
    if "list_id" in rule.arguments or "row_id" in rule.arguments:
        made = pushed_list(county)
        args.update({"list_id": made["list_id"]} if "list_id" in rule.arguments else {"row_id": made["row_id"][target]})
    if "list_name" in rule.arguments:
        args["list_name"] = "duplicates" if endpoint == "registers.check_export" else "candidates"
    if "filename" in rule.arguments:
        args["filename"] = "style.css"
    with app.test_request_context():
        return url_for(endpoint, **args)


def test_every_route_has_an_expectation(app):
    """A new route must be added to the table above, so the walk covers it."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == {endpoint for endpoint, _, _ in EXPECTED}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint, method, target", list(EXPECTED))
def test_route_answers_each_role_as_expected(app, client, role, endpoint, method, target):
    county = build_county()
    login(client, county.users[role])
    url = _url(app, county, endpoint, target)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client, "/"), "reason": "test"})
    response.close()
    assert response.status_code == EXPECTED[(endpoint, method, target)][role], url


@pytest.mark.parametrize("endpoint, method, target", [key for key in EXPECTED if key[0] not in PUBLIC])
def test_anonymous_visitors_are_sent_to_login(app, client, endpoint, method, target):
    county = build_county()
    url = _url(app, county, endpoint, target)
    response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", SCOPED)
def test_lists_show_exactly_the_scope(app, client, role):
    county = build_county()
    login(client, county.users[role])
    page = client.get("/children/").get_data(as_text=True)
    assert county.own.name in page
    assert (county.other.name in page) is False
    assert (county.assigned.name in page) is (role == "teacher")


def test_a_teacher_typing_another_schools_child_url_changes_nothing(app, client):
    county = build_county()
    login(client, county.users["teacher"])
    token = csrf_token(client, "/children/new")
    response = client.post(f"/children/{county.other.id}/edit", data={"csrf_token": token, "name": "改名"})
    assert response.status_code == 404
    with app.app_context():
        from dropout.db import database
        from dropout.models import Child

        with database.connection_context():
            assert Child.get_by_id(county.other.id).name == "王小芳"
