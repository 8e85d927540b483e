"""Latin transliteration of names as in machine readable travel documents (ICAO Doc 9303).

eIDAS (Implementing Regulation (EU) 2015/1501, Art. 11(3)) sends names in their original
characters *and* transliterated into Latin. This module produces the Latin form the way a
passport's machine readable zone would: upper-case letters ``A``–``Z``, with the
recommended transliteration of ICAO Doc 9303 Part 3 (8th edition, 2021, § 6 "Transliteration
recommended for use by States"):

* Cyrillic, the table's common column: ``Ж ZH``, ``Х KH``, ``Ц TS``, ``Ч CH``, ``Ш SH``,
  ``Щ SHCH``, ``Ъ IE``, ``Ы Y``, ``Ю IU``, ``Я IA``, ``Й I``, ``Ё E``; ``Ь`` is omitted.
  The multinational letters of the same table (``Ў U``, ``І I``, ``Ґ G``, ``Є IE``,
  ``Ѕ DZ``, ``Ј J``, ``Љ LJ``, ``Њ NJ``, ``Ћ C``, ``Џ DZ``…) are included.
* Belarusian, the table's language exceptions: ``Г H`` and ``Ё IO``.
* Latin letters with diacritics, the table's Latin multinational characters: ``Ä AE``,
  ``Å AA``, ``Æ AE``, ``Ö OE``, ``Ø OE``, ``Œ OE``, ``Ü UE``, ``ß SS``, ``Þ TH``, ``Ĳ IJ``;
  every other accented letter loses its accent (``É E``, ``Ñ N``, ``Ş S``).

Doc 9303 leaves scripts and letters it has no table for to the issuing State. For those
this module follows the national passport practice (not an ICAO table; marked so below):

* Kazakh and Kyrgyz letters: ``Ә A``, ``Ғ G``, ``Қ K``, ``Ң N``, ``Ө O``, ``Ұ U``,
  ``Ү U``, ``Һ H`` (``І I`` is in the ICAO table).
* Armenian: the letter values of Armenian passports (``Ա A``, ``Ժ ZH``, ``Խ KH``,
  ``Ծ TS``, ``Ձ DZ``, ``Ղ GH``, ``Ճ CH``, ``Չ CH``, ``Ջ J``, ``Յ Y``, ``Ը Y``, ``Ւ V``;
  the digraph ``ՈՒ U``; ``Ե`` and ``Ո`` are ``YE`` and ``VO`` at the start of a word;
  ``և`` is ``EV``, ``YEV`` at the start of a word): «Աշոտ» → ``ASHOT``,
  «Երևան» → ``YEREVAN``, «Հարությունյան» → ``HARUTYUNYAN``.

Spaces and hyphens between name parts are kept (one space at most); apostrophes
(Belarusian «Вераб'ёў», Latin «O'Neil») are dropped, as Doc 9303 drops punctuation in names.
A character with no transliteration (digits, other scripts) is refused rather than
silently lost: a name must never change meaning on its way across a border.
"""

# The tables and their documentation are Cyrillic and Armenian text by nature.
# ruff: noqa: RUF001, RUF002, RUF003

from __future__ import annotations

import re
import unicodedata

from eaeu.kernel.errors import ValidationError

#: Languages with their own exceptions; any other Cyrillic text uses the common column.
BELARUSIAN = "be"
LANGUAGES = frozenset({"ru", BELARUSIAN, "kk", "ky", "hy"})

# ICAO Doc 9303 Part 3, recommended transliteration of Cyrillic characters (common column).
_CYRILLIC: dict[str, str] = {
    "А": "A",
    "Б": "B",
    "В": "V",
    "Г": "G",
    "Д": "D",
    "Е": "E",
    "Ё": "E",
    "Ж": "ZH",
    "З": "Z",
    "И": "I",
    "Й": "I",
    "К": "K",
    "Л": "L",
    "М": "M",
    "Н": "N",
    "О": "O",
    "П": "P",
    "Р": "R",
    "С": "S",
    "Т": "T",
    "У": "U",
    "Ф": "F",
    "Х": "KH",
    "Ц": "TS",
    "Ч": "CH",
    "Ш": "SH",
    "Щ": "SHCH",
    "Ъ": "IE",
    "Ы": "Y",
    "Ь": "",
    "Э": "E",
    "Ю": "IU",
    "Я": "IA",
    # The multinational Cyrillic characters of the same table.
    "І": "I",
    "Ѵ": "Y",
    "Ґ": "G",
    "Ў": "U",
    "Ѫ": "U",
    "Ѓ": "G",
    "Ђ": "D",
    "Ѕ": "DZ",
    "Ј": "J",
    "Ќ": "K",
    "Љ": "LJ",
    "Њ": "NJ",
    "Ћ": "C",
    "Џ": "DZ",
    "Є": "IE",
    "Ї": "I",
}

