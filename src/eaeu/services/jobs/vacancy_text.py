"""Vacancy text: titles reduced for comparison, look-alike letters, and fees asked of jobseekers.

Ads are written by hand and copied between systems, so one job reaches the platform under
many spellings: «Программист С++ (м/ж)» with a Cyrillic С, "программист c++", a title with
a Latin ``o`` inside a Russian word. :func:`normalise_title` and :func:`normalise_place` iron
these out (Unicode forms, case, ``ё``, gender markers, punctuation, and
:func:`fix_homoglyphs` for words that mix scripts) so that duplicates share a key.

:func:`fee_phrases` finds the phrases, in Russian or English, that ask the jobseeker to pay
— registration fees, deposits, "оплата оформления" — on the same folded text, and ignores a
match whose clause says the opposite ("no fee", "за счёт работодателя").
"""

# Russian phrasing and look-alike letters are data of this module.
# ruff: noqa: RUF001, RUF002, RUF003

from __future__ import annotations

import re
import unicodedata
from typing import Final

#: Cyrillic letters that look like Latin ones, and back (lower case).
_CYR_TO_LAT: Final = dict(zip("авеикмнорстухі", "abeukmhopctyxi", strict=True))
_LAT_TO_CYR: Final = {
    "a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "k": "к", "m": "м", "o": "о",
    "p": "р", "t": "т", "x": "х", "y": "у", "i": "і", "u": "и",
}  # fmt: skip
#: Words whose right script is known although they are written in look-alike letters.
_SPELLINGS: Final = {"1c": "1с", "с++": "c++", "с#": "c#"}
_GENDER: Final = re.compile(r"\(\s*(?:м|ж|m|f|w)\s*/\s*(?:м|ж|m|f|w)\s*\)", re.IGNORECASE)
_TOKEN: Final = re.compile(r"[^\W_]+(?:[+#]+)?|[+#]+", re.UNICODE)


def _script(char: str) -> str | None:
    name = unicodedata.name(char, "")
    if name.startswith("CYRILLIC"):
        return "cyr"
    if name.startswith("LATIN"):
        return "lat"
    return None


def fix_homoglyphs(word: str) -> str:
    """``word`` (lower case) in one script, its look-alike letters mapped to that script.

    A word mixing scripts is written in the script of its letters that have no look-alike
    (``кoмпьютер`` with a Latin ``o`` is Cyrillic because of ``п``, ``ь``, ``ю``), or else
    of most of its letters. Known words (``С++`` in Cyrillic, ``1C`` in Latin) get their
    right spelling.
    """
    if word in _SPELLINGS:
        return _SPELLINGS[word]
    letters = [(c, _script(c)) for c in word]
    cyr = [c for c, s in letters if s == "cyr"]
    lat = [c for c, s in letters if s == "lat"]
    if not cyr or not lat:
        return word
    if any(c not in _CYR_TO_LAT for c in cyr):
        target = "cyr"
    elif any(c not in _LAT_TO_CYR for c in lat):
        target = "lat"
    else:
        target = "cyr" if len(cyr) > len(lat) else "lat"
    table = _LAT_TO_CYR if target == "cyr" else _CYR_TO_LAT
    source = "lat" if target == "cyr" else "cyr"
    return "".join(table.get(c, c) if _script(c) == source else c for c in word)


def normalise_title(title: str) -> str:
    """A job title reduced to what tells two ads for one job apart.

    Unicode compatibility forms, case, ``ё``/``е``, gender markers ``(м/ж)``, punctuation
    (except ``+`` and ``#`` of C++ and C#) and Cyrillic/Latin look-alike letters within a
    word are all ironed out: «Программист С++ (м/ж)» with a Cyrillic С and "программист
    c++" give the same result.
    """
    text = unicodedata.normalize("NFKC", title).casefold().replace("ё", "е")
    text = _GENDER.sub(" ", text)
    return " ".join(fix_homoglyphs(token) for token in _TOKEN.findall(text))


def normalise_place(name: str) -> str:
    """A locality compared for duplicates: ``г. Москва`` and ``Москва`` are one place."""
    text = unicodedata.normalize("NFKC", name).casefold().replace("ё", "е")
    text = re.sub(r"^(?:г|город|гор|city of|c)\.?\s+", "", text.strip())
    return " ".join(fix_homoglyphs(token) for token in _TOKEN.findall(text))


