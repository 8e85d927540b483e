"""Text analysis for vacancy search: folding, homoglyphs, tokens and light stemming.

The database indexes raw words (SQLite FTS5's ``unicode61`` tokenizer, PostgreSQL's
``simple`` configuration), because its triggers cannot call Python. Stemming therefore
happens on the query side only: each query word is reduced to a stem and searched as a
*prefix* (``водител*`` finds «водитель», «водителя», «водители»; ``nurs*`` finds "nurse",
"nurses", "nursing"). The same folding is applied to ISCO labels, so that a query word
and a label word meet on the same stem.

The Russian stemmer follows the Snowball algorithm (M. Porter, "Russian stemming
algorithm", snowballstem.org); the English one is deliberately light (plurals and -ing/-ed
only), since prefix search already covers what a full Porter stemmer would remove.
Both are small enough to keep here instead of adding a dependency.
"""

# Russian words and suffixes are the data of this module.
# ruff: noqa: RUF001, RUF002, RUF003

from __future__ import annotations

import re
import unicodedata
from typing import Final

_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[а-яё]")
_LATIN = re.compile(r"[a-z]")

# Latin letters that look like Cyrillic ones and the reverse: a word written mostly in one
# script with a look-alike letter of the other («Вoдитель» with a Latin "o") is folded to
# its own script, so that it is found by what it looks like.
_LATIN_TO_CYRILLIC: Final = str.maketrans("aceopxykmhtb", "асеорхукмнтв")
_CYRILLIC_TO_LATIN: Final = str.maketrans("асеорхукмнтв", "aceopxykmhtb")

#: Words that carry no meaning in a vacancy search (Russian and English).
STOPWORDS: Final = frozenset(
    [
        "и",
        "в",
        "во",
        "на",
        "с",
        "со",
        "к",
        "ко",
        "по",
        "для",
        "от",
        "до",
        "из",
        "за",
        "у",
        "о",
        "об",
        "а",
        "или",
        "не",
        "без",
        "при",
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "in",
        "on",
        "at",
        "for",
        "to",
        "with",
        "by",
        "from",
        "job",
        "jobs",
        "vacancy",
        "vacancies",
        "работа",
        "вакансия",
        "вакансии",
    ]
)

#: The shortest stem searched as a prefix; shorter words must match exactly.
MIN_PREFIX: Final = 3


def fold(text: str) -> str:
    """Lower-case ``text``, strip accents and map «ё» to «е» (what the indexes do)."""
    lowered = text.lower().replace("ё", "е")
    decomposed = unicodedata.normalize("NFKD", lowered)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch) or ch == "\u0306")
    # «й» decomposes to «и» + breve; put it back together.
    return unicodedata.normalize("NFKC", kept)


def fix_homoglyphs(word: str) -> str:
    """Fold a word that mixes Cyrillic and Latin look-alikes into its dominant script."""
    cyrillic = len(_CYRILLIC.findall(word))
    latin = len(_LATIN.findall(word))
    if not cyrillic or not latin:
        return word
    if cyrillic >= latin:
        return word.translate(_LATIN_TO_CYRILLIC)
    return word.translate(_CYRILLIC_TO_LATIN)


def tokens(text: str) -> list[str]:
    """Split ``text`` into folded words with homoglyphs fixed, in order (stopwords kept)."""
    return [fix_homoglyphs(word) for word in _WORD.findall(fold(text))]


def stem(word: str) -> str:
    """Return the stem of one folded word (Russian or English, chosen by its letters)."""
    if _CYRILLIC.search(word):
        return _russian_stem(word)
    if word.isascii() and word.isalpha():
        return _english_stem(word)
    return word