# ICAO Doc 9303 Part 3: the values that differ for Belarusian.
_BELARUSIAN: dict[str, str] = {"Г": "H", "Ё": "IO"}

# Not in Doc 9303: the Kazakh and Kyrgyz passport practice for their extra letters.
_KAZAKH_KYRGYZ: dict[str, str] = {
    "Ә": "A",
    "Ғ": "G",
    "Қ": "K",
    "Ң": "N",
    "Ө": "O",
    "Ұ": "U",
    "Ү": "U",
    "Һ": "H",
}

# Not in Doc 9303: the letter values of Armenian passports (upper case; ``և`` upper-cases
# to ``ԵՒ`` and so becomes ``EV``).
_ARMENIAN: dict[str, str] = {
    "Ա": "A",
    "Բ": "B",
    "Գ": "G",
    "Դ": "D",
    "Ե": "E",
    "Զ": "Z",
    "Է": "E",
    "Ը": "Y",
    "Թ": "T",
    "Ժ": "ZH",
    "Ի": "I",
    "Լ": "L",
    "Խ": "KH",
    "Ծ": "TS",
    "Կ": "K",
    "Հ": "H",
    "Ձ": "DZ",
    "Ղ": "GH",
    "Ճ": "CH",
    "Մ": "M",
    "Յ": "Y",
    "Ն": "N",
    "Շ": "SH",
    "Ո": "O",
    "Չ": "CH",
    "Պ": "P",
    "Ջ": "J",
    "Ռ": "R",
    "Ս": "S",
    "Վ": "V",
    "Տ": "T",
    "Ր": "R",
    "Ց": "TS",
    "Ւ": "V",
    "Փ": "P",
    "Ք": "K",
    "Օ": "O",
    "Ֆ": "F",
}
_ARMENIAN_WORD_START = {"Ե": "YE", "Ո": "VO"}

# ICAO Doc 9303 Part 3, Latin multinational characters written with two letters, and the
# letters whose base letter no Unicode decomposition gives.
_LATIN: dict[str, str] = {
    "Ä": "AE",
    "Å": "AA",
    "Æ": "AE",
    "Ö": "OE",
    "Ø": "OE",
    "Œ": "OE",
    "Ü": "UE",
    "ß": "SS",
    "ẞ": "SS",
    "Þ": "TH",
    "Ĳ": "IJ",
    "Ð": "D",
    "Đ": "D",
    "Ħ": "H",
    "Ł": "L",
    "Ŀ": "L",
    "Ŋ": "N",
    "Ŧ": "T",
}

_APOSTROPHES = frozenset("'’ʼ`´")  # the apostrophes found in names
_SEPARATORS = frozenset(" -")
_LATIN_RESULT = re.compile(r"[A-Z]+(?:[ -][A-Z]+)*")
_MAX_LENGTH = 200
# Anything but letters, digits, apostrophes and hyphens ends a word of an organisation's name.
_NOT_WORD = re.compile(r"[^\w'’ʼ-]+|_+")
_DIGITS = re.compile(r"([0-9]+)")


class TransliterationError(ValidationError):
    """A name holds a character that has no Latin transliteration."""

    reason = "identity.transliteration"


def _is_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L")


def _latin_letter(char: str) -> str | None:
    if char in _LATIN:
        return _LATIN[char]
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return base if len(base) == 1 and "A" <= base <= "Z" else None


