"""The Russian catalog covers every string the portal can show."""

import importlib.util
import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "src/eaeu/web/locales/ru/LC_MESSAGES/messages.po"


def _extract():
    spec = importlib.util.spec_from_file_location("messages_tool", ROOT / "tools/messages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.extract()


def test_every_portal_string_has_a_russian_translation():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="ru")
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(m.id for m in _extract() if m.id and m.id not in translated)
    assert missing == [], f"run `make messages` and translate: {missing}"


def test_translations_keep_their_placeholders():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="ru")
    placeholder = re.compile(r"%\((\w+)\)s")
    for message in catalog:
        if message.id and "%(" in message.id:
            assert placeholder.findall(message.id) == placeholder.findall(message.string)
