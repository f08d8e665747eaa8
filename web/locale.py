"""The current interface language."""

from flask_babel import get_locale


def lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "vi"
