"""The plain data the printed documents are made from: notices and penalty documents (dropout/notices), monthly
reports (dropout/reporting)."""

from dataclasses import dataclass, field
from datetime import datetime


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
    # Set only when a superseded version is printed again (never stored): what replaced it, e.g. "已被同号更正件
    # 第2版（2026年11月29日印发）取代"; every page of it then carries a large 作废.
    void_note: str = ""

    @property
    def addressee(self):
        """受送达人 on the 送达回证."""
        return f"{self.guardian_name}（{self.child_name}之{self.guardian_relation}）"


@dataclass(frozen=True)
class DocumentData:
    """A document of the penalty chain (行政处罚事先告知书, 行政处罚决定书), printed like the notice with its own
    送达回证."""

    authority: str
    title: str
    number: str
    addressee: str  # 受送达人: 王某（王小明之父亲）
    party: str  # 当事人：name, relation to the child, address
    paragraphs: tuple  # from the county's editable text template
    issued_on: str
    service: Service = field(default_factory=Service)


@dataclass(frozen=True)
class ReportTable:
    """One table of a monthly report, with its values as they are (for print and for the spreadsheet).

    `groups` are the spanning headers above `columns`, as (label, span) pairs; a column whose header
    is empty under a group of span 1 takes the group's label over both header rows. A value is an
    int (a count), a float (a percentage, 0–100), a str, or None (nothing to show).
    """

    title: str  # 学生变动情况
    sheet: str  # the spreadsheet tab, at most 31 characters: 学生变动
    columns: tuple
    rows: tuple  # one tuple of values per row, the same length as `columns`
    groups: tuple = ()
    note: str = ""


@dataclass(frozen=True)
class IndicatorRow:
    """An indicator of the month against its threshold; `rate` and `met` are None when there is no denominator,
    `met` also for an estimate (never judged)."""

    label: str
    numerator: int
    denominator: int | None  # None: not known (a retention rate without an intake)
    rate: float | None  # percent
    threshold: float  # percent
    higher_is_better: bool
    met: bool | None
    is_veto: bool = False  # 一票否决
    is_estimate: bool = False  # 估算, shown for information
    gap: int | None = None  # missed: children who would have to return for it to be met
    note: str = ""  # 还需劝返 N 人方可达标; where the intake came from; why there is no rate


@dataclass(frozen=True)
class TrendPoint:
    """One month of the trend chart; None for a month that was not generated."""

    month: str  # 2026-10
    label: str  # 10月
    still_out: int | None
    dropout_rate: float | None  # percent, school year to date


@dataclass(frozen=True)
class MonthReportData:
    """Everything printed on a unit's monthly report (控辍保学月报), already in Chinese."""

    county_name: str  # 示例县
    unit_name: str  # 示例县 or 城关镇
    title: str  # 示例县控辍保学月报
    month_text: str  # 2026年10月
    period_text: str  # 2026年10月1日至2026年10月31日
    generated_text: str  # 2026年11月1日 09:30
    locked_text: str  # "" while the month is not locked
    stamp: datetime  # when the figures were generated (UTC), written into the files' metadata
    indicators: tuple  # IndicatorRow, in display order
    tables: tuple  # ReportTable, in display order
    trend_title: str  # 2025年11月至2026年10月
    trend: tuple  # TrendPoint, oldest first
    ranking: ReportTable | None = None  # the county's report only: its townships ranked
