"""The plain data a notice and its proof of service are printed from (built by services/notices)."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Service:
    """送达回证 fields; empty strings when the notice has not been served yet (a blank form to fill by hand)."""

    method: str = ""  # 直接送达 / 交成年家属代收 / 留置送达 / 邮寄 / 电子送达
    recipient: str = ""
    place: str = ""
    served_at: str = ""  # e.g. 2026年3月9日 10时30分
    server: str = ""
    refusal_reason: str = ""  # 留置送达 only
    witnesses: tuple = ()  # 留置送达: two names


@dataclass(frozen=True)
class NoticeData:
    """Everything printed on one 限期复学通知书 and its 送达回证, already formatted as text."""

    authority: str  # 城关镇人民政府
    title: str  # 限期复学通知书
    number: str  # 城关镇控辍通〔2026〕12号
    version_note: str  # "" or "（更正件，第2版，代替2026年3月9日印发的版本）"
    guardian_name: str
    guardian_relation: str
    guardian_address: str
    guardian_phone: str
    child_name: str
    child_sex: str
    child_birth: str  # 2015年3月14日
    child_id_number: str
    child_school: str  # 城关镇中心小学五年级
    paragraphs: tuple  # the body, rendered from the county's editable text template
    contacts: tuple  # ("联系人：张志强 电话：…", "学校联系人：…")
    issued_on: str  # 2026年3月9日
    verify_code: str  # ABCD-EFGH
    verify_url: str  # https://…/verify/ABCD-EFGH
    service: Service = field(default_factory=Service)


@dataclass(frozen=True)
class DecisionData:
    """A decision that follows a missed deadline (e.g. 行政处罚决定书), printed like the notice."""

    authority: str
    title: str
    number: str
    party: str  # 当事人：name, relation to the child, address
    paragraphs: tuple  # from the county's editable text template
    issued_on: str
