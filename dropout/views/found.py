"""What every page does the same way: find a record in the user's scope or answer 404, and show a refusal.

Each getter asks the one scope helper (dropout/core/scope.py) and answers 404 for anything outside the user's scope,
as if it did not exist. A service's PermissionDenied needs no handling here: the app turns it into the 403 page
(views/__init__.py).
"""

from flask import abort, current_app, flash, request
from flask_login import current_user

from ..accounts import users as accounts
from ..children import places
from ..core import paging, scope
from ..reporting import filing


def or_404(record):
    """The record, or the 404 page when there is none."""
    if record is None:
        abort(404)
    return record


def _in_scope(get, doc=None):
    """A getter: the record of that id that get(user, id) finds in the user's scope, or the 404 page."""

    def getter(record_id):
        return or_404(get(current_user, record_id))

    getter.__doc__ = doc
    return getter


child_or_404 = _in_scope(scope.get_child)
case_or_404 = _in_scope(scope.get_case)
exemption_or_404 = _in_scope(scope.get_exemption)
visit_or_404 = _in_scope(scope.get_visit)
notice_or_404 = _in_scope(scope.get_notice)
document_or_404 = _in_scope(scope.get_penalty_document, "A penalty document (事先告知书, 决定书) in scope.")
scan_or_404 = _in_scope(scope.get_scan)
report_or_404 = _in_scope(filing.get_visible, "A monthly report (流失生月报) the user may read.")


def user_or_404(user_id):
    """An account (the admin's pages only reach this)."""
    return or_404(accounts.get_user(user_id))


def place_or_404(kind, place_id):
    """A township, village or school by kind and id."""
    return or_404(places.get_place(kind, place_id))


MAX_PAGE = 100000


def paged(query):
    """(the rows of the page ?page= asks for, {total, page, pages} for the template) of a list's query."""
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    per_page = current_app.config["PAGE_SIZE"]
    total = query.count()
    pages = max((total + per_page - 1) // per_page, 1)
    return query.paginate(page, per_page), dict(total=total, page=page, pages=pages)


def sized(args, size):
    """A list's arguments for its pager's links: its filters, and the page size unless it is the default."""
    return {**args, "size": size} if size != paging.PAGE_SIZES[0] else args


def keyset_paged(query, order, descending=False, per_page=None):
    """The page of a long list that ?after=, ?before= or ?last=1 asks for (core/paging.py): read through the index
    of the list's order from where the last page ended, so the last page costs what the first does; or the page
    ?page=N jumps to, among the counted rows."""
    args = request.args
    return paging.page(
        query,
        order,
        per_page or current_app.config["PAGE_SIZE"],
        after=args.get("after", "")[:500],
        before=args.get("before", "")[:500],
        last=args.get("last") == "1",
        descending=descending,
        number=paging.page_number(args.get("page")),
    )


def places_in_scope():
    """{townships, villages, schools} the user's scope holds: a list page's filter choices."""
    return {kind: getattr(scope, kind)(current_user) for kind in ("townships", "villages", "schools")}


def flash_refusal(exc):
    """A service's ValidationError shown as one message at the top of the next page: its reasons, in order."""
    messages = [str(message) for message in exc.errors.values()]
    if messages:
        flash(" ".join(messages), "error")
