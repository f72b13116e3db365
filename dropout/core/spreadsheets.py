"""Spreadsheets out: streamed with xlsxwriter in constant-memory mode."""

import io

import xlsxwriter


def write_table(title, headers, rows):
    """An .xlsx workbook: a title row, the header, then one row per item; returns its bytes."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    sheet = workbook.add_worksheet()
    bold = workbook.add_format({"bold": True})
    sheet.write_string(0, 0, title, workbook.add_format({"bold": True, "font_size": 14}))
    for column, header in enumerate(headers):
        sheet.write_string(1, column, str(header), bold)
        sheet.set_column(column, column, max(10, len(str(header)) * 2))
    for index, row in enumerate(rows, start=2):
        for column, value in enumerate(row):
            if value is None:
                continue
            sheet.write_string(index, column, str(value))  # text: an ID number must never become a number
    workbook.close()
    return buffer.getvalue()
