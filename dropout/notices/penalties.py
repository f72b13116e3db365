"""The penalty chain after a missed deadline, as 行政处罚法 Arts. 44–45 and 62–64 require.

1. propose(): a 行政处罚事先告知书 tells the party the facts, reasons, basis and proposed penalty, and the
   rights to state a case and defend (陈述申辩) within N working days and, for a large fine, to a hearing.
2. record_service(): its 送达回证; the periods run from the day after service.
3. record_statement(): what the party said, the hearing held, or that nothing came.
4. decide(): the 行政处罚决定书, only after the periods have run, never heavier than proposed (Art. 45).

Each document is numbered in its issuer's series (the notice's issuer), printed and served like the notice.
Nothing here is offered until the province's penalty provision is configured (Art. 38).
"""

import dataclasses
import json

from flask_babel import gettext as _

from ..casework.cases import MAX_TEXT, record_event
from ..core import audit
from ..core import calendar as county_calendar
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import Escalation, PenaltyDocument
from ..pdf.data import DocumentData
from ..pdf.document import render_document
from ..rules import measures
from . import documents, notices, numbering

HEARING_REQUEST_DAYS = 5  # 行政处罚法 Art. 64: a hearing is asked for within five days of the prior notice
TITLES = {"prior": "行政处罚事先告知书", "decision": "行政处罚决定书"}
STATEMENT_KINDS = ("stated", "hearing", "none")


def _date(day):
    return documents.chinese_date(day) if day else ""


def _check_penalty(penalty, fine_amount, config, field="penalty"):
    """The penalty and amount checked against what the provision provides; (penalty, amount or None)."""
    offered = measures.penalties(config)
    if not offered:
        raise ValidationError({field: notices.unavailable_message("penalty")})
    if penalty not in offered:
        raise ValidationError({field: _("Choose a penalty the configured provision provides.")})
    if penalty == "warning":
        return penalty, None
    if not isinstance(fine_amount, int) or not 1 <= fine_amount <= config["FINE_MAX"]:
        raise ValidationError(
            {"fine_amount": _("Enter the fine in whole yuan, from 1 to %(max)d.", max=config["FINE_MAX"])}
        )
    return penalty, fine_amount


def _facts(notice, config):
    """The values every document of the chain states about the notice and the missed deadline."""
    data = documents.data_of(notice)
    return {
        "child_name": data.child_name,
        "absent_since": _date(notice.case.absent_since),
        "notice_authority": data.authority,
        "notice_number": notice.number,
        "notice_issued_on": _date(notice.issued_on),
        "notice_served_on": _date(notice.served_on),
        "deadline_on": _date(notice.deadline_on),
        "return_school": notice.return_school,
        "penalty_basis": measures.basis("penalty", config),
        "province_regulation": config["PROVINCE_REGULATION"],
        "review_body": documents.review_body(config),
    }, data


def _printed(kind, number, issued_on, notice_data, paragraphs, authority):
    address = f"，住{notice_data.guardian_address}" if notice_data.guardian_address else ""
    party = (
        f"当事人：{notice_data.guardian_name}，系{notice_data.child_name}之{notice_data.guardian_relation}{address}。"
    )
    return DocumentData(
        authority=authority,
        title=TITLES[kind],
        number=number,
        addressee=f"{notice_data.guardian_name}（{notice_data.child_name}之{notice_data.guardian_relation}）",
        party=party,
        paragraphs=paragraphs,
        issued_on=_date(issued_on),
    )


def _create(user, kind, notice, issued_on, penalty, fine_amount, build, config, **fields):
    """Number the document in its issuer's series and store it with its printed content."""
    township = notice.township
    series = numbering.series(kind, notice.issuer, township)
    seq = numbering.next_number(series, issued_on.year)
    number = numbering.format_number(kind, notice.issuer, township, issued_on.year, seq, config)
    data = build(number)
    return PenaltyDocument.create(
        notice=notice,
        case=notice.case,
        kind=kind,
        issuer=notice.issuer,
        series=series,
        year=issued_on.year,
        seq=seq,
        number=number,
        issued_on=issued_on,
        issued_by=user,
        penalty=penalty,
        fine_amount=fine_amount,
        data=json.dumps(dataclasses.asdict(data), ensure_ascii=False),
        **fields,
    )


