"""Pushed lists (核查) for the tests: the platform's files as real .xlsx (xlsxwriter) and .csv, and their upload."""

import csv
import io
import json

import xlsxwriter
from conftest import csrf_token

from dropout import clock
from dropout.db import database
from dropout.models import PushedList, PushedRow

HEADERS = ["序号", "全国学籍号", "学生姓名", "身份证号码", "出生日期", "学校名称", "年级", "疑似辍学原因", "平台编号"]


def xlsx(rows, headers=HEADERS, title=None):
    """An .xlsx of the rows under the header (a title row above it when given); text stays text."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet("疑似辍学名单")
    table = ([[title]] if title else []) + [headers] + rows
    for r, cells in enumerate(table):
        for c, value in enumerate(cells):
            if isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            elif value is not None:
                sheet.write_string(r, c, value)
    workbook.close()
    return buffer.getvalue()


def csv_bytes(rows, headers=HEADERS, encoding="utf-8"):
    text = io.StringIO()
    csv.writer(text).writerows([headers] + rows)
    return text.getvalue().encode(encoding)


def row(number, name="", id_number="", student_number="", birth_on="", school="", grade="5", reason="连续旷课"):
    return [str(number), student_number, name, id_number, birth_on, school, grade, reason, f"P{number:05d}"]


def upload(client, data, name="名单.xlsx", title="2026年11月疑似辍学名单", due_on=None):
    """POST a pushed list as the logged-in user, through the task that reads it: the page it ends on, the lists with
    the new one (taken(page)), the form again (422: refused at once) or the failed task's page with the reason."""
    due_on = due_on or clock.today().isoformat()
    form = {
        "csrf_token": csrf_token(client, "/verification/new"),
        "title": title,
        "due_on": due_on,
        "file": (io.BytesIO(data), name),
    }
    response = client.post("/verification/new", data=form, content_type="multipart/form-data")
    response.request.input_stream.close()
    if response.status_code == 302:
        return client.get(response.headers["Location"], follow_redirects=True)
    return response


def taken(page):
    """Whether an upload ended on the lists, taken in."""
    return page.status_code == 200 and page.request.path == "/verification/"


def pushed_list(county):
    """The bureau's list of the access-test county: a row of its own child (城关镇) and one of the other (白马乡);
    {list_id, row_id: {target: id}}."""
    with database.connection_context():
        pushed = PushedList.create(
            title="测试名单",
            file_name="名单.csv",
            sha256="0" * 64,
            headers=json.dumps({"kind": "csv", "headers": HEADERS, "columns": {}}),
            due_on=clock.today(),
            row_count=2,
        )
        found = {}
        for number, target in enumerate(("own", "other"), start=2):
            child = getattr(county, target)
            found[target] = PushedRow.create(
                pushed_list=pushed,
                row_number=number,
                cells=json.dumps(row(number, child.name)),
                name=child.name,
                child=child,
                matched_by="name_birth",
                township=child.village.township_id,
            ).id
    return {"list_id": pushed.id, "row_id": found}
