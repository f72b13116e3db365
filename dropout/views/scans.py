"""The paper file (档案): attach a scan of a signed paper to a notice or a penalty document, and show it to those in
scope.

The notice page and the penalty document page include templates/notices/_scans.html with the variables `panel()` gives.
"""

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField

from ..core import uploads
from ..core.errors import ValidationError
from ..forms import options
from ..notices import scans
from .downloads import send_download
from .found import document_or_404, flash_refusal, notice_or_404, scan_or_404

bp = Blueprint("scans", __name__)

ACCEPT = ".pdf,.jpg,.jpeg,.png"


class ScanForm(FlaskForm):
    kind = SelectField(_l("The scan shows"), choices=options(scans.KINDS.items()), validate_choice=False)
    scan = FileField(_l("Scan (PDF, JPEG or PNG, at most 5 MB)"), render_kw={"accept": ACCEPT})


def panel(notice=None, document=None):
    """The variables templates/notices/_scans.html needs, for a notice or a penalty document (exactly one)."""
    target = notice if notice is not None else document
    if notice is not None:
        target_url = url_for("scans.attach_to_notice", notice_id=notice.id)
    else:
        target_url = url_for("scans.attach_to_document", document_id=document.id)
    form = ScanForm(data={"kind": "receipt" if target.served_on else "signed"})
    return {
        "target_url": target_url,
        "scans": scans.scans_of(target),
        "can_upload": scans.may_attach(current_user, target),
        "received": scans.on_file(target),
        "served": target.served_on is not None,
        "scan_form": form,
        "scan_kinds": scans.KINDS,
    }


def _attach(back, **target):
    form = ScanForm()
    upload = form.scan.data if form.scan.data and form.scan.data.filename else None
    try:
        scans.attach(current_user, form.kind.data, upload, current_app.config["UPLOADS_DIR"], **target)
    except ValidationError as exc:
        flash_refusal(exc)
    else:
        flash(_("Scan attached: %(kind)s.", kind=scans.KINDS[form.kind.data]))
    return redirect(back)


@bp.route("/notices/<id:notice_id>/scans", methods=["POST"])
@login_required
def attach_to_notice(notice_id):
    notice = notice_or_404(notice_id)
    return _attach(url_for("notices.detail", notice_id=notice.id), notice=notice)


@bp.route("/penalties/<id:document_id>/scans", methods=["POST"])
@login_required
def attach_to_document(document_id):
    document = document_or_404(document_id)
    return _attach(url_for("penalties.detail", document_id=document.id), document=document)


@bp.route("/scans/<id:scan_id>")
@login_required
def show(scan_id):
    scan = scan_or_404(scan_id)
    path = uploads.path_of(current_app.config["UPLOADS_DIR"], scan.path)
    if path is None:
        abort(404)
    return send_download(path, f"scan-{scan.id}{path.suffix}", scans.mimetype(path), inline=True)
