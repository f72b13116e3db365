"""Hostile workbooks (issue 13, item 1): a file is checked before anything reads it.

The zip bomb is built here the way an attacker would: a real .xlsx whose xl/sharedStrings.xml is
300 MB of one character, written a block at a time so the test never holds it. The memory test posts
the hostile files to the real pages from a separate process and reads that process's peak memory.
"""

import io
import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from conftest import csrf_token, login, valid_id
from county import build_county
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from dropout.core.errors import ValidationError
from dropout.db import database
from dropout.models import Child
from dropout.roster import limits as workbook_limits

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
NOTHING_CHANGED = "未作任何更改"
TOO_BIG = "解压后超过 100 MB，或压缩比异常"
DAMAGED = "已损坏或不是真正的 .xlsx 文件"
TOO_MANY_CELLS = "有工作表超过 200000 行或 2000000 个单元格"
LONG_TEXT = "文字超过 Excel 允许的长度"
PAGES = ("imports", "registers")
# The roster's and the household list's headers both start with these.
HEADER = ["姓名", "身份证号", "出生日期", "乡镇", "村(社区)", "学校"]


@pytest.fixture
def county(app):
    return build_county()


def legit_xlsx(path, rows=20):
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("名册")
    sheet.write_row(0, 0, HEADER)
    for row in range(1, rows + 1):
        sheet.write_row(row, 0, [f"儿童{row}", valid_id(), "2015-03-14", "城关镇", "东街社区", "城关镇中心小学"])
    workbook.close()
    return path


def one_cell_xlsx(path, text="x"):
    workbook = xlsxwriter.Workbook(str(path))
    workbook.add_worksheet("名册").write_string(0, 0, text)
    workbook.close()
    return path


def replace_members(source, target, members):
    """Copy the workbook at source to target with some members replaced: {name: bytes, or a function
    given the open member to write to}."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename not in members:
                new.writestr(info.filename, old.read(info.filename))
        for name, content in members.items():
            if callable(content):
                with new.open(name, "w") as member:
                    content(member)
            else:
                new.writestr(name, content)
    return target


def zip_bomb(tmp_path, mb=300, name="bomb.xlsx"):
    """A real .xlsx whose one cell is a shared string of mb MB of "A", written a megabyte at a time."""
    block = b"A" * MB

    def shared_strings(member):
        member.write(
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.'
            b'openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
        )
        for _ in range(mb):
            member.write(block)
        member.write(b"</t></si></sst>")

    source = one_cell_xlsx(tmp_path / "one.xlsx")
    return replace_members(source, tmp_path / name, {"xl/sharedStrings.xml": shared_strings})


def declare_size(path, name, size):
    """Make the zip's local header and central directory both say the member unpacks to size bytes."""
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo(name)
    struct.pack_into("<L", data, info.header_offset + 22, size)
    end = data.rfind(b"PK\x05\x06")
    at = struct.unpack_from("<L", data, end + 16)[0]
    while data[at : at + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, at + 28)
        if data[at + 46 : at + 46 + name_length] == name.encode():
            struct.pack_into("<L", data, at + 24, size)
        at += 46 + name_length + extra_length + comment_length
    path.write_bytes(bytes(data))
    return path


def lying_header(tmp_path):
    """The bomb, its sharedStrings.xml declared as 2 KB: only unpacking it tells."""
    path = declare_size(zip_bomb(tmp_path, mb=150, name="lying.xlsx"), "xl/sharedStrings.xml", 2048)
    assert zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml").file_size == 2048
    return path


def many_members(tmp_path, count=1001):
    source = legit_xlsx(tmp_path / "base.xlsx")
    return replace_members(source, tmp_path / "many.xlsx", {f"xl/media/pad{n}.bin": b"" for n in range(count)})


def far_cells(tmp_path):
    """Two cells, A1 and row 100,001 column CW: a 5 KB file, a grid of ten million cells."""
    workbook = xlsxwriter.Workbook(str(tmp_path / "far.xlsx"))
    sheet = workbook.add_worksheet("名册")
    sheet.write_row(0, 0, HEADER)
    sheet.write_string(100_000, 100, "x")
    workbook.close()
    return tmp_path / "far.xlsx"


def cells_without_address(tmp_path):
    """Cells without an address, spelt with odd spacing and quotes: calamine places each after the last."""
    sheet = (
        b"<?xml version='1.0' encoding='UTF-8'?>\r\n<worksheet xmlns = 'http://schemas.openxmlformats.org/"
        b"spreadsheetml/2006/main'><sheetData>\n<row>" + b"<c\t><v>1</v></c>" * 3000 + b"</row>\n"
        b"<row  r = '150000' ><c><v>2</v></c></row></sheetData></worksheet>"
    )
    source = one_cell_xlsx(tmp_path / "one.xlsx")
    return replace_members(source, tmp_path / "unaddressed.xlsx", {"xl/worksheets/sheet1.xml": sheet})


