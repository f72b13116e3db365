"""Pages per second of render_notices against bare reportlab laying out the same story, side by side.

Run:  .venv/bin/python scripts/bench_notices.py [--count N] [--repeat R]

Both sides use the same CJK fonts, registered once before timing. The bare side is a plain
SimpleDocTemplate with the same paragraphs and tables in the same fonts, without the numbered
canvas (page x of y), the QR code and seal drawing, or the invariant-mode settings. The sides run
alternately R times (default 3) and each side's best run counts. Exits 1 if ours is below 60 %
of bare (the target of issue 5).
"""

import argparse
import gc
import io
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.styles import ParagraphStyle  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table  # noqa: E402

from dropout.pdf import fonts  # noqa: E402
from dropout.pdf.data import NoticeData, Service  # noqa: E402
from dropout.pdf.notice import MARGINS, render_notices  # noqa: E402

TARGET = 0.60
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "小明红华军丽强芳伟敏静磊洋艳勇娟涛超霞平"


def sample_notices(count):
    """`count` notices that differ in names, numbers and codes, as a township's year might hold."""
    notices = []
    for i in range(count):
        child = SURNAMES[i % 20] + GIVEN[(i // 20) % 20] + GIVEN[(i * 7) % 20]
        guardian = SURNAMES[i % 20] + "建" + GIVEN[(i * 3) % 20]
        code = f"{i:04d}-{(i * 7919) % 10000:04d}"
        notices.append(
            NoticeData(
                authority="城关镇人民政府",
                title="限期复学通知书",
                number=f"城关镇控辍通〔2026〕{i + 1}号",
                version_note="",
                guardian_name=guardian,
                guardian_relation="父亲",
                guardian_address=f"城关镇桃园村{i % 9 + 1}组{i % 50 + 1}号",
                guardian_phone=f"138{i:08d}",
                child_name=child,
                child_sex="男女"[i % 2],
                child_birth=f"2014年{i % 12 + 1}月{i % 28 + 1}日",
                child_id_number=f"532621201403{i % 10000:04d}1X",
                child_school="城关镇中心小学六年级",
                paragraphs=(
                    f"经查，你的子女{child}自2026年2月24日起无正当理由未到校上课。2026年3月2日、3月5日，"
                    "镇村干部和学校教师两次上门劝返，至今未返校。",
                    "依据《中华人民共和国义务教育法》第五条第二款、第十一条和第五十八条、《中华人民共和国未成年人保护法》"
                    "第十六条的规定，适龄儿童、少年的父母或者其他法定监护人应当依法保证其按时入学接受并完成义务教育。",
                    f"请你自收到本通知书之日起7日内，送{child}到城关镇中心小学复学。",
                    "逾期不送子女复学的，本机关将依法采取进一步措施，直至申请人民法院依法处理。",
                ),
                contacts=("联系人：李志强　电话：0871-6512345", "学校联系人：王老师　电话：13987654321"),
                issued_on="2026年3月9日",
                verify_code=code,
                verify_url=f"https://dropout.example.cn/verify/{code}",
                service=Service(
                    method="直接送达",
                    recipient=guardian,
                    place="城关镇桃园村",
                    served_at="2026年3月10日 10时30分",
                    server="李志强",
                )
                if i % 2
                else Service(),
            )
        )
    return notices


def bare_pdf(notices, names):
    """The same paragraphs and tables, laid out by a plain SimpleDocTemplate with default canvas."""

    def style(name, font, size, leading, **kw):
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **kw)

    heading = style("h", names.heading, 22, 30, alignment=1)
    body = style("b", names.body, 12, 21, firstLineIndent=24)
    plain = style("p", names.body, 12, 21)
    cell = style("c", names.body, 11, 15)
    story = []
    for n in notices:
        addressee = f"{n.guardian_name}（{n.child_name}之{n.guardian_relation}）："
        story += [
            Paragraph(n.authority, style("a", names.heading, 16, 24, alignment=1)),
            Paragraph(n.title, heading),
            Paragraph(n.number, plain),
            Paragraph(addressee, plain),
        ]
        details = [
            ("学生姓名", n.child_name, "性别", n.child_sex),
            ("出生日期", n.child_birth, "身份证号", n.child_id_number),
            ("学校年级", n.child_school, "", ""),
            ("监护人住址", n.guardian_address, "", ""),
            ("联系电话", n.guardian_phone, "", ""),
        ]
        story.append(Table([[Paragraph(c, cell) for c in row] for row in details]))
        story += [Paragraph(p, body) for p in n.paragraphs + n.contacts]
        story += [Paragraph(n.authority, plain), Paragraph(n.issued_on, plain), PageBreak()]
        s = n.service
        rows = [
            ("送达机关", n.authority),
            ("送达文书名称及文号", n.title + n.number),
            ("受送达人", n.guardian_name),
            ("送达地点", s.place),
            ("送达时间", s.served_at),
            ("送达方式", s.method),
            ("收件人签名或盖章", s.recipient),
            ("代收人及代收理由", ""),
            ("送达人签名", s.server),
            ("留置送达情况", s.refusal_reason),
            ("备注", ""),
        ]
        story += [
            Paragraph("送达回证", heading),
            Table(
                [[Paragraph(a, cell), Paragraph(b, cell)] for a, b in rows],
                colWidths=[44 * mm, 112 * mm],
                rowHeights=[12 * mm] * 6 + [25 * mm] * 5,
            ),
            PageBreak(),
        ]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, **MARGINS).build(story[:-1])
    return buffer.getvalue()


def page_count(pdf):
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


def rate(render):
    """(pages per second, pages) of one run, started from a collected heap."""
    gc.collect()
    started = time.perf_counter()
    pages = page_count(render())
    return pages / (time.perf_counter() - started), pages


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="notices in the batch (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side; the best counts (default 3)")
    args = parser.parse_args()
    names = fonts.register()  # once per process, outside the timing, for both sides
    notices = sample_notices(args.count)
    bare = ours = 0.0
    for _ in range(args.repeat):  # alternating, so a busy moment on the machine hits both sides alike
        bare_run, bare_pages = rate(lambda: bare_pdf(notices, names))
        our_run, our_pages = rate(lambda: render_notices(notices))
        bare, ours = max(bare, bare_run), max(ours, our_run)
    ratio = ours / bare
    print(f"bare reportlab : {bare_pages:6d} pages  {bare:8.1f} pages/s")
    print(f"render_notices : {our_pages:6d} pages  {ours:8.1f} pages/s")
    print(f"ratio          : {ratio:.2f}  (target >= {TARGET:.2f})  {'ok' if ratio >= TARGET else 'TOO SLOW'}")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