def propose(user, notice, penalty, fine_amount, config, today):
    """Issue the 行政处罚事先告知书 for an overdue notice."""
    if not notices.may_act(user, notice):
        raise PermissionDenied()
    if "penalty" not in config["MEASURES"] or not measures.available("penalty", config):
        raise ValidationError({"notice": notices.unavailable_message("penalty")})
    if notice.status != "overdue":
        raise ValidationError({"notice": _("A penalty follows only a notice whose deadline has passed.")})
    if notice.penalty_documents.where(PenaltyDocument.kind == "prior").exists():
        raise ValidationError({"notice": _("A prior notice of a penalty has already been issued on this notice.")})
    penalty, fine_amount = _check_penalty(penalty, fine_amount, config)
    hearing = measures.hearing_offered(penalty, fine_amount, config)
    facts, notice_data = _facts(notice, config)
    authority = notice_data.authority
    values = {
        **facts,
        "authority": authority,
        "proposed": measures.penalty_text(penalty, fine_amount),
        "statement_days": config["STATEMENT_DAYS"],
        "hearing": hearing,
    }

    def build(number):
        return _printed(
            "prior",
            number,
            today,
            notice_data,
            documents.paragraphs(config["PRIOR_NOTICE_TEMPLATE"], values),
            authority,
        )

    with database.atomic():
        document = _create(user, "prior", notice, today, penalty, fine_amount, build, config, hearing_offered=hearing)
        record_event(user, notice.case, "penalty_proposed", today, {"document": document.id, "number": document.number})
    return document


def record_service(user, document, values, config, today):
    """The document's 送达回证; for a prior notice, the statement (and hearing) periods start the next day."""
    if not notices.may_act(user, document.notice):
        raise PermissionDenied()
    if document.served_on is not None:
        raise ValidationError({"document": _("This document has already been served.")})
    served_on, service = notices.check_service(values, document.issued_on, today)
    with database.atomic():
        document.served_on, document.service = served_on, service
        if document.kind == "prior":
            document.statement_due_on = county_calendar.add_working_days(served_on, config["STATEMENT_DAYS"])
            if document.hearing_offered:
                document.hearing_due_on = county_calendar.deadline(served_on, HEARING_REQUEST_DAYS)
        document.save()
        record_event(
            user, document.case, "penalty_served", served_on, {"document": document.id, "number": document.number}
        )
    return document


def periods_end(document):
    """The last day of the statement and hearing periods of a served prior notice."""
    return max(day for day in (document.statement_due_on, document.hearing_due_on) if day is not None)


def record_statement(user, document, kind, stated_on, text, today):
    """What the party said (stated), the hearing held (hearing), or that nothing came in time (none)."""
    if not notices.may_act(user, document.notice):
        raise PermissionDenied()
    if document.kind != "prior" or document.served_on is None:
        raise ValidationError({"document": _("Record the service of the prior notice first.")})
    if document.statement_kind is not None:
        raise ValidationError({"document": _("The party's statement has already been recorded.")})
    if kind not in STATEMENT_KINDS or (kind == "hearing" and not document.hearing_offered):
        raise ValidationError({"kind": _("Choose what came of the prior notice.")})
    text = (text or "").strip()
    if kind == "none":
        if today <= periods_end(document):
            raise ValidationError(
                {
                    "kind": _(
                        "The period to state a case runs until %(date)s: record that nothing came only after it.",
                        date=periods_end(document),
                    )
                }
            )
        stated_on, text = today, ""
    else:
        if stated_on is None or stated_on > today or stated_on < document.served_on:
            raise ValidationError(
                {
                    "stated_on": _(
                        "Enter the day, between the service of the prior notice (%(date)s) and today.",
                        date=document.served_on,
                    )
                }
            )
        if not text:
            raise ValidationError({"statement": _("Record what the party stated, or what the hearing found.")})
    if len(text) > MAX_TEXT:
        raise ValidationError({"statement": _("Too long: at most %(n)d characters.", n=MAX_TEXT)})
    with database.atomic():
        document.statement_kind, document.statement_on, document.statement, document.statement_by = (
            kind,
            stated_on,
            text,
            user,
        )
        document.save()
        record_event(user, document.case, "penalty_statement", stated_on, {"document": document.id, "kind": kind}, text)
    return document


