"""dropout: 控辍保学, keeping every school-age child in compulsory education in school."""

from datetime import timedelta
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None):
    """Configure and register; start no thread and create nothing."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), instance_relative_config=True)
    app.config.from_mapping(config.from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'dropout.db'}"
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or config.read_secret_key(app.instance_path)
    app.config["UPLOADS_DIR"] = app.config["UPLOADS_DIR"] or str(Path(app.instance_path) / "uploads")
    app.config["TASKS_DIR"] = app.config["TASKS_DIR"] or str(Path(app.instance_path) / "tasks")
    app.config.update(
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=app.config["SESSION_MINUTES"]),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(app.config["HTTPS"]),
        REMEMBER_COOKIE_SECURE=bool(app.config["HTTPS"]),
        REMEMBER_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=app.config.get("MAX_CONTENT_LENGTH") or 200 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE=app.config["LOCALE"],
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
    )

    proxies = app.config["TRUSTED_PROXIES"]
    if proxies > 0:  # the client address, scheme and host as the proxies in front saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from . import auth, cli, db, i18n, security, views

    db.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    views.init_app(app)
    cli.init_app(app)
    return app
