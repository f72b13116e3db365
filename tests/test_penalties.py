"""The penalty chain: offered only with a configured provision; prior notice, statement, decision, as the law
requires (行政处罚法 Arts. 38, 44–45, 62–64, 67; 行政复议法 Art. 20; 行政诉讼法 Art. 46)."""

from datetime import date

import pytest
from conftest import csrf_token, login
from county import build_county
from test_notices import persuading_case, served

from dropout.core.errors import PermissionDenied, ValidationError
from dropout.models import AuditLog, CaseEvent, Escalation, PenaltyDocument, ReturnNotice
from dropout.notices import documents, notices, numbering, penalties

ISSUED = date(2026, 3, 20)
SERVED = date(2026, 3, 20)  # a Friday: the 7-day deadline is Friday 27 March
OVERDUE = date(2026, 3, 30)
BASIS = "《示例省义务教育条例》第四十八条"


@pytest.fixture
def county(app):
    return build_county()


@pytest.fixture
def configured(app):
    app.config.update(PENALTY_BASIS=BASIS, FINE_MAX=1000, HEARING_FINE_FROM=500, REVIEW_BODY="示例县人民政府")
    return app.config


def overdue_notice(county, config, issuer="township"):
    user = county.users["admin"] if issuer == "bureau" else county.users["township"]
    notice = notices.issue(user, persuading_case(county), config, ISSUED, issuer=issuer)
    notices.record_service(user, notice, served(notice, SERVED), config, SERVED)
    notices.check_deadlines(config, OVERDUE)
    return ReturnNotice.get_by_id(notice.id)


def serve(document, day, config, user):
    values = {
        "served_on": day,
        "method": "直接送达",
        "recipient": "监护人李小红",
        "place": "家中",
        "server": "张志强、刘芳",
    }
    return penalties.record_service(user, document, values, config, day)


def test_no_penalty_without_a_configured_provision(app, db, county):
    notice = overdue_notice(county, app.config)
    with pytest.raises(ValidationError) as caught:
        penalties.propose(county.users["township"], notice, "warning", None, app.config, OVERDUE)
    assert caught.value.errors["notice"] == "未配置省级条例中的处罚依据，不能作出行政处罚。"
    assert PenaltyDocument.select().count() == 0
    # Nor is it printed as a threat on the notice.
    assert "行政处罚" not in "".join(documents.data_of(notice).paragraphs)


def test_the_chain_of_a_warning(app, db, county, configured):
    user = county.users["township"]
    notice = overdue_notice(county, configured)
    prior = penalties.propose(user, notice, "warning", None, configured, OVERDUE)
    assert (prior.number, prior.hearing_offered) == ("城关镇罚告〔2026〕1号", False)
    text = "".join(penalties.data_of(prior).paragraphs)
    for expected in (
        notice.number,
        "2026年3月20日",
        BASIS,
        "给予警告",
        "陈述和申辩",
        "3个工作日内",
        "不因你的陈述、申辩而给予更重的处罚",
    ):
        assert expected in text, expected
    assert "听证" not in text  # a warning is not among the penalties of Art. 63

    # No decision before service, nor before the statement period has run.
    with pytest.raises(ValidationError):
        penalties.decide(user, prior, "warning", None, OVERDUE, "", configured, OVERDUE)
    with pytest.raises(ValidationError) as caught:  # a service date before the issue date
        serve(prior, date(2026, 3, 29), configured, user)
    assert "served_on" in caught.value.errors
    prior = serve(prior, date(2026, 3, 31), configured, user)  # Tuesday: 3 working days end on Friday 3 April
    assert prior.statement_due_on == date(2026, 4, 3) and prior.hearing_due_on is None
    with pytest.raises(ValidationError) as caught:  # "nothing came" only once the period has run
        penalties.record_statement(user, prior, "none", None, "", date(2026, 4, 3))
    assert "2026-04-03" in caught.value.errors["kind"]
    prior = penalties.record_statement(user, prior, "none", None, "", date(2026, 4, 7))
    with pytest.raises(ValidationError) as caught:  # the decision's day must follow the period
        penalties.decide(user, prior, "warning", None, date(2026, 4, 3), "", configured, date(2026, 4, 7))
    assert "decided_on" in caught.value.errors
    with pytest.raises(ValidationError):  # never heavier than proposed (Art. 45)
        penalties.decide(user, prior, "fine", 100, date(2026, 4, 7), "", configured, date(2026, 4, 7))
    assert Escalation.select().count() == 0

    decision = penalties.decide(user, prior, "warning", None, date(2026, 4, 7), "", configured, date(2026, 4, 7))
    assert decision.number == "城关镇罚决〔2026〕1号"
    text = "".join(penalties.data_of(decision).paragraphs)
    for expected in (
        notice.number,
        "2026年3月20日",
        prior.number,
        "2026年3月30日",
        "2026年3月31日",
        "未提出陈述、申辩意见",
        "决定：给予警告",
        "六十日内向示例县人民政府申请行政复议",
        "六个月内",
    ):
        assert expected in text, expected
    # A warning: nothing to pay, nothing to enforce.
    for absent in ("十五日内", "强制执行", "加处罚款", "听证"):
        assert absent not in text, absent
    measure = Escalation.get()
    assert (measure.kind, measure.document_number, measure.document_id) == ("penalty", decision.number, decision.id)
    kinds = [event.kind for event in CaseEvent.select().order_by(CaseEvent.id)]
    assert kinds[-4:] == ["penalty_proposed", "penalty_served", "penalty_statement", "measure"]
    assert AuditLog.get(AuditLog.action == "decide").entity_id == decision.id
    with pytest.raises(ValidationError):  # one decision per prior notice
        penalties.decide(user, prior, "warning", None, date(2026, 4, 7), "", configured, date(2026, 4, 7))


