"""Uploaded files (visit photos, application scans): checked by content, stored outside the web root."""

import uuid
from pathlib import Path

MAX_BYTES = 5 * 1024 * 1024
SIGNATURES = {b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png", b"%PDF-": ".pdf"}
IMAGES = (".jpg", ".png")


def kind_of(head):
    """'.jpg', '.png' or '.pdf' from a file's first bytes (never from its name), or None."""
    for magic, suffix in SIGNATURES.items():
        if head.startswith(magic):
            return suffix
    return None


def store(stream, uploads_dir, folder, allowed):
    """Save an upload as uploads_dir/folder/<random><suffix>; return the relative path, or None when refused."""
    data = stream.read(MAX_BYTES + 1)
    suffix = kind_of(data[:8])
    if len(data) > MAX_BYTES or suffix not in allowed:
        return None
    relative = Path(folder) / f"{uuid.uuid4().hex}{suffix}"
    target = Path(uploads_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return str(relative)


def remove(uploads_dir, relative):
    if relative:
        (Path(uploads_dir) / relative).unlink(missing_ok=True)


def path_of(uploads_dir, relative):
    """The stored file's absolute path, refusing anything that leaves the uploads folder."""
    root = Path(uploads_dir).resolve()
    target = (root / relative).resolve()
    return target if root in target.parents and target.is_file() else None
