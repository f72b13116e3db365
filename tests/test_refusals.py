"""Every refusal says why (issue 12): each form, given invalid input, answers 4xx, or redirects to a page
that shows the refusal, with the reason in Chinese beside the field or at the top, and changes nothing.

A table row names the form (a URL with {placeholders}), who posts, what they post and the reason they must
see; a second test walks app.url_map so a new form cannot be added without a row here (or a stated
exclusion)."""

import io
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from bulletins import add_letter
from casework import add_casework
from conftest import PASSWORD, child_form, csrf_token, login, valid_id
from county import build_county
from pushed import csv_bytes, pushed_list
from pushed import row as pushed_row

from dropout import clock
from dropout.db import database
from dropout.models import CaseEvent, ClosureRequest, DropoutCase, Exemption, MonthlyReport, ReturnNotice, utcnow
from dropout.reporting import dashboard, summaries
from dropout.reporting import filing as monthly_reports
from dropout.reporting.figures import Month

BANNER = "未保存。请更正下面标出的内容。"  # the generic line: never a refusal's only words
TOP = "top"  # a reason at the top of the page (.flash.error) rather than beside a field


@dataclass(frozen=True)
class Refusal:
    name: str
    role: str | None  # the county's account that posts (None: nobody logged in)
    url: str  # {placeholders} filled by prepare()
    data: dict  # the invalid input; str values are formatted with prepare()'s placeholders too
    reason: str  # the Chinese the user must see
    at: str  # the input's name beside which the reason stands, or TOP
    prepare: object = None  # World -> {placeholder: value}; a "data" entry is merged into the post
    writes: tuple = ()  # tables the refusal itself may write (login failures are counted)
    marks: tuple = field(default=())


class World:
    """The access-test county with its casework, and the client, for the rows' prepare()."""

    def __init__(self, app, client):
        self.app, self.client = app, client
        self.county = build_county()
        self.work = add_casework(self.county, app.config["UPLOADS_DIR"])
        self.month = Month.of(clock.today()).previous()

    @property
    def own_case(self):
        return self.work.case["own"].id

    def set(self, model, row_id, **values):
        with database.connection_context():
            model.update(**values).where(model.id == row_id).execute()

    def case_status(self, status):
        """The own child's case moved to `status` (confirmed first, as the case pages would have it)."""
        with database.connection_context():
            CaseEvent.create(
                case=self.own_case,
                kind="confirmed",
                happened_on=clock.today() - timedelta(days=20),
                data='{"reason": "other"}',
            )
        self.set(DropoutCase, self.own_case, status=status)
        return {"case": self.own_case}

    def people_named(self):
        """The own case with its township cadre and teacher named (双线责任), as a closure request needs."""
        users = self.county.users
        self.set(DropoutCase, self.own_case, cadre=users["township"].id, teacher=users["teacher"].id)
        return {"case": self.own_case}

    def closure_waiting(self):
        """A closure request (moved away, no proof) the teacher made on the own case, signed by the teacher."""
        params, teacher = self.people_named(), self.county.users["teacher"]
        with database.connection_context():
            ClosureRequest.create(
                case=self.own_case,
                closure="moved_away",
                closes_on=clock.today(),
                status="pending",
                requested_by=teacher,
                teacher_signed_by=teacher,
                teacher_signed_at=utcnow(),
            )
        return params

    def notice(self, status):
        self.set(ReturnNotice, self.work.notice["own"].id, status=status)
        return {"notice": self.work.notice["own"].id}

    def exemption(self, status):
        self.set(Exemption, self.work.exemption["own"].id, status=status)
        return {"exemption": self.work.exemption["own"].id}

    def generated(self):
        with self.app.test_request_context(), database.connection_context():
            summaries.generate_month(self.month)
        return {"month": str(self.month)}

    def school_report(self):
        params = self.generated()
        with database.connection_context():
            report = MonthlyReport.get(
                (MonthlyReport.month == str(self.month))
                & (MonthlyReport.unit_kind == "school")
                & (MonthlyReport.unit_id == self.county.home_school.id)
            )
        return {**params, "report": report.id}

    def locked(self):
        params = self.generated()
        with self.app.test_request_context(), database.connection_context():
            summaries.lock(self.county.users["bureau"], self.month)
        return params

    def intake_entered(self):
        params = self.generated()
        with self.app.test_request_context(), database.connection_context():
            unit = dashboard.home_unit(self.county.users["bureau"], self.app.config["COUNTY_NAME"])
            dashboard.enter_intake(self.county.users["bureau"], self.month, unit, "40")
        return params

    def crosscheck_upload(self):
        """A household list uploaded by the logged-in user: the token of its result page."""
        rows = "序号,姓名,性别,公民身份号码,出生日期,监护人,村（社区）\r\n1,孙小新,男,{},,孙大新,东街社区\r\n"
        data = {
            "csrf_token": csrf_token(self.client, "/registers/"),
            "household": (io.BytesIO(rows.format(valid_id()).encode("gb18030")), "户籍.csv"),
        }
        response = self.client.post("/registers/", data=data, content_type="multipart/form-data")
        assert response.status_code == 302, response.get_data(as_text=True)
        result = self.client.get(response.headers["Location"], follow_redirects=True)  # through the reading task
        return {"token": result.request.path.rsplit("/", 1)[1]}