def _letter(chars: str, i: int, table: dict[str, str]) -> tuple[str, int]:
    """Transliterate the letter at ``chars[i]``; return its Latin form and the next index."""
    char = chars[i]
    word_start = i == 0 or not _is_letter(chars[i - 1])
    if char == "Ո" and chars[i + 1 : i + 2] == "Ւ":
        return "U", i + 2
    if word_start and char in _ARMENIAN_WORD_START:
        return _ARMENIAN_WORD_START[char], i + 1
    latin = table.get(char)
    if latin is None:
        latin = _latin_letter(char)
    if latin is None:
        raise TransliterationError(
            f"the character U+{ord(char):04X} of a name has no Latin transliteration"
        )
    return latin, i + 1


def _table(language: str | None, text: str) -> dict[str, str]:
    table = {**_CYRILLIC, **_KAZAKH_KYRGYZ, **_ARMENIAN}
    if language == BELARUSIAN or (language is None and _looks_belarusian(text)):
        table.update(_BELARUSIAN)
    return table


def _looks_belarusian(text: str) -> bool:
    # Ў is written only in Belarusian. І is not enough: Kazakh (Айгерім) and Ukrainian
    # write it too, and Г must stay G there.
    return "Ў" in text


def transliterate(text: str, language: str | None = None) -> str:
    """Return the Latin form of a name as a machine readable travel document writes it.

    Args:
        text: the name in its original script (any case; Unicode is normalised to NFC).
        language: ``be`` for Belarusian exceptions (``Г H``, ``Ё IO``), another code of
            :data:`LANGUAGES`, or ``None`` to use Belarusian values only for a name
            written with ``Ў``, a letter only Belarusian has. A Belarusian name without it
            («Ганна») needs ``be``.

    Returns:
        Upper-case ``A``–``Z`` with single spaces or hyphens between name parts.

    Raises:
        TransliterationError: a character has no transliteration, or nothing is left.
        ValidationError: ``language`` is not one of :data:`LANGUAGES`
            (``identity.transliteration_language``).
    """
    if language is not None and language not in LANGUAGES:
        raise ValidationError(
            f"no transliteration rules for the language {language!r}",
            reason="identity.transliteration_language",
        )
    if not isinstance(text, str) or len(text) > _MAX_LENGTH:
        raise TransliterationError("a name must be text of at most 200 characters")
    chars = unicodedata.normalize("NFC", text).upper().strip()
    table = _table(language, chars)
    out: list[str] = []
    i = 0
    while i < len(chars):
        char = chars[i]
        if char in _APOSTROPHES:
            i += 1
        elif char in _SEPARATORS or char.isspace():
            separator = "-" if char == "-" else " "
            if out and out[-1] in _SEPARATORS:
                out[-1] = "-" if "-" in (out[-1], separator) else " "
            elif out:
                out.append(separator)
            i += 1
        else:
            latin, i = _letter(chars, i, table)
            out.append(latin)
    result = "".join(out).strip(" -")
    if not _LATIN_RESULT.fullmatch(result):
        raise TransliterationError("a name has no letters that can be transliterated")
    return result


def transliterate_legal_name(text: str) -> str:
    """Return the Latin form of an organisation's name, for one that has none on record.

    Letters are transliterated as in :func:`transliterate`; digits are kept; quotation
    marks and other punctuation («», "", №, dots) separate words and are dropped, as a
    registry's Latin name would not carry them.

    Raises:
        TransliterationError: a letter has no transliteration, or nothing is left.
    """
    if not isinstance(text, str) or len(text) > _MAX_LENGTH:
        raise TransliterationError("a name must be text of at most 200 characters")
    words: list[str] = []
    for part in _NOT_WORD.split(unicodedata.normalize("NFC", text)):
        # A word such as "7Я" keeps its digits where they stand.
        pieces = [
            piece if _DIGITS.fullmatch(piece) else transliterate(piece)
            for piece in _DIGITS.split(part)
            if _DIGITS.fullmatch(piece) or any(c.isalpha() for c in piece)
        ]
        if pieces:
            words.append("".join(pieces))
    if not words:
        raise TransliterationError("a name has no letters that can be transliterated")
    return " ".join(words)


def is_latin_name(text: str) -> bool:
    """Return whether ``text`` is already a name as :func:`transliterate` writes it."""
    return (
        isinstance(text, str) and len(text) <= _MAX_LENGTH and bool(_LATIN_RESULT.fullmatch(text))
    )


__all__ = [
    "BELARUSIAN",
    "LANGUAGES",
    "TransliterationError",
    "is_latin_name",
    "transliterate",
    "transliterate_legal_name",
]
