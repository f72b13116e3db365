"""核查反馈: the list as received, every header and cell in place, with the verification appended in six columns,
in the format it came in (.xlsx written by xlsxwriter in constant-memory mode; .csv in UTF-8 with a BOM, which
Excel and the platform read). ID numbers stay as received: the file goes back to the platform, and its export is
audited. The appended columns are Chinese whatever the interface's language."""

import csv
import json
from datetime import date, datetime

import xlsxwriter
from flask_babel import force_locale

from ..core import audit
from ..models import PushedRow
from ..rules.dates import local_date
from .lists import RESULTS, in_order, layout
from .read import from_json

APPENDED = ("核查结果", "核查说明", "转入学校", "核查单位", "核查人", "核查日期")
CHUNK = 2000


def file_name(pushed):
    kind = layout(pushed)["kind"]
    stem = pushed.file_name.rsplit(".", 1)[0] if "." in pushed.file_name else pushed.file_name
    return f"核查反馈-{stem or pushed.id}.{kind}"


def _rows(pushed, progress=None):
    """Each row with its township and verifier, in the file's order, read a chunk at a time (progress after each)."""
    query = in_order(pushed)
    last = done = 0
    while True:
        chunk = list(query.where(PushedRow.row_number > last).limit(CHUNK))
        yield from chunk
        done += len(chunk)
        if progress is not None:
            progress(done, pushed.row_count)
        if len(chunk) < CHUNK:
            return
        last = chunk[-1].row_number


def _appended(row, bureau, zone_name):
    if row.result is None:
        return [""] * len(APPENDED)
    verifier = row.verified_by
    with force_locale("zh_Hans_CN"):
        result = str(RESULTS[row.result])
    unit = row.township.name if row.township_id else bureau
    who = (verifier.full_name or verifier.username) if verifier else ""
    day = local_date(row.verified_at, zone_name).isoformat() if row.verified_at else ""
    return [result, row.note, row.transfer_to, unit, who, day]


def write(user, pushed, target, bureau, zone_name, progress=None):
    """Write the feedback file of the list to the path target; the export is audited (the file holds full ID
    numbers). Returns the rows written; progress(done, total) is told every CHUNK rows."""
    data = layout(pushed)
    headers = [*data["headers"], *APPENDED]
    width = len(data["headers"])
    count = 0
    if data["kind"] == "csv":
        with open(target, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(headers)
            for row in _rows(pushed, progress):
                cells = [_text(cell) for cell in json.loads(row.cells)]
                writer.writerow(cells + [""] * (width - len(cells)) + _appended(row, bureau, zone_name))
                count += 1
    else:
        count = _write_xlsx(pushed, target, headers, width, bureau, zone_name, progress)
    audit.record(user, "exported", "pushed_list", pushed.id, after={"feedback": file_name(pushed), "rows": count})
    return count


def _text(cell):
    cell = from_json(cell)
    if isinstance(cell, (date, datetime)):
        return cell.isoformat()
    return "" if cell is None else cell


def _write_xlsx(pushed, target, headers, width, bureau, zone_name, progress):
    workbook = xlsxwriter.Workbook(str(target), {"constant_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet("核查反馈")
    bold = workbook.add_format({"bold": True})
    day_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    time_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for column, header in enumerate(headers):
        sheet.write_string(0, column, str(header), bold if column >= width else None)
    count = 0
    for line, row in enumerate(_rows(pushed, progress), start=1):
        for column, value in enumerate(json.loads(row.cells)):
            cell = from_json(value)
            if cell is None or cell == "":
                continue
            if isinstance(cell, bool):
                sheet.write_boolean(line, column, cell)
            elif isinstance(cell, (int, float)):
                sheet.write_number(line, column, cell)
            elif isinstance(cell, datetime):
                sheet.write_datetime(line, column, cell, time_format)
            elif isinstance(cell, date):
                sheet.write_datetime(line, column, datetime(cell.year, cell.month, cell.day), day_format)
            else:
                sheet.write_string(line, column, str(cell))  # text stays text: an ID number never becomes a number
        for offset, value in enumerate(_appended(row, bureau, zone_name)):
            if value:
                sheet.write_string(line, width + offset, value)
        count += 1
    workbook.close()
    return count