# Phrases that ask the jobseeker for money. Each is matched on folded text (lower case,
# ё → е, look-alike letters fixed); a match is ignored when its clause says the opposite
# ("no fee", "бесплатно", "за счёт работодателя").
_FEE_PATTERNS: Final = tuple(
    re.compile(pattern)
    for pattern in (
        # English
        (
            r"\b(?:registration|placement|processing|application|recruitment|recruiting|agency"
            r"|service|job|employment|training|documents?|documentation|visa|booking|admin"
            r"|administration|medical)\s+(?:fee|fees|charge|charges)\b"
        ),
        r"\b(?:up-?front|advance)\s+(?:payment|fee|deposit)s?\b",
        r"\bpay\s+(?:us\s+)?(?:a|an|the|your)?\s*(?:\w+\s+)?(?:fee|deposit|commission)\b",
        r"\bdeposit\s+(?:is\s+)?(?:required|needed|payable)\b",
        r"\b(?:fee|commission)\s+(?:of|is)\s+[$€£0-9]",
        r"\bcandidates?\s+(?:must\s+|should\s+|will\s+)?pay\b",
        # Russian
        (
            r"(?:оплат\w*|плат[аы]\b|платеж\w*|взнос\w*|стоимост\w*|сбор\w*|комисси\w*)\s+"
            r"(?:в\s+размере\s+\S+\s+)?(?:за\s+)?(?:услуг\w*\s+(?:по\s+)?)?"
            r"(?:оформлени|трудоустройств|регистраци|подбор|анкет|собеседовани|пропуск"
            r"|документ|виз|медкомисси|медосмотр|бронирован|вакансию)"
        ),
        r"предоплат\w*",
        r"(?:вступительн|регистрационн|агентск)\w*\s+(?:взнос|сбор|платеж|комисси)\w*",
        (
            r"(?:внести|внесите|вносится|вносит|оплатить|оплатите|заплатить|заплатите|оплачивает"
            r"\s+кандидат|оплачивает\s+соискатель)\s+(?:\w+\s+)?"
            r"(?:залог|депозит|взнос|комисси|стоимость|сумму|оплату|деньги|услуги)"
        ),
        r"платн\w+\s+(?:услуг|трудоустройств|вакансия|оформлени)",
        r"(?:кандидат|соискател)\w*\s+(?:сам\w*\s+)?(?:оплачива|плат)\w*",
        r"\bзалог\s+за\b",
    )
)
_NOT_CHARGED: Final = re.compile(
    r"\bno\b|\bnot\b|\bfree\b|\bwithout\b|\bnever\b|paid by (?:the )?(?:employer|company)"
    r"|(?:employer|company|we) (?:pays?|covers?|reimburses?)|at (?:the )?employer'?s expense"
    r"|\bбез\b|\bне\b|бесплатн|за сч[её]т (?:работодател|компани|предприяти|организаци|фирм)"
    r"|(?:работодатель|компания|предприятие|организация) (?:оплачива|компенсиру|бер[её]т)"
    r"|оплачивается работодател|компенсиру"
)


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return re.sub(r"[^\W_]+", lambda m: fix_homoglyphs(m.group(0)), folded)


def fee_phrases(*texts: str) -> list[str]:
    """The phrases in ``texts`` that ask the jobseeker to pay, as found (folded).

    The clause around a match (from the previous to the next sentence or list break) is
    read: "no registration fee", "оформление за счёт работодателя" or "медкомиссия
    бесплатно" are not fees.
    """
    found: list[str] = []
    for text in texts:
        folded = _fold(text)
        for pattern in _FEE_PATTERNS:
            for match in pattern.finditer(folded):
                start = max(folded.rfind(stop, 0, match.start()) for stop in ".;!?\n•")
                ends = [folded.find(stop, match.end()) for stop in ".;!?\n•"]
                end = min((e for e in ends if e >= 0), default=len(folded))
                if _NOT_CHARGED.search(folded[start + 1 : end]):
                    continue
                found.append(match.group(0))
    return found


__all__ = ["fee_phrases", "fix_homoglyphs", "normalise_place", "normalise_title"]