def sheet_behind_junk(tmp_path):
    """The cells above behind a picture's first bytes, which calamine skips as it looks for the first tag."""
    source = cells_without_address(tmp_path)
    sheet = zipfile.ZipFile(source).read("xl/worksheets/sheet1.xml")
    return replace_members(source, tmp_path / "junk.xlsx", {"xl/worksheets/sheet1.xml": b"\x89PNG\r\n\x1a\n" + sheet})


def compound_file(name, stream):
    """A compound file (what an .xls is) holding one stream of at least 4 KB, in 512-byte sectors."""
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    stream += bytes(-len(stream) % 512)
    count = len(stream) // 512
    assert len(stream) >= 4096 and count + 2 <= 128
    fat = [0xFFFFFFFD, end] + [2 + n + 1 if n < count - 1 else end for n in range(count)]
    fat += [free] * (128 - len(fat))

    def entry(title, kind, child, start, size):
        encoded = (title + "\0").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB3L", len(encoded), kind, 1, free, free, child)
            + bytes(36)
            + struct.pack("<3L", start, size, 0)
        )

    directory = entry("Root Entry", 5, 1, end, 0) + entry(name, 2, free, 2, len(stream))
    directory = directory.ljust(512, b"\0")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<9L", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<109L", 0, *[free] * 108)
    )
    return header + struct.pack("<128L", *fat) + directory + stream


def biff(*cells):
    """A BIFF8 workbook stream: the globals, then one sheet with a number in each (row, column)."""

    def record(kind, body=b""):
        return struct.pack("<HH", kind, len(body)) + body

    bof = record(0x0809, struct.pack("<HHHH8x", 0x0600, 0x0005, 0, 1997))
    sheet_at = len(bof) + 4 + 9 + 4  # after the globals' BOF, BOUNDSHEET (named "S") and EOF
    globals_ = bof + record(0x0085, struct.pack("<LBBBB", sheet_at, 0, 0, 1, 0) + b"S") + record(0x000A)
    assert len(globals_) == sheet_at
    cells = b"".join(record(0x0203, struct.pack("<HHHd", row, column, 15, 1.0)) for row, column in cells)
    stream = globals_ + record(0x0809, struct.pack("<HHHH8x", 0x0600, 0x0010, 0, 1997)) + cells + record(0x000A)
    return stream.ljust(4096, b"\0")


def far_cells_xls(tmp_path):
    """An .xls of two numbers, A1 and row 60,001 column GS: 5 KB, a grid of twelve million cells."""
    path = tmp_path / "far.xls"
    path.write_bytes(compound_file("Workbook", biff((0, 0), (60_000, 200))))
    return path


def one_text_everywhere(tmp_path):
    """One 30,000-character text in 2,000 cells: 200 KB packed, each cell its own copy once read."""
    workbook = xlsxwriter.Workbook(str(tmp_path / "repeated.xlsx"))
    sheet = workbook.add_worksheet("名册")
    text = "控辍保学" * 7500
    for row in range(2000):
        sheet.write_string(row, 0, text)
    workbook.close()
    return tmp_path / "repeated.xlsx"


def long_text(tmp_path):
    """One cell of 100,000 characters, which Excel itself would cut at 32,767."""
    shared = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>' + "长" * 100_000 + "</t></si></sst>"
    )
    source = one_cell_xlsx(tmp_path / "one.xlsx")
    return replace_members(source, tmp_path / "long.xlsx", {"xl/sharedStrings.xml": shared.encode()})


def post(client, page, path, name=None):
    """Post a file as the page's form does (the body built in memory, as in the import tests)."""
    url = f"/{page}/"
    field = "file" if page == "imports" else "household"
    content = Path(path).read_bytes()
    fields = {
        "csrf_token": csrf_token(client, url),
        field: FileStorage(io.BytesIO(content), filename=name or "名册.xlsx"),
    }
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def stored(app):
    folder = Path(app.config["UPLOADS_DIR"])
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def children():
    with database.connection_context():
        return Child.select().count()


def assert_refused(app, client, page, path, message, name=None):
    """Refused with the message and nothing kept or changed: at upload (422) when the workbook's bounds are passed,
    or by the task that reads it (its page, failed) when a CSV's rows are."""
    before = children()
    response = post(client, page, path, name)
    if response.status_code == 302:
        response = client.get(response.headers["Location"])
        assert response.request.path.startswith("/tasks/") and "失败" in response.get_data(as_text=True)
    else:
        assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text and NOTHING_CHANGED in text
    assert stored(app) == []
    assert children() == before