def _edit_child(w):
    """The own child's edit form as stored, its guardian's phone mistyped."""
    child = w.county.own
    with database.connection_context():
        guardian = child.guardians.get()
    data = child_form(
        child,
        changed_on=clock.today().isoformat(),
        **{
            "guardians-0-id": str(guardian.id),
            "guardians-0-name": guardian.name,
            "guardians-0-relation": guardian.relation,
            "guardians-0-phone": "打电话",
        },
    )
    return {"child": child.id, "data": data}


def _visit(**changes):
    return {
        "case": "{case}",
        "visited_on": clock.today().isoformat(),
        "method": "home",
        "met": "guardian",
        "outcome": "refused",
        **changes,
    }


LONG_COMMENT = "长" * (monthly_reports.MAX_COMMENT + 1)

# A table, one refusal per entry, kept as compact as it reads:
# fmt: off
REFUSALS = [
    # Logging in
    Refusal("login", None, "/login", {"username": "admin", "password": "not the password"}, "用户名或密码错误。", TOP,
            writes=("login_failure", "audit_log")),  # the failure is counted and audited
    # Changing one's own password (a wrong current password counts as a failed login, audited)
    Refusal("password wrong current", "teacher", "/password", {"current_password": "not the password",
            "new_password": "violet tractor harbour", "repeat_password": "violet tractor harbour"},
            "当前密码不正确。", "current_password", writes=("login_failure", "audit_log")),
    Refusal("password too short", "teacher", "/password", {"current_password": PASSWORD, "new_password": "short-1",
            "repeat_password": "short-1"}, "密码至少需要 10 个字符。", "new_password"),
    Refusal("password common", "teacher", "/password", {"current_password": PASSWORD, "new_password": "password1234",
            "repeat_password": "password1234"}, "密码太容易被猜到", "new_password"),
    Refusal("password user name", "teacher", "/password", {"current_password": PASSWORD,
            "new_password": "teacher-violet-tractor", "repeat_password": "teacher-violet-tractor"},
            "密码不能是用户名，也不能包含用户名。", "new_password"),
    Refusal("password repeated wrong", "teacher", "/password", {"current_password": PASSWORD,
            "new_password": "violet tractor harbour", "repeat_password": "violet tractor harbor"},
            "两次输入的新密码不一致。", "repeat_password"),
    # The children register
    Refusal("child new", "township", "/children/new", {"name": "", "registered_on": "{today}"}, "请填写姓名。",
            "name", lambda w: {"today": clock.today().isoformat()}),
    Refusal("child edit", "township", "/children/{child}/edit", {}, "电话号码格式不对。", "guardians-0-phone",
            _edit_child),
    # 一人一案
    Refusal("case open twice", "township", "/cases/new?child={child}", {"absent_since": "{day}"},
            "该儿童已有未销号的案卷。", "absent_since",
            lambda w: {"child": w.county.own.id, "day": (clock.today() - timedelta(days=3)).isoformat()}),
    Refusal("case open bad date", "township", "/cases/new?child={child}", {"absent_since": "2026年2月30日"},
            "日期格式不对，请写成 2015-09-01 这样。", "absent_since", lambda w: {"child": w.county.own.id}),
    Refusal("confirm without reason", "township", "/cases/{case}/confirm", {"confirm-reason": ""}, "请选择原因。",
            "confirm-reason", lambda w: {"case": w.own_case}),
    Refusal("confirm a confirmed case", "township", "/cases/{case}/confirm", {"confirm-reason": "work"},
            "只有疑似辍学的案卷才能确认。", TOP, lambda w: w.case_status("dropped_out")),
    Refusal("not a dropout, bad date", "township", "/cases/{case}/not_dropout", {"nd-on": "yesterday"},
            "日期格式不对，请写成 2015-09-01 这样。", "nd-on", lambda w: {"case": w.own_case}),
    Refusal("not a dropout, confirmed case", "township", "/cases/{case}/not_dropout", {"nd-notes": "病假"},
            "只有疑似辍学的案卷才能这样处理。", TOP, lambda w: w.case_status("dropped_out")),
    Refusal("assign nobody", "township", "/cases/{case}/assign", {"assign-cadre": "99999"}, "请从列表中选择人员。",
            "assign-cadre", lambda w: {"case": w.own_case}),
    Refusal("return without placement", "township", "/cases/{case}/return", {"return-placement": ""},
            "请选择安置方式。", "return-placement", lambda w: {"case": w.own_case}),
    Refusal("close without closure", "township", "/cases/{case}/close", {"close-closure": ""}, "请选择销号原因。",
            "close-closure", lambda w: w.people_named()),
    Refusal("close a closed case", "township", "/cases/{case}/close", {"close-closure": "moved_away"}, "案卷已销号。",
            TOP, lambda w: w.case_status("closed")),
    Refusal("closure request, nobody named", "township", "/cases/{case}/close", {"close-closure": "moved_away"},
            "请先指定乡镇干部和教师：两人都要在销号申请上签字（双线责任）。", "close-closure",
            lambda w: {"case": w.own_case}),
    Refusal("closure sign, none waiting", "teacher", "/cases/{case}/closure/sign", {},
            "该案卷没有待处理的销号申请。", TOP, lambda w: w.people_named()),
    Refusal("closure sign twice", "teacher", "/cases/{case}/closure/sign", {}, "您已在该申请上签过字。", TOP,
            lambda w: w.closure_waiting()),
    Refusal("closure approve without signature and proof", "township", "/cases/{case}/closure/approve",
            {"approve-receiving_school": "外县小学"},
            "请填写接收学校的确认（学籍转接或接收证明编号），或上传其扫描件。", "approve-transfer_number",
            lambda w: w.closure_waiting()),
    Refusal("closure refuse without reason", "township", "/cases/{case}/closure/refuse", {"refuse-refusal": " "},
            "请填写退回的理由。", "refuse-refusal", lambda w: w.closure_waiting()),
    Refusal("closure withdraw by another", "township", "/cases/{case}/closure/withdraw", {},
            "只有提出申请的人才能撤回。", TOP, lambda w: w.closure_waiting()),
    Refusal("handover from nobody", "township", "/cases/handover", {"from_user": "", "to_user": ""},
            "请从列表中选择人员。", "from_user"),
    # Visits
    Refusal("visit without case", "township", "/visits/new", _visit(case=""), "请选择案卷。", "case"),
    Refusal("visit off the Earth", "township", "/visits/new", _visit(latitude="999", longitude="0"), "位置无效。",
            "latitude", lambda w: {"case": w.own_case}),
    Refusal("teaching visit to a pupil", "township", "/visits/new?child={child}", _visit(lessons="2"),
            "只有送教上门的儿童才能登记送教。", "lessons", lambda w: {"child": w.county.own.id}),
    # 缓学/免学
    Refusal("exemption without kind", "township", "/exemptions/new?child={child}",
            {"kind": "", "reason": "病", "applied_on": "", "valid_until": ""}, "请选择缓学、免学或休学。", "kind",
            lambda w: {"child": w.county.own.id}),
    Refusal("approve twice", "township", "/exemptions/{exemption}/approve", {}, "只有待审批的申请才能批准。", TOP,
            lambda w: w.exemption("approved")),
    Refusal("refuse an approved one", "township", "/exemptions/{exemption}/refuse", {}, "只有待审批的申请才能驳回。",
            TOP, lambda w: w.exemption("approved")),
    Refusal("file an application", "bureau", "/exemptions/{exemption}/file", {}, "只有已批准的才能备案。", TOP,
            lambda w: w.exemption("applied")),
    # 限期复学通知书
    Refusal("print no notice", "township", "/notices/batch.pdf", {"notice": "x"}, "请选择要打印的通知书。", TOP),
    Refusal("second notice", "township", "/cases/{case}/notice", {"return_school": "城关镇中心小学"},
            "本案卷已有生效的通知书。", TOP, lambda w: w.case_status("dropped_out")),
    Refusal("serve without method", "township", "/notices/{notice}/serve",
            {"served_on": "{today}", "method": "", "recipient": "监护人", "place": "家中", "server": "张三"},
            "请选择送达方式。", "method", lambda w: {**w.notice("issued"), "today": clock.today().isoformat()}),
    Refusal("serve a served notice", "township", "/notices/{notice}/serve",
            {"served_on": "{today}", "method": "直接送达", "recipient": "监护人", "place": "家中", "server": "张三"},
            "本通知书已送达或已失效。", TOP, lambda w: {**w.notice("served"), "today": clock.today().isoformat()}),
    Refusal("measure without kind", "township", "/notices/{notice}/measure", {"kind": ""}, "请选择措施。", "kind",
            lambda w: w.notice("overdue")),
    Refusal("measure before the deadline", "township", "/notices/{notice}/measure", {"kind": "further_order"},
            "只有逾期的通知书才能采取后续措施。", TOP, lambda w: w.notice("issued")),
    Refusal("penalty without a provision", "township", "/notices/{notice}/penalty", {"penalty": "warning"},
            "未配置省级条例中的处罚依据，不能作出行政处罚。", TOP, lambda w: w.notice("overdue")),
    Refusal("serve a prior notice without method", "township", "/penalties/{document}/serve",
            {"served_on": "{today}", "method": "", "recipient": "监护人", "place": "家中", "server": "张三"},
            "请选择送达方式。", "method",
            lambda w: {"document": w.work.document["own"].id, "today": clock.today().isoformat()}),
    Refusal("statement before service", "township", "/penalties/{document}/statement", {"kind": "none"},
            "请先记录事先告知书的送达。", TOP, lambda w: {"document": w.work.document["own"].id}),
    Refusal("decision before the statement", "township", "/penalties/{document}/decide",
            {"penalty": "warning", "decided_on": "{today}"},
            "处罚决定须在事先告知书送达、并记录当事人陈述申辩情况（或未提出）之后作出。", TOP,
            lambda w: {"document": w.work.document["own"].id, "today": clock.today().isoformat()}),
    Refusal("scan of nothing on a notice", "township", "/notices/{notice}/scans", {"kind": "signed"},
            "请选择要上传的扫描件：没有收到文件，或文件为空。", TOP, lambda w: w.notice("issued")),
    Refusal("scan of nothing on a prior notice", "township", "/penalties/{document}/scans", {"kind": "signed"},
            "请选择要上传的扫描件：没有收到文件，或文件为空。", TOP, lambda w: {"document": w.work.document["own"].id}),
    # The county calendar
    Refusal("school holiday ending before it starts", "bureau", "/calendar/",
            {"kind": "school_holiday", "name": "暑假", "starts_on": "2026-08-31", "ends_on": "2026-07-11"},
            "结束日期不能早于开始日期。", "ends_on"),
    Refusal("correct a served notice", "township", "/notices/{notice}/correct", {"return_school": "城关镇中心小学"},
            "只有未送达的通知书才能更正；已送达的请另行责令改正。", TOP, lambda w: w.notice("served")),
    # Registers in
    Refusal("import without file", "township", "/imports/", {"as_of": ""}, "请选择文件。", TOP),
    Refusal("cross-check nothing", "township", "/registers/", {}, "请上传户籍名单、学籍名单或残联名单。", TOP),
    Refusal("cross-check an empty list", "township", "/registers/",
            {"household": lambda: (io.BytesIO(b""), "户籍.csv")}, "文件是空的。", "household"),
    Refusal("flag nobody", "township", "/registers/{token}/flag", {}, "请至少勾选一名儿童。", TOP,
            World.crosscheck_upload),
    Refusal("take no category", "township", "/registers/{token}/disability", {}, "请至少勾选一名儿童。", TOP,
            World.crosscheck_upload),
    # The platform's pushed lists (核查)
    Refusal("pushed list without file", "township", "/verification/new", {"title": "名单", "due_on": ""},
            "请选择文件。", TOP),
    Refusal("pushed list of another township", "township", "/verification/new", {"title": "名单", "due_on": "{today}"},
            "是其他乡镇的儿童", TOP, lambda w: {"today": clock.today().isoformat(), "data": {"file": lambda: (
                io.BytesIO(csv_bytes([pushed_row(1, "王小芳", w.county.other.id_number)])), "名单.csv")}},
            writes=("background_task",)),  # refused by the task that reads the rows
    Refusal("verify without a result", "township", "/verification/row/{row}", {"result": ""}, "请选择核查结果。",
            "result", lambda w: {"row": pushed_list(w.county)["row_id"]["own"]}),
    Refusal("transfer without the school", "township", "/verification/row/{row}", {"result": "transferred"},
            "请填写转入学校。", "transfer_to", lambda w: {"row": pushed_list(w.county)["row_id"]["own"]}),
    Refusal("a case from a row whose child has one", "township", "/verification/row/{row}/case",
            {"case-absent_since": "{today}"}, "该儿童已有未销号的案卷。", "case-absent_since",
            lambda w: {"row": pushed_list(w.county)["row_id"]["own"], "today": clock.today().isoformat()}),
    # Monthly reports
    Refusal("generate a bad month", "bureau", "/reports/generate", {"month": "2026-13"},
            "请按“年-月”（YYYY-MM）填写月份，例如 2026-10。", TOP),
    Refusal("lock twice", "bureau", "/reports/{month}/lock", {}, "已锁定。", TOP, World.locked),
    Refusal("unlock without reason", "admin", "/reports/{month}/unlock", {"reason": "  "}, "请填写解锁原因。", TOP,
            World.locked),
    Refusal("intake not a number", "bureau", "/reports/{month}/intake", {"intake": "四十"}, "请以整数填写入学人数。",
            "intake", World.generated),
    Refusal("intake twice", "bureau", "/reports/{month}/intake", {"intake": "41"}, "年入学人数已录入过。", TOP,
            World.intake_entered),
    Refusal("submit a long comment", "teacher", "/reports/filing/report/{report}/submit", {"comment": LONG_COMMENT},
            f"最多 {monthly_reports.MAX_COMMENT} 个字符。", TOP, World.school_report),
    Refusal("approve an open report", "township", "/reports/filing/report/{report}/approve", {},
            "该月报当前不能进行此操作。", TOP, World.school_report),
    Refusal("return an open report", "township", "/reports/filing/report/{report}/return", {},
            "该月报当前不能进行此操作。", TOP, World.school_report),
    # 通报 and 督办函
    Refusal("bulletin of an open month", "bureau", "/bulletins/generate", {"month": "{month}"}, "尚未锁定", TOP,
            World.generated),
    Refusal("answer a letter with no note", "township", "/bulletins/letters/{letter}/answer", {"answer": " "},
            "请填写整改情况。", TOP, lambda w: {"letter": add_letter(w.county).id}),
    Refusal("accept an open letter", "bureau", "/bulletins/letters/{letter}/accept", {},
            "只有已答复的督办函才能验收。", TOP, lambda w: {"letter": add_letter(w.county).id}),
    Refusal("return a letter with no reason", "bureau", "/bulletins/letters/{letter}/return", {"reason": ""},
            "请填写退回理由。", TOP, lambda w: {"letter": add_letter(w.county, "answered").id}),
    # Places and accounts (the admin's)
    Refusal("township without name", "admin", "/places/township/new", {"name": ""}, "请填写名称。", "name"),
    Refusal("village without township", "admin", "/places/village/new", {"name": "新村", "township": ""},
            "请选择乡镇。", "township"),
    Refusal("school without kind", "admin", "/places/school/new",
            {"name": "新学校", "township": "{township}", "kind": ""}, "请选择学校类别。", "kind",
            lambda w: {"township": w.county.home_village.township_id}),
    Refusal("township renamed to nothing", "admin", "/places/township/{township}/edit", {"name": " "}, "请填写名称。",
            "name", lambda w: {"township": w.county.home_village.township_id}),
    Refusal("village moved nowhere", "admin", "/places/village/{village}/edit", {"name": "东街社区", "township": "0"},
            "请选择乡镇。", "township", lambda w: {"village": w.county.home_village.id}),
    Refusal("school of no kind", "admin", "/places/school/{school}/edit",
            {"name": "城关镇中心小学", "township": "{township}", "kind": "college"}, "请选择学校类别。", "kind",
            lambda w: {"school": w.county.home_school.id, "township": w.county.home_school.township_id}),
    Refusal("remove a township in use", "admin", "/places/township/{township}/delete", {}, "仍在使用中，不能删除。",
            TOP, lambda w: {"township": w.county.home_village.township_id}),
    Refusal("remove a village in use", "admin", "/places/village/{village}/delete", {}, "仍在使用中，不能删除。", TOP,
            lambda w: {"village": w.county.home_village.id}),
    Refusal("remove a school in use", "admin", "/places/school/{school}/delete", {}, "仍在使用中，不能删除。", TOP,
            lambda w: {"school": w.county.home_school.id}),
    Refusal("account without name", "admin", "/accounts/new",
            {"username": "", "password": "long enough password", "role": "bureau"}, "请填写用户名。", "username"),
    Refusal("disable oneself", "admin", "/accounts/{me}/toggle", {}, "不能停用自己的账号。", TOP,
            lambda w: {"me": w.county.users["admin"].id}),
]
# fmt: on

