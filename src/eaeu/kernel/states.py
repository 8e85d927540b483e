"""The registry of EAEU member states.

Names are given in English, Russian (the union's working language) and the state's
national language; ``languages`` lists the official languages as ISO 639-1 codes;
``currency`` is ISO 4217; ``time_zone`` is the IANA zone of the capital.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from eaeu.kernel.errors import NotFound


@dataclass(frozen=True, slots=True)
class LocalName:
    """A name in one language: the short form and the official long form."""

    short: str
    official: str


@dataclass(frozen=True, slots=True)
class MemberState:
    """One member state of the Eurasian Economic Union."""

    code: str  # ISO 3166-1 alpha-2
    alpha3: str  # ISO 3166-1 alpha-3
    national_language: str  # ISO 639-1 code of the state language
    languages: tuple[str, ...]
    currency: str
    time_zone: str
    names: MappingProxyType[str, LocalName]

    def name(self, language: str = "en") -> str:
        """Return the short name in ``language`` (falling back to English)."""
        return (self.names.get(language) or self.names["en"]).short

    def official_name(self, language: str = "en") -> str:
        """Return the official long name in ``language`` (falling back to English)."""
        return (self.names.get(language) or self.names["en"]).official


def _state(
    code: str,
    alpha3: str,
    national: str,
    languages: tuple[str, ...],
    currency: str,
    time_zone: str,
    **names: tuple[str, str],
) -> MemberState:
    return MemberState(
        code=code,
        alpha3=alpha3,
        national_language=national,
        languages=languages,
        currency=currency,
        time_zone=time_zone,
        names=MappingProxyType({lang: LocalName(*pair) for lang, pair in names.items()}),
    )


MEMBER_STATES: MappingProxyType[str, MemberState] = MappingProxyType(
    {
        "AM": _state(
            "AM", "ARM", "hy", ("hy",), "AMD", "Asia/Yerevan",
            en=("Armenia", "Republic of Armenia"),
            ru=("Армения", "Республика Армения"),
            hy=("Հայաստան", "Հայաստանի Հանրապետություն"),
        ),
        "BY": _state(
            "BY", "BLR", "be", ("be", "ru"), "BYN", "Europe/Minsk",
            en=("Belarus", "Republic of Belarus"),
            ru=("Беларусь", "Республика Беларусь"),
            be=("Беларусь", "Рэспубліка Беларусь"),
        ),
        "KG": _state(
            "KG", "KGZ", "ky", ("ky", "ru"), "KGS", "Asia/Bishkek",
            en=("Kyrgyzstan", "Kyrgyz Republic"),
            ru=("Кыргызстан", "Кыргызская Республика"),
            ky=("Кыргызстан", "Кыргыз Республикасы"),
        ),
        "KZ": _state(
            "KZ", "KAZ", "kk", ("kk", "ru"), "KZT", "Asia/Almaty",
            en=("Kazakhstan", "Republic of Kazakhstan"),
            ru=("Казахстан", "Республика Казахстан"),
            kk=("Қазақстан", "Қазақстан Республикасы"),
        ),
        "RU": _state(
            "RU", "RUS", "ru", ("ru",), "RUB", "Europe/Moscow",
            en=("Russia", "Russian Federation"),
            ru=("Россия", "Российская Федерация"),
        ),
    }
)  # fmt: skip

#: State codes in the order the union lists them (alphabetical by code).
STATE_CODES: tuple[str, ...] = tuple(sorted(MEMBER_STATES))


def get_state(code: str) -> MemberState:
    """Return the member state with ISO code ``code`` (case-insensitive).

    Raises:
        NotFound: the code is not a member state.
    """
    try:
        return MEMBER_STATES[code.upper()]
    except KeyError:
        raise NotFound(
            f"{code!r} is not a member state of the EAEU", reason="state.unknown"
        ) from None