HOSTILE = {
    "zip bomb": (zip_bomb, TOO_BIG),
    "a header that lies about the size": (lying_header, DAMAGED),
    "too many members": (many_members, "包含的部件超过 1000 个"),
    "two cells far apart": (far_cells, TOO_MANY_CELLS),
    "cells without an address": (cells_without_address, TOO_MANY_CELLS),
    "a sheet behind junk bytes": (sheet_behind_junk, TOO_MANY_CELLS),
    "an .xls with two cells far apart": (far_cells_xls, TOO_MANY_CELLS),
    "one long text in every cell": (one_text_everywhere, TOO_BIG),
    "a text longer than Excel allows": (long_text, LONG_TEXT),
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_workbook_is_refused_in_chinese_and_changes_nothing(app, client, county, tmp_path, page, kind):
    build, message = HOSTILE[kind]
    path = build(tmp_path)
    assert path.stat().st_size < 400 * 1024  # small files, all of them
    login(client, county.users["township"])
    assert_refused(app, client, page, path, message)


@pytest.mark.parametrize("page", PAGES)
def test_a_legitimate_workbook_and_csv_are_still_read(app, client, county, tmp_path, page):
    login(client, county.users["township"])
    response = post(client, page, legit_xlsx(tmp_path / "legit.xlsx", rows=300))
    assert response.status_code == 302, response.get_data(as_text=True)
    # A picture's bytes are no text and no cells, whatever "<" or "si>" they happen to hold.
    picture = b"\x89PNG\r\n\x1a\n" + os.urandom(2 * MB) + b"<" + b"\xff" * 300_000 + b"si>" + os.urandom(2 * MB)
    pictured = replace_members(tmp_path / "legit.xlsx", tmp_path / "pictured.xlsx", {"xl/media/image1.png": picture})
    response = post(client, page, pictured)
    assert response.status_code == 302, response.get_data(as_text=True)
    csv_path = tmp_path / "legit.csv"
    csv_path.write_text(
        ",".join(HEADER) + "\r\n" + f"儿童,{valid_id()},2015-03-14,城关镇,东街社区,城关镇中心小学\r\n",
        encoding="gb18030",
    )
    response = post(client, page, csv_path, "名册.csv")
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.mark.parametrize("page", PAGES)
def test_limits_are_settings(app, client, county, tmp_path, page):
    login(client, county.users["township"])
    legit = legit_xlsx(tmp_path / "legit.xlsx", rows=300)
    app.config["XLSX_MAX_MEMBERS"] = 5
    assert_refused(app, client, page, legit, "包含的部件超过 5 个")
    app.config.update(XLSX_MAX_MEMBERS=1000, SHEET_MAX_ROWS=100)
    assert_refused(app, client, page, legit, "有工作表超过 100 行")
    app.config.update(SHEET_MAX_ROWS=200_000, SHEET_MAX_CELLS=1000)
    assert_refused(app, client, page, legit, "1000 个单元格")
    app.config.update(SHEET_MAX_CELLS=2_000_000, XLSX_MAX_UNCOMPRESSED_MB=1)
    big = legit_xlsx(tmp_path / "big.xlsx", rows=20_000)
    assert_refused(app, client, page, big, "解压后超过 1 MB")
    app.config.update(XLSX_MAX_UNCOMPRESSED_MB=100, XLSX_MAX_RATIO=2)
    assert_refused(app, client, page, big, "压缩比异常")


@pytest.mark.parametrize("page", PAGES)
def test_csv_and_xls_have_their_bounds(app, client, county, tmp_path, page):
    login(client, county.users["township"])
    line = tmp_path / "line.csv"
    line.write_bytes(("姓名," + "长" * 100_000 + "\n").encode("utf-8"))
    assert_refused(app, client, page, line, "有一行超过 256 KB", "名册.csv")
    rows = tmp_path / "rows.csv"
    rows.write_text(",".join(HEADER) + "\n" + "儿童,,2015-03-14,城关镇,东街社区,\n" * 200, encoding="utf-8")
    app.config["SHEET_MAX_ROWS"] = 100
    assert_refused(app, client, page, rows, "该 CSV 文件超过 100 行", "名册.csv")
    app.config.update(SHEET_MAX_ROWS=200_000, SHEET_MAX_CELLS=500)
    assert_refused(app, client, page, rows, "500 个单元格", "名册.csv")
    app.config["SHEET_MAX_CELLS"] = 2_000_000
    quoted = tmp_path / "quoted.csv"  # every line short, one cell of 200 lines that csv itself refuses
    quoted.write_bytes(('姓名,身份证号\n"' + ("长" * 1000 + "\n") * 200 + '",1\n').encode())
    assert_refused(app, client, page, quoted, "引号未闭合", "名册.csv")
    app.config["XLSX_MAX_UNCOMPRESSED_MB"] = 1
    wide = tmp_path / "big.csv"
    wide.write_bytes((",".join(HEADER) + "\n").encode() + b"x" * 100 + (b"\n" + b"x" * 100) * 12_000)
    assert_refused(app, client, page, wide, "该 CSV 文件超过 1 MB", "名册.csv")
    app.config["XLS_MAX_MB"] = 1
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2 * MB))
    assert_refused(app, client, page, xls, "该 .xls 文件超过 1 MB", "名册.xls")