# POST routes with no refusal to test, and why. A new form goes in REFUSALS, not here.
EXCLUDED = {
    "/logout": "takes no input: there is nothing to refuse",
    "/accounts/<id:user_id>/password-change": "takes no input; only the admin may (test_access), an unknown account "
    "answers 404",
    "/calendar/<id:entry_id>/delete": "takes no input; who may remove an entry is an access rule (test_access), and "
    "an unknown entry answers 404",
    "/children/<id:child_id>/id-numbers": "takes no input; who may see full ID numbers is an access rule (403), tested "
    "in test_access and test_id_numbers",
    "/children/<id:child_id>/delete": "its one field (the reason) is optional free text, cut to 500 characters; who "
    "may remove a child is an access rule (403), tested in test_access",
    "/children/ledger.xlsx": "its fields are the children list's filters, read as the list reads them (malformed ones "
    "dropped, test_hostile_children); a second task while one runs is refused in test_tasks",
    "/ledgers/suspected.xlsx": "its fields are the 台账 page's filters, read as the page reads them (an unknown "
    "value filters nothing, test_ledgers); a second task while one runs is refused in test_tasks",
    "/ledgers/dropouts.xlsx": "as /ledgers/suspected.xlsx, for the 辍学 台账",
    "/cases/export.xlsx": "its fields are the cases list's filters, read as the list reads them (malformed ones "
    "dropped, test_hostile_children)",
    "/imports/<token>/commit": "takes no input; it starts the commit task, whose refusal (the register changed "
    "since the preview: nothing written) is on the task's page, tested in test_import",
    "/imports/<token>/check": "takes no input; it starts a new check of the stored upload (test_import)",
    "/verification/<id:list_id>/feedback": "takes no input; who may export a list's feedback is an access rule "
    "(test_access, test_pushed_lists)",
    "/tasks/<key>/cancel": "takes no input; a task that has started cannot be cancelled (test_tasks), an unknown one "
    "answers 404",
}
# URL parts that choose among several forms behind one rule, and where each view lists its choices.
CHOICES = {"action": "ACTIONS", "step": "STEPS", "kind": "FORMS"}