def stems(text: str) -> list[str]:
    """Return the stems of the meaningful words of ``text``, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in tokens(text):
        if word not in STOPWORDS:
            seen.setdefault(stem(word), None)
    return list(seen)


# --- English -------------------------------------------------------------------------


def _english_stem(word: str) -> str:
    if len(word) <= 3:  # noqa: PLR2004 - "bus", "gas": nothing to strip
        return word
    if word.endswith("ies") and len(word) > 4:  # noqa: PLR2004
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:  # noqa: PLR2004
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 4:  # noqa: PLR2004
        word = word[:-1]
    return word


# --- Russian (Snowball) --------------------------------------------------------------

_VOWELS: Final = frozenset("аеиоуыэюя")
_PERFECTIVE_1: Final = ("вшись", "вши", "в")
_PERFECTIVE_2: Final = ("ившись", "ывшись", "ивши", "ывши", "ив", "ыв")
_REFLEXIVE: Final = ("ся", "сь")
_ADJECTIVE: Final = tuple(
    sorted(
        [
            "ее",
            "ие",
            "ые",
            "ое",
            "ими",
            "ыми",
            "ей",
            "ий",
            "ый",
            "ой",
            "ем",
            "им",
            "ым",
            "ом",
            "его",
            "ого",
            "ему",
            "ому",
            "их",
            "ых",
            "ую",
            "юю",
            "ая",
            "яя",
            "ою",
            "ею",
        ],
        key=len,
        reverse=True,
    )
)
_PARTICIPLE_1: Final = ("ем", "нн", "вш", "ющ", "щ")
_PARTICIPLE_2: Final = ("ивш", "ывш", "ующ")
_VERB_1: Final = tuple(
    sorted(
        [
            "ла",
            "на",
            "ете",
            "йте",
            "ли",
            "й",
            "л",
            "ем",
            "н",
            "ло",
            "но",
            "ет",
            "ют",
            "ны",
            "ть",
            "ешь",
            "нно",
        ],
        key=len,
        reverse=True,
    )
)
_VERB_2: Final = tuple(
    sorted(
        [
            "ила",
            "ыла",
            "ена",
            "ейте",
            "уйте",
            "ите",
            "или",
            "ыли",
            "ей",
            "уй",
            "ил",
            "ыл",
            "им",
            "ым",
            "ен",
            "ило",
            "ыло",
            "ено",
            "ят",
            "ует",
            "уют",
            "ит",
            "ыт",
            "ены",
            "ить",
            "ыть",
            "ишь",
            "ую",
            "ю",
        ],
        key=len,
        reverse=True,
    )
)
_NOUN: Final = tuple(
    sorted(
        [
            "а",
            "ев",
            "ов",
            "ие",
            "ье",
            "е",
            "иями",
            "ями",
            "ами",
            "еи",
            "ии",
            "и",
            "ией",
            "ей",
            "ой",
            "ий",
            "й",
            "иям",
            "ям",
            "ием",
            "ем",
            "ам",
            "ом",
            "о",
            "у",
            "ах",
            "иях",
            "ях",
            "ы",
            "ь",
            "ию",
            "ью",
            "ю",
            "ия",
            "ья",
            "я",
        ],
        key=len,
        reverse=True,
    )
)


def _regions(word: str) -> tuple[int, int]:
    """Return the starts of RV and R2 (Snowball's regions) in ``word``."""
    rv = next((i + 1 for i, ch in enumerate(word) if ch in _VOWELS), len(word))

    def after_vowel_consonant(start: int) -> int:
        for i in range(start + 1, len(word)):
            if word[i] not in _VOWELS and word[i - 1] in _VOWELS:
                return i + 1
        return len(word)

    r1 = after_vowel_consonant(0)
    return rv, after_vowel_consonant(r1)


def _strip(rv: str, endings: tuple[str, ...], *, after_a: bool = False) -> str | None:
    """Remove the longest of ``endings`` from ``rv``; ``None`` if none applies."""
    for ending in endings:
        if rv.endswith(ending):
            head = rv[: -len(ending)]
            if after_a and not head.endswith(("а", "я")):
                continue
            return head
    return None


def _russian_stem(word: str) -> str:  # noqa: C901, PLR0912 - the algorithm's steps, in order
    rv_start, r2_start = _regions(word)
    head, rv = word[:rv_start], word[rv_start:]
    stripped = _strip(rv, _PERFECTIVE_1, after_a=True)
    if stripped is None:
        stripped = _strip(rv, _PERFECTIVE_2)
    if stripped is None:
        reflexive = _strip(rv, _REFLEXIVE)
        rv = rv if reflexive is None else reflexive
        adjective = _strip(rv, _ADJECTIVE)
        if adjective is not None:
            participle = _strip(adjective, _PARTICIPLE_1, after_a=True)
            if participle is None:
                participle = _strip(adjective, _PARTICIPLE_2)
            rv = adjective if participle is None else participle
        else:
            verb = _strip(rv, _VERB_1, after_a=True)
            if verb is None:
                verb = _strip(rv, _VERB_2)
            if verb is None:
                verb = _strip(rv, _NOUN)
            rv = rv if verb is None else verb
    else:
        rv = stripped
    rv = rv.removesuffix("и")
    word = head + rv
    r2 = word[r2_start:] if r2_start < len(word) else ""
    for ending in ("ость", "ост"):
        if r2.endswith(ending):
            word = word[: -len(ending)]
            break
    if word.endswith("нн"):
        return word[:-1]
    for ending in ("ейше", "ейш"):
        if word[rv_start:].endswith(ending):
            word = word[: -len(ending)]
            return word[:-1] if word.endswith("нн") else word
    return word.removesuffix("ь")