def test_a_fine_with_a_hearing_a_statement_and_the_payment_rules(app, db, county, configured):
    user = county.users["township"]
    notice = overdue_notice(county, configured)
    with pytest.raises(ValidationError) as caught:
        penalties.propose(user, notice, "fine", 5000, configured, OVERDUE)
    assert "1000" in caught.value.errors["fine_amount"]
    prior = penalties.propose(user, notice, "fine", 800, configured, OVERDUE)
    assert prior.hearing_offered
    assert "要求举行听证" in "".join(penalties.data_of(prior).paragraphs)
    prior = serve(prior, date(2026, 4, 1), configured, user)  # Wednesday
    # Three working days skip the Qingming holiday (4–6 April): Thursday 2, Friday 3, Tuesday 7 April.
    assert prior.statement_due_on == date(2026, 4, 7)
    assert prior.hearing_due_on == date(2026, 4, 7)  # 6 April is a holiday: moved to the next working day
    with pytest.raises(ValidationError) as caught:
        penalties.record_statement(user, prior, "stated", date(2026, 4, 2), "", date(2026, 4, 2))
    assert "statement" in caught.value.errors
    prior = penalties.record_statement(
        user, prior, "stated", date(2026, 4, 2), "家长称孩子在外地打工", date(2026, 4, 2)
    )
    with pytest.raises(ValidationError) as caught:  # still inside the period
        penalties.decide(user, prior, "fine", 500, date(2026, 4, 7), "理由不成立", configured, date(2026, 4, 7))
    with pytest.raises(ValidationError) as caught:  # a statement must be answered
        penalties.decide(user, prior, "fine", 500, date(2026, 4, 8), "", configured, date(2026, 4, 8))
    assert "review" in caught.value.errors
    decision = penalties.decide(
        user, prior, "fine", 500, date(2026, 4, 8), "监护人所述理由不能成立。", configured, date(2026, 4, 8)
    )
    text = "".join(penalties.data_of(decision).paragraphs)
    for expected in (
        "处以罚款人民币500元",
        "你于2026年4月2日提出了陈述、申辩意见",
        "经复核：监护人所述理由不能成立。",
        "十五日内",
        "强制执行",
        "要求听证",
    ):
        assert expected in text, expected


def test_the_bureau_issues_and_numbers_its_own_chain(app, db, county, configured):
    notice = overdue_notice(county, configured, issuer="bureau")
    assert notice.number == "示例县教育局控辍通〔2026〕1号"
    with pytest.raises(PermissionDenied):  # township staff do not act in the bureau's name
        penalties.propose(county.users["township"], notice, "warning", None, configured, OVERDUE)
    prior = penalties.propose(county.users["bureau"], notice, "warning", None, configured, OVERDUE)
    assert prior.number == "示例县教育局罚告〔2026〕1号"
    assert penalties.data_of(prior).authority == "示例县教育局"
    assert "示例县教育局于2026年3月20日作出《限期复学通知书》" in "".join(penalties.data_of(prior).paragraphs)


