"""Find the CJK TrueType fonts on this machine and register them with reportlab, once per process.

reportlab embeds and subsets TrueType outlines only; CFF-flavoured fonts (Noto CJK .otf, and
.ttc files holding CFF faces) are refused, so they are skipped in favour of the next candidate.
"""

import hashlib
import os
import threading
from collections import namedtuple

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

FontNames = namedtuple("FontNames", "body heading")

# (path, subfontIndex) in order of preference. In uming.ttc face 0 is "AR PL UMing CN";
# in wqy-*.ttc face 0 is the proportional face (1 is Mono); in simsun.ttc 0 is SimSun.
BODY_FONTS = (
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf", 0),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("C:/Windows/Fonts/simsun.ttc", 0),
    ("C:/Windows/Fonts/simfang.ttf", 0),
    ("C:/Windows/Fonts/simhei.ttf", 0),
)
HEADING_FONTS = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("C:/Windows/Fonts/simhei.ttf", 0),
)


class FontMissing(Exception):
    """No usable CJK TrueType font was found; printing would show boxes instead of characters."""


_lock = threading.Lock()
_cache = {}  # (body_path, body search, heading search) -> FontNames
_loaded = {}  # (path, index) -> registered reportlab font name


def register(body_path=None, search=None, heading_search=None):
    """Register the body and heading fonts (the explicit path, or else the system paths) and return their names.

    `search` and `heading_search` replace the system candidates (sequences of paths or
    (path, subfontIndex) pairs); pass () to look nowhere but `body_path`.
    """
    body_search = BODY_FONTS if search is None else tuple(search)
    heading_search = HEADING_FONTS if heading_search is None else tuple(heading_search)
    key = (body_path, body_search, heading_search)
    with _lock:
        if key not in _cache:
            tried = []
            # A configured font is used or refused, never silently replaced: a mistyped setting shows.
            body_candidates = [(str(body_path), 0)] if body_path else _pairs(body_search)
            body = _first(body_candidates, tried)
            if body is None:
                raise FontMissing(_missing_message(tried))
            heading = _first(_pairs(heading_search), tried) or body
            _cache[key] = FontNames(body, heading)
        return _cache[key]


def _pairs(candidates):
    return [c if isinstance(c, tuple) else (str(c), 0) for c in candidates]


def _first(candidates, tried):
    """The reportlab name of the first candidate that loads; each failure is noted in `tried`."""
    for path, index in candidates:
        name = _load(path, index, tried)
        if name:
            return name
    return None


def _load(path, index, tried):
    if (path, index) in _loaded:
        return _loaded[(path, index)]
    if not os.path.isfile(path):
        tried.append(f"{path} (not found)")
        return None
    stem = os.path.splitext(os.path.basename(path))[0]
    digest = hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:6]
    name = f"CJK-{stem}-{index}-{digest}"  # stable across processes, distinct per file
    try:
        font = TTFont(name, path, subfontIndex=index)
    except (TTFError, OSError) as error:  # CFF outlines, a damaged or unreadable file, a bad .ttc index
        tried.append(f"{path} (refused: {error})")
        return None
    if ord("中") not in font.face.charToGlyph:
        tried.append(f"{path} (has no Chinese characters)")
        return None
    pdfmetrics.registerFont(font)
    _loaded[(path, index)] = name
    return name


def _missing_message(tried):
    return (
        "No Chinese TrueType font found for printing. Tried: "
        + "; ".join(tried)
        + ". Install the Debian/Ubuntu packages fonts-arphic-uming and fonts-wqy-microhei, "
        "or set DROPOUT_PDF_FONT to the path of a TrueType .ttf/.ttc Chinese font "
        "(OpenType/CFF fonts such as Noto CJK .otf cannot be embedded)."
    )
