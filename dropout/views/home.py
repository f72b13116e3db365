"""The home page: the user's own counts."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..services import counts

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    return render_template("home.html", counts=counts.scope_counts(current_user))
