"""Every file the app sends (PDFs, workbooks, photos, scans) goes out through send_download: kept in no cache,
named safely in any browser, and never sniffed as another type."""

import io
import re
import unicodedata
from urllib.parse import quote

from flask import abort, current_app, send_file

from ..core import uploads

CACHE_CONTROL = "private, no-store"
# Control and format characters, path separators, quotes and the characters a header or a file system treats apart.
# The types of what uploads.store keeps (it names a file by its content).
UPLOAD_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".pdf": "application/pdf"}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\"*:<>?|;%]')


def _clean(name):
    """The name without what could break the header or name a path elsewhere; never empty."""
    name = unicodedata.normalize("NFC", str(name))
    name = "".join(char for char in name if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp"))
    name = _UNSAFE.sub("_", name).strip(" .")
    return name or "download"


def _ascii(name):
    """The RFC 6266 fallback for browsers that ignore filename*: ASCII letters, digits, dot, dash and underscore."""
    stem, dot, suffix = name.rpartition(".")
    if not re.fullmatch(r"[A-Za-z0-9]{1,8}", suffix) or not dot:
        stem, suffix = name, ""
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-") or "download"
    return f"{stem}.{suffix}" if suffix else stem


def content_disposition(name, inline=False):
    """`attachment` (or `inline`) with an ASCII `filename` and the full name as `filename*=UTF-8''…` (RFC 5987)."""
    name = _clean(name)
    quoted = quote(name, safe="!#$&+-.^_`|~")
    return f"{'inline' if inline else 'attachment'}; filename=\"{_ascii(name)}\"; filename*=UTF-8''{quoted}"


def send_download(data_or_path, name, mimetype, inline=False):
    """Send bytes, a file opened in binary mode or a path as `name`: `private, no-store`, a safe Content-Disposition
    and `X-Content-Type-Options: nosniff`. `inline` shows it in the browser (a PDF to print, a photo); otherwise it is
    saved."""
    body = io.BytesIO(data_or_path) if isinstance(data_or_path, (bytes, bytearray)) else data_or_path
    response = send_file(body, mimetype=mimetype, as_attachment=not inline, download_name=_ascii(_clean(name)))
    response.headers["Content-Disposition"] = content_disposition(name, inline)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def send_upload(relative, name):
    """A stored upload (a visit's photo, an exemption's scan) shown inline as name + its suffix; the 404 page when
    there is none or it is not in the uploads folder."""
    path = uploads.path_of(current_app.config["UPLOADS_DIR"], relative) if relative else None
    if path is None:
        abort(404)
    return send_download(path, f"{name}{path.suffix}", UPLOAD_TYPES[path.suffix], inline=True)