def _statement_text(prior):
    hearing = "和要求听证" if prior.hearing_offered else ""
    if prior.statement_kind == "none":
        return f"你在规定期限内未提出陈述、申辩意见{hearing}。"
    if prior.statement_kind == "hearing":
        return f"你要求举行听证，本机关于{_date(prior.statement_on)}依法组织听证，听取了你的陈述、申辩意见。"
    return f"你于{_date(prior.statement_on)}提出了陈述、申辩意见，本机关已充分听取并进行了复核。"


def decide(user, prior, penalty, fine_amount, decided_on, review, config, today):
    """The 行政处罚决定书: only after the periods have run and the statement is on record."""
    notice = prior.notice
    if not notices.may_act(user, notice):
        raise PermissionDenied()
    if prior.kind != "prior" or prior.served_on is None or prior.statement_kind is None:
        raise ValidationError(
            {"document": _("A decision follows a served prior notice and the party's statement (or its absence).")}
        )
    if prior.decisions.exists():
        raise ValidationError({"document": _("The decision on this prior notice has already been made.")})
    end = periods_end(prior)
    if decided_on is None or decided_on > today or decided_on <= end or decided_on < prior.statement_on:
        raise ValidationError(
            {
                "decided_on": _(
                    "Enter the day of the decision: after the period to state a case (until %(date)s) "
                    "and not in the future.",
                    date=end,
                )
            }
        )
    penalty, fine_amount = _check_penalty(penalty, fine_amount, config)
    heavier = (prior.penalty == "warning" and penalty == "fine") or (
        penalty == "fine" and fine_amount > (prior.fine_amount or 0)
    )
    if heavier:
        raise ValidationError(
            {"penalty": _("The decision cannot be heavier than the penalty proposed in the prior notice.")}
        )
    review = (review or "").strip()
    if prior.statement_kind != "none" and not review:
        raise ValidationError({"review": _("State how the party's statement was considered (复核意见).")})
    if len(review) > MAX_TEXT:
        raise ValidationError({"review": _("Too long: at most %(n)d characters.", n=MAX_TEXT)})
    facts, notice_data = _facts(notice, config)
    values = {
        **facts,
        "authority": notice_data.authority,
        "decided": measures.penalty_text(penalty, fine_amount),
        "fine": penalty == "fine",
        "hearing": prior.hearing_offered,
        "prior_number": prior.number,
        "prior_issued_on": _date(prior.issued_on),
        "prior_served_on": _date(prior.served_on),
        "statement_text": _statement_text(prior),
        "review": review,
    }

    def build(number):
        paragraphs = documents.paragraphs(config["DECISION_TEMPLATE"], values)
        return _printed("decision", number, decided_on, notice_data, paragraphs, notice_data.authority)

    with database.atomic():
        decision = _create(user, "decision", notice, decided_on, penalty, fine_amount, build, config, prior=prior)
        Escalation.create(
            notice=notice,
            case=notice.case,
            kind="penalty",
            document_number=decision.number,
            decided_on=decided_on,
            decided_by=user,
            notes=values["decided"],
            document=decision,
        )
        record_event(
            user, notice.case, "measure", decided_on, {"kind": "penalty", "number": decision.number}, values["decided"]
        )
        audit.record(
            user,
            "decide",
            "penalty_document",
            decision.id,
            after={"number": decision.number, "penalty": penalty, "fine_amount": fine_amount},
            child_id=notice.case.child_id,
            reason=review,
        )
    return decision


def data_of(document):
    raw = documents.stored_data(document)
    return DocumentData(**{k: tuple(v) if k == "paragraphs" else v for k, v in raw.items()})


def pdf(document, config):
    """The document and its 送达回证 (blank, for the pen), the same bytes each time."""
    return render_document(data_of(document), config["PDF_FONT"])


def can_decide(document, today):
    """Whether a decision may be made on the prior notice today (the page offers the form only then)."""
    return (
        document.kind == "prior"
        and document.statement_kind is not None
        and not document.decisions.exists()
        and today > periods_end(document)
    )