class Reasons(HTMLParser):
    """What a page says about a refusal: the texts at the top (.flash.error) and, beside the fields, each
    .field.has-error block's input names with its p.error texts."""

    VOID = frozenset(
        ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr")
    )

    def __init__(self, page):
        super().__init__()
        self.stack, self.top, self.fields = [], [], []
        self.feed(page)
        self.close()

    def _blocks(self):
        return [entry for entry in self.stack if "names" in entry]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        if tag in ("input", "select", "textarea") and attrs.get("name"):
            for block in self._blocks():
                block["names"].add(attrs["name"])
        if tag in self.VOID:
            return
        entry = {"tag": tag, "classes": classes, "text": []}
        if {"field", "has-error"} <= classes:
            entry.update(names=set(), errors=[])
        self.stack.append(entry)

    def handle_data(self, data):
        for entry in self.stack:
            entry["text"].append(data)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            entry = self.stack.pop()
            text = " ".join("".join(entry["text"]).split())
            if {"flash", "error"} <= entry["classes"]:
                self.top.append(text)
            elif entry["tag"] == "p" and "error" in entry["classes"] and self._blocks():
                self._blocks()[-1]["errors"].append(text)
            if "names" in entry:
                self.fields.append((entry["names"], entry["errors"]))
            if entry["tag"] == tag:
                break

    def beside(self, name):
        return [error for names, errors in self.fields if name in names for error in errors]


