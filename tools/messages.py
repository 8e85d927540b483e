"""Extract the portal's translatable strings and merge them into the Russian catalog.

Sources: ``_()`` and ``{% trans %}`` in templates, ``N_()`` markers in ``eaeu.web``, and
the descriptions of the national identifier rules (shown on the identifier page).
Run with ``make messages``; then translate the new entries in
``src/eaeu/web/locales/ru/LC_MESSAGES/messages.po``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "src" / "eaeu" / "web"
CATALOG = WEB / "locales" / "ru" / "LC_MESSAGES" / "messages.po"


def extract() -> Catalog:
    """Return a template catalog of every translatable string of the portal."""
    sys.path.insert(0, str(ROOT / "src"))
    from eaeu.kernel import identifiers  # noqa: PLC0415 - after the path is set

    template = Catalog(project="eaeu", msgid_bugs_address=None)
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        WEB, method_map, options_map=options, keywords={"_": None, "gettext": None, "N_": None}
    ):
        template.add(message, locations=[(f"web/{filename}", lineno)])
    for state, kind in identifiers.kinds():
        template.add(identifiers.describe(state, kind), locations=[("kernel/identifiers.py", 0)])
    return template


def main() -> int:
    """Merge new strings into the Russian catalog and report untranslated ones."""
    template = extract()
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="ru")
    catalog.update(template, no_fuzzy_matching=True)
    with CATALOG.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, ignore_obsolete=True)
    missing = [m.id for m in catalog if m.id and not m.string]
    for message in missing:
        print(f"untranslated: {message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
