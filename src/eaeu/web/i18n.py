"""Portal languages: English (source) and Russian, from Babel ``.po`` catalogs.

Catalogs are read from the package at start-up and compiled in memory, so the ``.po``
file in the repository is the only copy and can never go stale against a ``.mo``.
The language of a request comes from ``?lang=``, then the ``lang`` cookie, then
``Accept-Language``, then the node's default.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский"}
LOCALES = Path(__file__).with_name("locales")
COOKIE = "lang"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """Return the compiled catalog for ``language`` (English is the identity)."""
    po_file = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not po_file.exists():
        return gettext.NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def negotiate(
    query: str | None, cookie: str | None, accept_language: str | None, default: str
) -> str:
    """Choose the language for one request."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return default