def database_rows(skip=()):
    """Every row of every table (but `skip`), to compare before and after a refusal."""
    with database.connection_context():
        return {
            table: sorted(repr(row) for row in database.execute_sql(f'SELECT * FROM "{table}"').fetchall())
            for table in database.get_tables()
            if table not in skip and not table.startswith("sqlite_")
        }


def _filled(value, params):
    if callable(value):
        return value()
    return value.format_map(params) if isinstance(value, str) else value


def _shows_the_reason(page, row):
    reasons = Reasons(page)
    shown = reasons.top if row.at == TOP else reasons.beside(row.at)
    where = "at the top" if row.at == TOP else f"beside {row.at}"
    assert any(row.reason in text for text in shown), (
        f"{row.reason!r} not {where}: top {reasons.top}, fields {reasons.fields}"
    )
    if BANNER in reasons.top:
        beside = [error for _names, errors in reasons.fields for error in errors]
        assert [text for text in reasons.top if text != BANNER] + beside, "the generic banner with no reason"


@pytest.mark.parametrize("row", [pytest.param(row, id=row.name, marks=row.marks) for row in REFUSALS])
def test_a_refused_form_says_why_and_changes_nothing(app, client, row):
    world = World(app, client)
    if row.role:
        login(client, world.county.users[row.role])
    params = defaultdict(str, row.prepare(world) if row.prepare else {})
    data = {key: _filled(value, params) for key, value in {**row.data, **params.pop("data", {})}.items()}
    data["csrf_token"] = csrf_token(client, "/" if row.role else "/login")
    before = database_rows(skip=row.writes)
    response = client.post(row.url.format_map(params), data=data, content_type="multipart/form-data")
    assert database_rows(skip=row.writes) == before, "a refusal changed the database"
    if response.status_code in (302, 303):
        followed = client.get(response.headers["Location"], follow_redirects=True)
        assert followed.status_code < 500
        page = followed.get_data(as_text=True)
    else:
        assert 400 <= response.status_code < 500, response.status_code
        page = response.get_data(as_text=True)
    _shows_the_reason(page, row)


def _route_key(rule, args):
    return rule, tuple(sorted((name, str(value)) for name, value in args.items() if name in CHOICES))


def test_every_post_route_has_a_refusal_row_or_a_stated_exclusion(app):
    adapter = app.url_map.bind("localhost")
    dummy = defaultdict(lambda: "1", token="0" * 32)
    covered = set()
    for row in REFUSALS:
        rule, args = adapter.match(row.url.format_map(dummy).split("?")[0], method="POST", return_rule=True)
        covered.add(_route_key(rule.rule, args))
    expected = set()
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule in EXCLUDED:
            continue
        module = sys.modules[app.view_functions[rule.endpoint].__module__]
        variants = [{}]
        for name in sorted(rule.arguments & CHOICES.keys()):
            variants = [{**v, name: choice} for v in variants for choice in getattr(module, CHOICES[name])]
        expected |= {_route_key(rule.rule, variant) for variant in variants}
    missing = sorted(expected - covered)
    assert not missing, "POST routes without a refusal row in REFUSALS: " + ", ".join(
        rule + "".join(f" {name}={value}" for name, value in choice) for rule, choice in missing
    )
    assert set(EXCLUDED) <= {rule.rule for rule in app.url_map.iter_rules()}, "an exclusion names no route"
