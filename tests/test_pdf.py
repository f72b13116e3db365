"""Printed notices: CJK fonts embedded and subset, the right text on the right pages, the same bytes every time."""

import ast
import glob
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import segno

import dropout.pdf as pdf_package
from dropout.pdf import fonts, qr
from dropout.pdf.data import NoticeData, Service
from dropout.pdf.notice import render_notices
from dropout.pdf.qr import qr_modules

POPPLER = ("pdffonts", "pdftotext", "pdfinfo", "pdftoppm", "pdfimages")
pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in POPPLER), reason="poppler-utils (pdffonts, pdftotext, …) not installed"
)
DEADLINE = "请你自收到本通知书之日起7日内，送张小明到城关镇中心小学复学。"
NOTO_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/*CJK*.otf",
    "/usr/share/fonts/opentype/**/*CJK*",
)


def make_notice(**changes):
    """A served notice as notices/documents would build it; override any field."""
    notice = NoticeData(
        authority="城关镇人民政府",
        title="限期复学通知书",
        number="城关镇控辍通〔2026〕12号",
        version_note="",
        guardian_name="张建国",
        guardian_relation="父亲",
        guardian_address="城关镇桃园村三组27号",
        guardian_phone="13812345678",
        child_name="张小明",
        child_sex="男",
        child_birth="2014年3月14日",
        child_id_number="53262120140314001X",
        child_school="城关镇中心小学六年级",
        paragraphs=(
            "经查，你的子女张小明自2026年2月24日起无正当理由未到校上课。2026年3月2日、3月5日，"
            "镇村干部和学校教师两次上门劝返，至今未返校。",
            "依据《中华人民共和国义务教育法》第五条第二款、第十一条和第五十八条、《中华人民共和国未成年人保护法》"
            "第十六条的规定，适龄儿童、少年的父母或者其他法定监护人应当依法保证其按时入学接受并完成义务教育。",
            DEADLINE,
            "逾期不送子女复学的，本机关将依法采取进一步措施，直至申请人民法院依法处理。",
        ),
        contacts=("联系人：李志强　电话：0871-6512345", "学校联系人：王老师　电话：13987654321"),
        issued_on="2026年3月9日",
        verify_code="ABCD-EFGH",
        verify_url="https://dropout.example.cn/verify/ABCD-EFGH",
        service=Service(
            method="直接送达",
            recipient="张建国",
            place="城关镇桃园村三组27号",
            served_at="2026年3月10日 10时30分",
            server="李志强、赵敏",
        ),
    )
    return replace(notice, **changes)


def two_notices():
    """The second is unserved, so its 回证 is a blank form."""
    second = make_notice(
        number="城关镇控辍通〔2026〕13号",
        child_name="李小红",
        child_sex="女",
        guardian_name="李大山",
        verify_code="JKLM-NPQR",
        verify_url="https://dropout.example.cn/verify/JKLM-NPQR",
        service=Service(),
    )
    return [make_notice(), second]


def run(*command):
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def pdf(tmp_path):
    path = tmp_path / "notices.pdf"
    path.write_bytes(render_notices(two_notices()))
    return path


def test_cjk_fonts_are_embedded_and_subset(pdf):
    """Every font in the file is embedded and subset, and they are the Chinese fonts."""
    rows = run("pdffonts", str(pdf)).splitlines()[2:]
    assert rows
    for row in rows:
        emb, sub = row.split()[-5:-3]
        assert "TrueType" in row and (emb, sub) == ("yes", "yes"), row
    names = " ".join(row.split()[0] for row in rows)
    if os.path.exists(fonts.BODY_FONTS[0][0]):  # what ./scripts/test installs; elsewhere any CJK font will do
        assert "UMingCN" in names


def test_text_of_notice_and_proof_of_service(pdf):
    """Name, number, deadline, 回证 and the batch-wide page footer are there as text."""
    text = run("pdftotext", "-layout", str(pdf), "-")
    for expected in (
        "张小明",
        "李小红",
        "城关镇控辍通〔2026〕12号",
        "城关镇控辍通〔2026〕13号",
        "送达回证",
        "核验码：ABCD-EFGH",
        "第 1 页 共 4 页",
        "第 4 页 共 4 页",
    ):
        assert expected in text
    assert DEADLINE in run("pdftotext", str(pdf), "-").replace("\n", "")


def test_notice_and_proof_alternate_one_page_each(pdf):
    """Two notices make four pages: notice, 回证, notice, 回证."""
    assert "Pages:           4" in run("pdfinfo", str(pdf))
    pages = [run("pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-") for n in range(1, 5)]
    assert ["送达回证" in page for page in pages] == [False, True, False, True]
    assert "张小明" in pages[0] and "李小红" in pages[2]


