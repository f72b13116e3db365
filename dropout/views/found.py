"""What every page does the same way: find a record in the user's scope or answer 404, and show a refusal.

Each getter asks the one scope helper (dropout/core/scope.py) and answers 404 for anything outside the user's scope,
as if it did not exist. A service's PermissionDenied needs no handling here: the app turns it into the 403 page
(views/__init__.py).
"""

from flask import abort, flash
from flask_login import current_user

from ..accounts import users as accounts
from ..children import places
from ..core import scope
from ..reporting import filing


def or_404(record):
    """The record, or the 404 page when there is none."""
    if record is None:
        abort(404)
    return record


def child_or_404(child_id):
    return or_404(scope.get_child(current_user, child_id))


def case_or_404(case_id):
    return or_404(scope.get_case(current_user, case_id))


def exemption_or_404(exemption_id):
    return or_404(scope.get_exemption(current_user, exemption_id))


def visit_or_404(visit_id):
    return or_404(scope.get_visit(current_user, visit_id))


def notice_or_404(notice_id):
    return or_404(scope.get_notice(current_user, notice_id))


def document_or_404(document_id):
    """A penalty document (事先告知书, 决定书) in scope."""
    return or_404(scope.get_penalty_document(current_user, document_id))


def scan_or_404(scan_id):
    return or_404(scope.get_scan(current_user, scan_id))


def report_or_404(report_id):
    """A monthly report (流失生月报) the user may read."""
    return or_404(filing.get_visible(current_user, report_id))


def user_or_404(user_id):
    """An account (the admin's pages only reach this)."""
    return or_404(accounts.get_user(user_id))


def place_or_404(kind, place_id):
    """A township, village or school by kind and id."""
    return or_404(places.get_place(kind, place_id))


def flash_refusal(exc):
    """A service's ValidationError shown as one message at the top of the next page: its reasons, in order."""
    messages = [str(message) for message in exc.errors.values()]
    if messages:
        flash(" ".join(messages), "error")
