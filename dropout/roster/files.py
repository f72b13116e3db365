"""Uploaded register files, whatever they list (a roster, a 户籍 or 学籍 list): a workbook told from a CSV
by its first bytes, a CSV's encoding, header spellings compared loosely, and an upload kept on disk between
requests beside a JSON note of who uploaded it.

What the rows mean, and which messages a refused file gets, is up to roster_read and register_lists.
"""

import codecs
import json
import re
import time
import unicodedata
from pathlib import Path

from ..core.errors import ValidationError

HEADER_SCAN = 10  # the header is looked for among the first rows: title rows and a two-row header fit
SIGNATURES = {b"PK\x03\x04": "xlsx", b"\xd0\xcf\x11\xe0": "xls"}
BLOCK = 1 << 20
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def signature(head):
    """'xlsx' or 'xls' when a file's first bytes are a workbook's, else None (never from its name)."""
    return next((kind for magic, kind in SIGNATURES.items() if head.startswith(magic)), None)


def normalise_header(text):
    """Full-width to half-width, no spaces or line breaks, no required-field asterisks."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    return "".join(text.split()).strip("*")


def header_lookup(headers):
    """{normalised spelling: field} for a {field: (spellings)} table."""
    return {normalise_header(spelling): name for name, spellings in headers.items() for spelling in spellings}


def text_encoding(blocks):
    """'utf-8-sig' when the bytes (in blocks) decode as UTF-8, with or without BOM, else 'gb18030'."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for block in blocks:
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def csv_encoding(path):
    """text_encoding() of a file, read a block at a time."""
    with open(path, "rb") as file:
        return text_encoding(iter(lambda: file.read(BLOCK), b""))


def receive(stream, target, max_bytes, too_large):
    """Copy an uploaded stream to target a block at a time. Past max_bytes the copy is removed and
    ValidationError raised with the message too_large() gives."""
    size = 0
    try:
        with target.open("wb") as out:
            while block := stream.read(BLOCK):
                size += len(block)
                if size > max_bytes:
                    raise ValidationError({"file": too_large()})
                out.write(block)
    except ValidationError:
        target.unlink(missing_ok=True)
        raise


def remove_stale(folder, keep_seconds):
    """Remove the files in folder last changed more than keep_seconds ago (uploads never taken further)."""
    limit = time.time() - keep_seconds
    for path in folder.iterdir():
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def save_note(folder, token, note):
    """Write an upload's note as folder/<token>.json."""
    path = Path(folder) / f"{token}.json"
    path.write_text(json.dumps(note, ensure_ascii=False, default=str), encoding="utf-8")


def load_note(folder, token, user_id):
    """The note of an upload by this user, or None (another user's upload is as good as missing)."""
    path = Path(folder) / f"{token}.json"
    if not _TOKEN.match(token) or not path.is_file():
        return None
    note = json.loads(path.read_text(encoding="utf-8"))
    return note if note.get("user") == user_id else None