def test_first_page_is_not_blank(pdf, tmp_path):
    """A rendered image of page 1 has ink on more than 1 % of it."""
    run("pdftoppm", "-gray", "-r", "30", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page"))
    (image,) = glob.glob(str(tmp_path / "page*.pgm"))
    pixels = read_pgm(image)
    assert sum(1 for value in pixels if value < 128) > 0.01 * len(pixels)


@pytest.mark.parametrize("dpi", [75, 200])
def test_qr_code_leads_to_the_verify_page(pdf, tmp_path, dpi):
    """The QR code on each notice decodes to that notice's verify URL, from a fine scan and from a coarse one;
    the 回证 pages carry none."""
    if not shutil.which("zbarimg"):
        pytest.skip("zbarimg (Debian package zbar-tools) not installed: the QR codes are NOT checked")
    run("pdftoppm", "-png", "-r", str(dpi), str(pdf), str(tmp_path / "scan"))
    scans = sorted(glob.glob(str(tmp_path / "scan*.png")))
    first, second = two_notices()
    assert [zbarimg(scan) for scan in scans] == [first.verify_url, "", second.verify_url, ""]


def test_qr_code_is_drawn_as_vectors_with_a_fixed_mask(pdf):
    """No raster image in the file; the symbol is level M, version 4 for a verify URL, mask 0, quiet zone 2."""
    assert run("pdfimages", "-list", str(pdf)).splitlines()[2:] == []
    url = two_notices()[0].verify_url
    modules = qr_modules(url, border=2)
    assert len(modules) == 4 * 4 + 17 + 2 * 2 and all(len(row) == len(modules) for row in modules)
    assert not any(modules[0]) and not any(row[0] for row in modules)  # the quiet zone is light
    assert all(modules[2][2:9]) and not any(modules[3][3:8])  # the top left finder pattern: dark edge, light ring
    code = segno.make(url, error="m", boost_error=False, micro=False, mask=qr.MASK)
    assert (code.version, code.error, code.mask) == (4, "M", 0)


def test_document_modules_take_their_layout_from_layout_not_from_each_other():
    """notice, document and monthly import the shared layout from dropout.pdf.layout, never from one another."""
    documents = {"notice", "document", "monthly"}
    for name in documents:
        tree = ast.parse((Path(pdf_package.__file__).parent / f"{name}.py").read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert "dropout.pdf.layout" in imported, name
        assert not imported & {f"dropout.pdf.{other}" for other in documents}, name


def zbarimg(path):
    """The text of the one QR code in an image, or "" when there is none (zbarimg exits 4)."""
    result = subprocess.run(["zbarimg", "--quiet", "--raw", path], capture_output=True, text=True)
    assert result.returncode in (0, 4), result.stderr
    return result.stdout.strip()


def read_pgm(path):
    """The pixel bytes of a binary (P5, 8-bit) PGM file."""
    with open(path, "rb") as file:
        data = file.read()
    magic, width, height, maximum, pixels = data.split(maxsplit=4)
    assert magic == b"P5" and maximum == b"255"
    return pixels[: int(width) * int(height)]


def test_same_notices_give_the_same_bytes():
    """A reprint is byte for byte the archived file: no timestamp, no random document id."""
    first = render_notices(two_notices())
    render_notices([make_notice(child_name="欧阳娜娜", guardian_name="欧阳震华")])  # other glyphs in between
    assert render_notices(two_notices()) == first


def test_version_note_and_special_characters_are_printed(tmp_path):
    """A corrected version says so; markup characters in data are text, not markup."""
    notice = make_notice(
        version_note="（更正件，第2版，代替2026年3月9日印发的版本）", guardian_address="桃园村<三组>&27号"
    )
    path = tmp_path / "v2.pdf"
    path.write_bytes(render_notices([notice]))
    text = run("pdftotext", str(path), "-").replace("\n", "")
    assert "更正件，第2版" in text and "桃园村<三组>&27号" in text


def test_no_notices_is_an_error():
    with pytest.raises(ValueError):
        render_notices([])


def test_no_cjk_font_raises_font_missing(tmp_path):
    """With neither the configured path nor any system font, printing refuses and says how to fix it."""
    missing = tmp_path / "nope.ttf"
    with pytest.raises(fonts.FontMissing) as raised:
        fonts.register(missing, search=())
    message = str(raised.value)
    assert str(missing) in message
    assert "fonts-arphic-uming" in message and "DROPOUT_PDF_FONT" in message


def test_explicit_font_path_is_used_and_cached():
    """DROPOUT_PDF_FONT wins over the system search; registering again returns the same names."""
    path = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    if not os.path.exists(path):
        pytest.skip("fonts-wqy-microhei not installed")
    names = fonts.register(path, search=())
    assert "wqy-microhei" in names.body
    assert fonts.register(path, search=()) is names


def test_cff_outline_font_is_skipped_for_the_next_candidate(tmp_path):
    """An OpenType/CFF file (what Noto CJK ships) is refused by reportlab, so the search moves on."""
    fake_otf = tmp_path / "NotoLike-Regular.otf"
    fake_otf.write_bytes(b"OTTO" + bytes(60))  # the sfnt version tag of a CFF-outline font
    uming = fonts.BODY_FONTS[0][0]
    if not os.path.exists(uming):
        pytest.skip("fonts-arphic-uming not installed")
    assert "uming" in fonts.register(search=(fake_otf, uming)).body
    with pytest.raises(fonts.FontMissing, match="postscript outlines"):
        fonts.register(search=(fake_otf,))


def test_a_configured_font_that_does_not_load_is_refused_not_replaced(tmp_path):
    with pytest.raises(fonts.FontMissing, match="not found"):
        fonts.register(tmp_path / "missing.ttf")


def test_real_noto_cjk_font_is_skipped():
    """The Noto CJK fonts from fonts-noto-cjk are skipped, not embedded."""
    found = [path for pattern in NOTO_CANDIDATES for path in glob.glob(pattern, recursive=True)]
    if not found:
        pytest.skip("no Noto CJK (OTF/CFF) font on this machine")
    with pytest.raises(fonts.FontMissing, match="refused"):
        fonts.register(found[0], search=())
