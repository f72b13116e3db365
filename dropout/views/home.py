"""The home page: the user's to-do list and their own counts."""

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from .. import clock, todo
from ..casework.settings import CaseSettings
from ..children import counts

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    today = clock.today()
    tasks = todo.todo(current_user, today, CaseSettings.from_config(current_app.config))
    return render_template("home.html", counts=counts.scope_counts(current_user), todo=tasks, today=today)
