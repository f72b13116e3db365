"""Sessions through Flask-Login and the role checks pages use."""

from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from .models import User

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in.")
# "basic": a teacher's phone changes networks; "strong" would log them out each time.
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_id):
    """The account of a session "id:version"; none when it is disabled or logged out since (version bumped)."""
    user_id, _sep, version = str(session_id).partition(":")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None
    return User.get_or_none((User.id == int(user_id)) & (User.session_version == int(version)) & User.is_active)


def roles_required(*roles):
    """Allow only these roles; everyone else gets 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def init_app(app):
    login_manager.init_app(app)
