"""使用说明: for each role, the three tasks it does most, step by step with screenshots.

The prose lives in one template per role and language (templates/help/zh/, templates/help/en/), each extending
templates/help/page.html: long help text reads and reviews better as a page than as hundreds of catalogue entries.
The screenshots are dropout/static/help/*.png, taken by scripts/help_screenshots.py."""

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from ..choices import ROLES
from ..i18n import select_locale

bp = Blueprint("help", __name__, url_prefix="/help")


def language():
    """The folder of the help pages in the interface's language."""
    return "zh" if select_locale().startswith("zh") else "en"


@bp.route("/", defaults={"role": None})
@bp.route("/<role>")
@login_required
def index(role):
    """The help of a role: the user's own unless another is named; every page lists the others."""
    role = role or current_user.role
    if role not in ROLES:
        abort(404)
    return render_template(f"help/{language()}/{role}.html", role=role, roles=ROLES)
