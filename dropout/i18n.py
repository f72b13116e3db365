"""Languages: Simplified Chinese first, English second."""

from flask import current_app, has_request_context, request, session
from flask_babel import Babel

LANGUAGES = {"zh_CN": "简体中文", "en": "English"}


def select_locale():
    chosen = session.get("lang") if has_request_context() else None
    if chosen in LANGUAGES:
        return chosen
    return current_app.config["LOCALE"]


def init_app(app):
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def _languages():
        language = select_locale()
        return {
            "LANGUAGES": LANGUAGES,
            "current_language": language,
            "html_lang": "zh-CN" if language.startswith("zh") else "en",
            "current_path": request.full_path,
        }