def test_the_chain_through_the_pages_and_its_printed_documents(app, client, county, configured, tmp_path):
    from test_notice_pages import pdftotext

    from dropout import clock

    today = clock.today()
    notice = overdue_notice(county, configured)
    login(client, county.users["township"])
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "行政处罚：先发出事先告知书" in page
    token = csrf_token(client, "/")
    response = client.post(
        f"/notices/{notice.id}/penalty", data={"csrf_token": token, "penalty": "fine", "fine_amount": "99999"}
    )
    assert response.status_code == 422 and "1 至 1000 元" in response.get_data(as_text=True)
    assert PenaltyDocument.select().count() == 0
    response = client.post(f"/notices/{notice.id}/penalty", data={"csrf_token": token, "penalty": "warning"})
    prior = PenaltyDocument.get()
    assert response.headers["Location"].endswith(f"/penalties/{prior.id}")
    page = client.get(f"/penalties/{prior.id}").get_data(as_text=True)
    assert prior.number in page and "登记送达（送达回证）" in page
    response = client.post(
        f"/penalties/{prior.id}/serve",
        data={
            "csrf_token": token,
            "served_on": "2099-01-01",
            "method": "直接送达",
            "recipient": "李",
            "place": "家",
            "server": "张",
        },
    )
    assert response.status_code == 422 and "送达日期不能晚于今天" in response.get_data(as_text=True)
    pdf = client.get(f"/penalties/{prior.id}.pdf")
    text = pdftotext(pdf.data, tmp_path).replace(" ", "")
    for expected in (
        "行政处罚事先告知书",
        prior.number,
        "城关镇人民政府",
        "送达回证",
        "陈述和申辩",
        "系李小红之母亲。",
    ):
        assert expected in text, expected
    assert client.get(f"/penalties/{prior.id}.pdf").data == pdf.data  # the same bytes on every print
    assert today >= OVERDUE  # the test's dates lie in the past of the county's clock


def test_the_templates_say_what_the_law_allows(app, db, county):
    """Every template, every measure and issuer: what each must and must not contain."""
    for issuer in ("township", "bureau"):
        for penalty_basis, court_basis in (("", ""), (BASIS, ""), (BASIS, "《示例省条例》第五十条")):
            app.config.update(
                PENALTY_BASIS=penalty_basis, COURT_BASIS=court_basis, FINE_MAX=1000, HEARING_FINE_FROM=500
            )
            authority = numbering.authority(issuer, county.home_village.township, app.config)
            values = documents.notice_values(
                app.config, authority, "李小红", ISSUED, [(ISSUED, "home", "学校")], "某小学"
            )
            text = "".join(documents.paragraphs(app.config["NOTICE_TEMPLATE"], values))
            assert "第五十八条" in text and "申请行政复议" in text and "提起行政诉讼" in text
            assert f"{authority}将依照有关法律法规" in text
            assert ("行政处罚" in text) == bool(penalty_basis), (issuer, penalty_basis)
            assert ("强制执行" in text) == bool(court_basis), (issuer, court_basis)
            for penalty, _amount, hearing in (("warning", None, False), ("fine", 200, False), ("fine", 800, True)):
                facts = {
                    "child_name": "李小红",
                    "absent_since": "2026年3月2日",
                    "notice_authority": "某机关",
                    "notice_number": "某〔2026〕1号",
                    "notice_issued_on": "2026年3月20日",
                    "notice_served_on": "2026年3月20日",
                    "deadline_on": "2026年3月27日",
                    "return_school": "某小学",
                    "penalty_basis": BASIS,
                    "province_regulation": "",
                    "review_body": "示例县人民政府",
                    "authority": authority,
                }
                prior = "".join(
                    documents.paragraphs(
                        app.config["PRIOR_NOTICE_TEMPLATE"],
                        {**facts, "proposed": "给予警告", "statement_days": 3, "hearing": hearing},
                    )
                )
                assert "第四十四条" in prior and "陈述和申辩" in prior and ("听证" in prior) == hearing
                decision = "".join(
                    documents.paragraphs(
                        app.config["DECISION_TEMPLATE"],
                        {
                            **facts,
                            "decided": "x",
                            "fine": penalty == "fine",
                            "hearing": hearing,
                            "prior_number": "告〔2026〕1号",
                            "prior_issued_on": "2026年3月30日",
                            "prior_served_on": "2026年3月31日",
                            "statement_text": "",
                            "review": "",
                        },
                    )
                )
                assert "告〔2026〕1号" in decision and "申请行政复议" in decision and "六个月内" in decision
                assert ("十五日内" in decision) == ("强制执行" in decision) == (penalty == "fine"), penalty
