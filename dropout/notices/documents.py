"""限期复学通知书 as printed: the text from the editable template, the contacts made, the parties; and a stored
document's content read back. Plain data for pdf/, built from the records as they stand when the notice is issued.
"""

import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..models import HomeVisit, School, Township, Village
from ..pdf.data import NoticeData, Service
from ..rules import measures
from . import numbering

# How each kind of contact is named on the notice; only a visit to the home is a 上门家访.
CONTACT_WORDS = {"home": "上门家访", "phone": "电话联系", "video": "视频通话", "school": "在校谈话"}


def chinese_date(day):
    return f"{day.year}年{day.month}月{day.day}日"


def paragraphs(template_path, values):
    path = Path(template_path)
    env = Environment(loader=FileSystemLoader(str(path.parent)), undefined=StrictUndefined, autoescape=False)
    text = env.get_template(path.name).render(**values)
    return tuple(" ".join(block.split()) for block in text.split("\n\n") if block.strip())


def persuasion_visits(case):
    """The contacts made to bring the child back from this absence: not 送教上门 lessons, not follow-ups after an
    earlier return, not before the child left (again)."""
    return case.visits.where(
        ~HomeVisit.is_teaching & ~HomeVisit.is_followup & (HomeVisit.visited_on >= case.absent_since)
    )


def contact_by(user, config):
    """Who made a contact, as the notice names them: 城关镇人民政府, 城关镇中心小学,
    东村村民委员会."""
    if user.role == "teacher" and user.school_id:
        return School.get_by_id(user.school_id).name
    if user.role == "township" and user.township_id:
        return f"{Township.get_by_id(user.township_id).name}人民政府"
    if user.role == "village" and user.village_id:
        return f"{Village.get_by_id(user.village_id).name}村民委员会"
    return numbering.bureau_name(config)


def contacts_text(contacts):
    """'城关镇人民政府于2026年10月20日上门家访，
    城关镇中心小学于2026年10月12日、10月14日电话联系（共2次）'
    from (day, method, by) in the order they happened: each kind of contact named as what it was."""
    groups = {}
    for day, method, by in sorted(contacts):
        groups.setdefault((by, method), []).append(day)
    parts = []
    for (by, method), days in groups.items():
        dates = "、".join(chinese_date(day) for day in days)
        count = f"（共{len(days)}次）" if len(days) > 1 else ""
        parts.append(f"{by}于{dates}{CONTACT_WORDS.get(method, method)}{count}")
    return "，".join(parts)


def notice_values(config, issuer_name, child_name, absent_since, contacts, return_school):
    """The values the notice's text template is rendered with (the demo writes its notices from these too)."""
    return {
        "child_name": child_name,
        "absent_since": chinese_date(absent_since),
        "contacts_text": contacts_text(contacts),
        "home_visit_dates": [chinese_date(day) for day, method, _by in sorted(contacts) if method == "home"],
        "authority": issuer_name,
        "deadline_days": config["NOTICE_DEADLINE_DAYS"],
        "return_school": return_school,
        "province_regulation": config["PROVINCE_REGULATION"],
        "penalty_basis": measures.basis("penalty", config),
        "court_basis": measures.basis("court", config),
        "review_body": review_body(config),
    }


def review_body(config):
    """Where a review (行政复议) goes: the county government reviews its townships and its departments."""
    return config.get("REVIEW_BODY") or f"{config['COUNTY_NAME']}人民政府"


def build_data(
    case, township, number, issued_on, verify_code, config, return_school, version_note="", issuer="township"
):
    """The printed content of a notice, from the records as they stand (plain data, no models)."""
    child = case.child
    guardian = child.guardians.first()
    visits = persuasion_visits(case).order_by(HomeVisit.visited_on, HomeVisit.id)
    contacts = [(visit.visited_on, visit.method, contact_by(visit.user, config)) for visit in visits]
    authority = numbering.authority(issuer, township, config)
    values = notice_values(config, authority, child.name, case.absent_since, contacts, return_school)
    grade = f"{child.grade}年级" if child.grade else ""
    return NoticeData(
        authority=authority,
        title="限期复学通知书",
        number=number,
        version_note=version_note,
        guardian_name=guardian.name if guardian else "",
        guardian_relation=guardian.relation if guardian else "",
        guardian_address=child.address,
        guardian_phone=guardian.phone if guardian else "",
        child_name=child.name,
        child_sex={"M": "男", "F": "女"}.get(child.sex, ""),
        child_birth=chinese_date(child.birth_on),
        child_id_number=child.id_number or "",
        child_school=f"{child.school.name}{grade}" if child.school else "",
        paragraphs=paragraphs(config["NOTICE_TEMPLATE"], values),
        contacts=tuple(contact_lines(case)),
        issued_on=chinese_date(issued_on),
        verify_code=verify_code,
        verify_url=f"{config['PUBLIC_URL'].rstrip('/')}/verify/{verify_code}",
    )


def contact_lines(case):
    for label, person in (("乡镇联系人", case.cadre), ("学校联系人", case.teacher)):
        if person is not None:
            yield f"{label}：{person}"


def stored_data(record):
    """A notice's or a penalty document's stored printed content as a dict, its 送达回证 back as Service."""
    raw = json.loads(record.data)
    raw["service"] = Service(**{k: tuple(v) if k == "witnesses" else v for k, v in raw.get("service", {}).items()})
    return raw


def data_of(notice):
    """The stored printed content back as NoticeData."""
    raw = stored_data(notice)
    return NoticeData(**{k: tuple(v) if k in ("paragraphs", "contacts") else v for k, v in raw.items()})
