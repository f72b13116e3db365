"""Blueprints, one per area, and the error pages."""
from flask import render_template


def init_app(app):
    from . import accounts, auth, children, filters, home, places

    filters.init_app(app)

    for module in (auth, home, children, places, accounts):
        app.register_blueprint(module.bp)

    for code in (400, 403, 404, 413):

        @app.errorhandler(code)
        def _error(exc, code=code):
            return render_template("errors/error.html", code=code, description=exc.description), code
