"""The paper file (档案): scans of the signed 送达回证 and of the signed notice or penalty document.

A scan is checked by its content like a visit photo (PDF, JPEG or PNG, at most uploads.MAX_BYTES); a refused
scan leaves no file and no row behind.
"""

import io

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from ..core import audit, uploads
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import DocumentScan, PenaltyDocument, ReturnNotice, User
from . import notices

KINDS = {"receipt": _l("Signed proof of service"), "signed": _l("Signed document")}
ALLOWED = (".pdf", ".jpg", ".png")
MIMETYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".png": "image/png"}


def _target(notice, document):
    if (notice is None) == (document is None):
        raise ValueError("a scan belongs to exactly one notice or penalty document")
    return notice if notice is not None else document


def may_attach(user, target):
    """Whether the user may attach scans to the notice or penalty document: one who may serve it."""
    return notices.may_act(user, target if isinstance(target, ReturnNotice) else target.notice)


def read_upload(stream):
    """The upload's bytes, or a ValidationError naming what is wrong with it."""
    data = stream.read(uploads.MAX_BYTES + 1) if stream is not None else b""
    if not data:
        raise ValidationError({"scan": _("Choose the scan to attach: no file was sent, or the file is empty.")})
    if len(data) > uploads.MAX_BYTES:
        raise ValidationError({"scan": _("The scan is larger than %(n)d MB.", n=uploads.MAX_BYTES // (1024 * 1024))})
    if uploads.kind_of(data[:8]) not in ALLOWED:
        raise ValidationError({"scan": _("The scan is not a PDF, JPEG or PNG file.")})
    return data


def attach(user, kind, stream, uploads_dir, notice=None, document=None):
    """Keep a scan of a signed paper for a notice or a penalty document (exactly one of them)."""
    target = _target(notice, document)
    if not may_attach(user, target):
        raise PermissionDenied()
    if kind not in KINDS:
        raise ValidationError({"kind": _("Choose what the scan shows.")})
    if kind == "receipt" and target.served_on is None:
        raise ValidationError(
            {"scan": _("Record the service first: a signed proof of service is attached once served.")}
        )
    data = read_upload(stream)
    stored = uploads.store(io.BytesIO(data), uploads_dir, f"scans/{target.year}", ALLOWED)
    if stored is None:  # read_upload checked the same as store; kept in case the two ever differ
        raise ValidationError({"scan": _("The scan is not a PDF, JPEG or PNG file.")})
    try:
        with database.atomic():
            scan = DocumentScan.create(notice=notice, document=document, kind=kind, path=stored, uploaded_by=user)
            audit.record(
                user, "create", "document_scan", scan.id, after=audit.snapshot(scan), child_id=target.case.child_id
            )
    except Exception:
        uploads.remove(uploads_dir, stored)  # no orphan file for a scan not recorded
        raise
    return scan


def _of(target):
    if isinstance(target, ReturnNotice):
        return DocumentScan.notice == target.id
    if isinstance(target, PenaltyDocument):
        return DocumentScan.document == target.id
    raise TypeError(f"no scans for {type(target).__name__}")


def on_file(target):
    """Whether a signed proof of service (送达回证) of the notice or penalty document is on file."""
    return DocumentScan.select().where(_of(target) & (DocumentScan.kind == "receipt")).exists()


def scans_of(target):
    """The notice's or penalty document's scans, oldest first, with who uploaded them."""
    query = (
        DocumentScan.select(DocumentScan, User)
        .join(User, on=(DocumentScan.uploaded_by == User.id), join_type=JOIN.LEFT_OUTER)
        .where(_of(target))
        .order_by(DocumentScan.uploaded_at, DocumentScan.id)
    )
    return list(query)


def mimetype(path):
    return MIMETYPES.get(path.suffix.lower(), "application/octet-stream")
