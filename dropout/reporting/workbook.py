"""控辍保学月报 as an .xlsx workbook (MonthReportData in, bytes out): one sheet per section, numbers as numbers."""

import io

import xlsxwriter

TITLE_ROWS = 3  # title, section, who and when; the headers start below


def render_month_workbook(data):
    """The workbook of a unit's month; the same data gives the same bytes (the creation time is the data's)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties(
        {
            "title": f"{data.title}（{data.month_text}）",
            "author": data.county_name,
            "created": data.stamp.replace(tzinfo=None),
        }
    )
    formats = _formats(workbook)
    _indicators_sheet(workbook, data, formats)
    for table in data.tables:
        _table_sheet(workbook, data, table, formats)
    _trend_sheet(workbook, data, formats)
    if data.ranking is not None:
        _table_sheet(workbook, data, data.ranking, formats)
    workbook.close()
    return buffer.getvalue()


def _formats(workbook):
    border = {"border": 1, "valign": "vcenter"}
    return {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "section": workbook.add_format({"bold": True, "font_size": 12}),
        "info": workbook.add_format({"font_color": "#444444"}),
        "head": workbook.add_format(
            {**border, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#E8E8E8"}
        ),
        "text": workbook.add_format({**border, "text_wrap": True}),
        "count": workbook.add_format({**border, "num_format": "0"}),
        "rate": workbook.add_format({**border, "num_format": "0.00%"}),
        "note": workbook.add_format({"italic": True, "font_color": "#444444"}),
    }


def _start(workbook, data, sheet_name, title, formats):
    sheet = workbook.add_worksheet(sheet_name[:31])
    sheet.write_string(0, 0, f"{data.title}（{data.month_text}）", formats["title"])
    sheet.write_string(1, 0, title, formats["section"])
    locked = f"已锁定（{data.locked_text}）" if data.locked_text else "未锁定"
    sheet.write_string(
        2,
        0,
        f"统计单位：{data.unit_name}　统计期间：{data.period_text}　数据生成：{data.generated_text}　状态：{locked}",
        formats["info"],
    )
    return sheet


def _write(sheet, row, column, value, formats):
    """A count as a whole number, a percentage as a fraction shown with %, text as text."""
    if value is None:
        sheet.write_blank(row, column, None, formats["text"])
    elif isinstance(value, str):
        sheet.write_string(row, column, value, formats["text"])
    elif isinstance(value, float):
        sheet.write_number(row, column, value / 100, formats["rate"])
    else:
        sheet.write_number(row, column, value, formats["count"])


def _table_sheet(workbook, data, table, formats):
    sheet = _start(workbook, data, table.sheet, table.title, formats)
    row = TITLE_ROWS
    if table.groups:
        column = 0
        for label, span in table.groups:
            if span > 1:
                sheet.merge_range(row, column, row, column + span - 1, label, formats["head"])
            elif not table.columns[column]:
                sheet.merge_range(row, column, row + 1, column, label, formats["head"])
            else:
                sheet.write_string(row, column, label, formats["head"])
            column += span
        row += 1
    for column, header in enumerate(table.columns):
        if header or not table.groups:
            sheet.write_string(row, column, header, formats["head"])
    row += 1
    for values in table.rows:
        for column, value in enumerate(values):
            _write(sheet, row, column, value, formats)
        row += 1
    if table.note:
        sheet.write_string(row + 1, 0, table.note, formats["note"])
    text_columns = [i for i in range(len(table.columns)) if any(isinstance(r[i], str) for r in table.rows)] or [0]
    for column in range(len(table.columns)):
        sheet.set_column(column, column, 34 if column in text_columns else 11)
    sheet.freeze_panes(row - len(table.rows), 0)


def _indicators_sheet(workbook, data, formats):
    sheet = _start(workbook, data, "主要指标", "主要指标", formats)
    headers = ("指标", "分子", "分母", "比率", "标准", "标准方向", "结论", "一票否决", "还需劝返人数", "说明")
    for column, header in enumerate(headers):
        sheet.write_string(TITLE_ROWS, column, header, formats["head"])
    for row, indicator in enumerate(data.indicators, start=TITLE_ROWS + 1):
        verdict = "估算" if indicator.is_estimate else {True: "达标", False: "未达标", None: "无数据"}[indicator.met]
        values = (
            indicator.label,
            indicator.numerator,
            indicator.denominator,
            indicator.rate,
            indicator.threshold,
            "不低于" if indicator.higher_is_better else "不高于",
            verdict,
            "是" if indicator.is_veto else None,
            indicator.gap,
            indicator.note or None,
        )
        for column, value in enumerate(values):
            _write(sheet, row, column, value, formats)
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, len(headers) - 2, 12)
    sheet.set_column(len(headers) - 1, len(headers) - 1, 50)


def _trend_sheet(workbook, data, formats):
    sheet = _start(workbook, data, "近12个月趋势", f"近12个月趋势（{data.trend_title}）", formats)
    for column, header in enumerate(("月份", "月末在册辍学人数", "学年累计辍学率")):
        sheet.write_string(TITLE_ROWS, column, header, formats["head"])
    for row, point in enumerate(data.trend, start=TITLE_ROWS + 1):
        for column, value in enumerate((point.month, point.still_out, point.dropout_rate)):
            _write(sheet, row, column, value, formats)
    sheet.set_column(0, 2, 18)
