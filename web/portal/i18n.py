"""The portal's translations: gettext catalogs compiled when the app starts.

The catalogs ship as ``.po`` files in ``web/portal/translations/<lang>/
LC_MESSAGES/messages.po`` and are compiled in memory by Babel when the app is
built, so a fresh checkout needs no build step and no ``.mo`` files in the
repository. A string without a translation shows in English.

The language of a page is, in order: the ticket's language (set by the
view), a ``lang`` query parameter, the browser's ``Accept-Language``, English.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, request

from slaengine.people import LANGUAGES

logger = logging.getLogger(__name__)

FOLDER = Path(__file__).parent / "translations"
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Español",
    "de": "Deutsch",
    "fr": "Français",
    "zh": "中文",
    "ja": "日本語",
}


def compile_catalogs(folder: Path = FOLDER) -> dict[str, NullTranslations]:
    """Read each language's ``messages.po`` and compile it in memory."""
    catalogs: dict[str, NullTranslations] = {"en": NullTranslations()}
    for language in LANGUAGES:
        path = folder / language / "LC_MESSAGES" / "messages.po"
        if language == "en" or not path.exists():
            continue
        with path.open("rb") as po_file:
            catalog = read_po(po_file, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        catalogs[language] = Translations(buffer)
    logger.debug("event=portal.catalogs languages=%s", ",".join(sorted(catalogs)))
    return catalogs


def current_language() -> str:
    chosen = g.get("portal_language") or request.args.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


def set_language(language: str | None) -> None:
    if language in LANGUAGES:
        g.portal_language = language


def gettext(message: str, **variables: object) -> str:
    catalogs = current_app.extensions["portal.catalogs"]
    text = catalogs.get(current_language(), catalogs["en"]).gettext(message)
    return text % variables if variables else text


def template_globals() -> dict[str, Callable | str | dict]:
    return {
        "_": gettext,
        "current_language": current_language(),
        "language_names": LANGUAGE_NAMES,
    }


def init_app(app: Flask) -> None:
    app.extensions["portal.catalogs"] = compile_catalogs()