def test_an_xls_is_walked_for_its_last_cell(tmp_path):
    small = tmp_path / "small.xls"
    small.write_bytes(compound_file("Workbook", biff((0, 0), (300, 20))))
    assert workbook_limits.check(small) == "xls"
    with pytest.raises(ValidationError, match="200000"):
        workbook_limits.check(far_cells_xls(tmp_path))
    tall = tmp_path / "tall.xls"
    tall.write_bytes(compound_file("Book", biff((0, 0), (300, 20))))  # 301 rows, in Excel 5's stream name
    assert workbook_limits.check(tall, workbook_limits.Limits(max_rows=301)) == "xls"
    with pytest.raises(ValidationError, match="300 rows"):
        workbook_limits.check(tall, workbook_limits.Limits(max_rows=300))
    damaged = tmp_path / "damaged.xls"
    damaged.write_bytes(small.read_bytes()[:600])
    with pytest.raises(ValidationError, match="damaged"):
        workbook_limits.check(damaged)


def test_the_check_reads_members_a_block_at_a_time_whatever_they_declare(tmp_path):
    """Declared a little over the real size, or under it: both are a doctored zip."""
    legit = legit_xlsx(tmp_path / "legit.xlsx")
    assert workbook_limits.check(legit) == "xlsx"
    real = zipfile.ZipFile(legit).getinfo("xl/worksheets/sheet1.xml").file_size
    for size in (real - 1, real + 1):
        doctored = tmp_path / f"doctored{size}.xlsx"
        doctored.write_bytes(legit.read_bytes())
        declare_size(doctored, "xl/worksheets/sheet1.xml", size)
        with pytest.raises(ValidationError):
            workbook_limits.check(doctored)


# The memory a worker needs for a hostile upload: posted to the real pages from a process of its own,
# whose peak resident memory is read from /proc before and after.
WORKER = r"""
import io, json, sys, time
from pathlib import Path
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart
from conftest import PASSWORD, csrf_token
from dropout import create_app

settings, username, legit, files = json.loads(sys.argv[1])
app = create_app({"TESTING": True, "SECRET_KEY": "worker", **settings})
client = app.test_client()
response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(client)})
assert response.status_code == 302


def memory(name):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) * 1024


def post(page, path):
    url = f"/{page}/"
    field = "file" if page == "imports" else "household"
    content = Path(path).read_bytes()
    fields = {"csrf_token": csrf_token(client, url), field: FileStorage(io.BytesIO(content), filename="名册.xlsx")}
    boundary, body = encode_multipart(fields)
    started = time.monotonic()
    response = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    return response.status_code, time.monotonic() - started


for page in ("imports", "registers"):  # every module loaded, every page rendered once
    assert post(page, legit)[0] == 302
results = []
for page in ("imports", "registers"):
    for name, path in files.items():
        before = memory("VmRSS")
        try:
            Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from here
        except OSError:
            pass  # an older kernel: the peak since the start, on the safe side
        status, seconds = post(page, path)
        results.append({"page": page, "file": name, "status": status, "seconds": round(seconds, 3),
                        "growth_mb": round((memory("VmHWM") - before) / 2**20, 1)})
print(json.dumps(results))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak memory from /proc")
def test_a_worker_grows_by_less_than_200_mb_for_any_hostile_workbook(app, county, tmp_path):
    files = {kind: str(build(tmp_path)) for kind, (build, _message) in HOSTILE.items()}
    settings = {key: app.config[key] for key in ("DATABASE_URL", "REPORTS_DIR", "UPLOADS_DIR")}
    legit = str(legit_xlsx(tmp_path / "legit.xlsx", rows=300))
    argument = json.dumps([settings, county.users["township"].username, legit, files])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", WORKER, argument],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.splitlines()[-1])
    print(
        "\n".join(
            f"{r['page']:9} {r['file']:34} {r['status']} {r['seconds']:6.2f} s  +{r['growth_mb']} MB" for r in results
        )
    )
    assert len(results) == 2 * len(HOSTILE)
    assert all(r["status"] == 422 for r in results), results
    assert max(r["growth_mb"] for r in results) < 200, results
