"""The self-evaluation extract as an .xlsx workbook, in Chinese: 指标, 台账完整性 with one sheet per check's cases,
通报与督办. Every cell is text or a number as printed in the PDF (pdf/self_evaluation.py words the verdicts)."""

import io

import xlsxwriter

from ..pdf.self_evaluation import (
    LETTER_STATUSES,
    figures_note,
    gap_summary,
    indicator_summary,
    month_text,
    rate_text,
    supervision_summary,
    threshold_text,
    verdict,
)

CASE_HEADERS = (("序号", 6), ("姓名", 10), ("身份证号", 21), ("乡镇", 12), ("村（社区）", 14), ("学校", 22))
CASE_HEADERS += (("案件号", 8), ("说明", 30))


class _Book:
    """The workbook's formats, and a sheet with its title, summary and header rows."""

    def __init__(self, buffer):
        self.workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        self.title = self.workbook.add_format({"bold": True, "font_size": 14})
        self.header = self.workbook.add_format({"bold": True, "border": 1, "align": "center", "bg_color": "#EEF1F5"})
        self.cell = self.workbook.add_format({"border": 1, "num_format": "@"})  # an ID number never a number
        self.number = self.workbook.add_format({"border": 1})
        self.missed = self.workbook.add_format({"border": 1, "font_color": "#B00000", "bold": True})

    def sheet(self, name, title, lines, headers):
        """A sheet: the title, the summary lines, then the header row; returns (sheet, the first data row)."""
        sheet = self.workbook.add_worksheet(name)
        sheet.write_string(0, 0, title, self.title)
        for row, line in enumerate(lines, start=1):
            sheet.write_string(row, 0, line)
        head = len(lines) + 2
        for column, (text, width) in enumerate(headers):
            sheet.set_column(column, column, width)
            sheet.write_string(head, column, text, self.header)
        sheet.freeze_panes(head + 1, 0)
        return sheet, head + 1

    def rows(self, sheet, first, rows, formats=None):
        for index, row in enumerate(rows):
            for column, value in enumerate(row):
                fmt = (formats or {}).get((index, column), self.cell)
                if isinstance(value, int):
                    sheet.write_number(first + index, column, value, self.number)
                else:
                    sheet.write_string(first + index, column, value or "", fmt)


def write_workbook(data):
    """The extract's .xlsx as bytes."""
    buffer = io.BytesIO()
    book = _Book(buffer)
    _indicators(book, data)
    _completeness(book, data)
    _supervision(book, data)
    book.workbook.close()
    return buffer.getvalue()


def _indicators(book, data):
    headers = (("指标", 30), ("分子", 10), ("分母", 10), ("比率", 10), ("标准", 10), ("结论", 8), ("一票否决", 9))
    headers += (("说明", 40),)
    lines = (figures_note(data), indicator_summary(data))
    sheet, first = book.sheet("指标", data.title, lines, headers)
    rows, formats = [], {}
    for index, (_code, row) in enumerate(data.indicators):
        denominator = "—" if row.denominator is None else row.denominator
        rate, threshold, veto = rate_text(row), threshold_text(row), "是" if row.is_veto else ""
        rows.append((row.label, row.numerator, denominator, rate, threshold, verdict(row), veto, row.note))
        if row.met is False:
            formats[(index, 5)] = book.missed
    book.rows(sheet, first, rows, formats)


def _completeness(book, data):
    headers = (("检查项", 30), ("件数", 8), ("名单所在表", 14), ("口径", 80))
    title = f"三本台账完整性（截至{data.as_of.isoformat()}）"
    sheet, first = book.sheet("台账完整性", title, (gap_summary(data),), headers)
    book.rows(sheet, first, [(gap.title, len(gap.cases), gap.sheet, gap.rule) for gap in data.gaps])
    for gap in data.gaps:
        listed, start = book.sheet(gap.sheet, f"{gap.title}：{len(gap.cases)}件", (gap.rule,), CASE_HEADERS)
        rows = [
            (number, c.name, c.id_number, c.township, c.village, c.school, c.case_id, c.note)
            for number, c in enumerate(gap.cases, start=1)
        ]
        book.rows(listed, start, rows)


def _supervision(book, data):
    headers = (("文号", 30), ("月份", 12), ("印发日期", 12), ("整改期限", 12), ("督办函件数", 10))
    sheet, first = book.sheet("通报与督办", "通报与督办", (supervision_summary(data),), headers)
    rows = [
        (b.number, month_text(b.month), b.issued_on.isoformat(), b.rectify_by.isoformat(), b.letters)
        for b in data.bulletins
    ]
    book.rows(sheet, first, rows)
    below = first + len(rows) + 1
    for column, text in enumerate(("督办函文号", "督办单位", "通报月份", "办理期限", "状态")):
        sheet.write_string(below, column, text, book.header)
    letters = [
        (
            letter.number,
            letter.unit,
            month_text(letter.month),
            letter.due_on.isoformat(),
            LETTER_STATUSES[letter.status] + ("（逾期）" if letter.is_overdue else ""),
        )
        for letter in data.letters
    ]
    overdue = {(index, 4): book.missed for index, letter in enumerate(data.letters) if letter.is_overdue}
    book.rows(sheet, below + 1, letters, overdue)
