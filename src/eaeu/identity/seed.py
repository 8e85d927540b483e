"""Demonstration people and organisations of every state, for development nodes.

Usernames are ``<state>-<role>`` (``kg-citizen``, ``ru-employer``…) and every password is
``demo-password``. Names are realistic in the national script, with their ICAO 9303 Latin
transliteration; national identifiers are synthetic but pass the published rules of
:mod:`eaeu.kernel.identifiers`. Seeding is idempotent: what exists is left alone.
"""

# Names and organisations are Cyrillic and Armenian text by nature.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from eaeu.identity.accounts import (
    ORGANISATION_ID_KINDS,
    PERSON_ID_KINDS,
    Accounts,
    NewOrganisation,
    NewPerson,
)
from eaeu.identity.errors import RegistrationRefused
from eaeu.identity.model import (
    BORDER,
    CITIZEN,
    EMPLOYER,
    INSURER,
    LAB,
    LANDLORD,
    OPERATOR,
    ROLES,
)
from eaeu.identity.passwords import Passwords
from eaeu.kernel.log import get_logger

#: The one password of every demonstration account (published in the README).
DEMO_PASSWORD: Final = "demo-password"  # noqa: S105 - a published demonstration password

log = get_logger("eaeu.identity")


@dataclass(frozen=True, slots=True)
class DemoOrganisation:
    """A demonstration organisation: its kind is also the role of its member."""

    kind: str
    legal_id: str
    name: str
    name_latin: str
    licence: str | None = None
    tax_id: str | None = None


@dataclass(frozen=True, slots=True)
class DemoPerson:
    """A demonstration person holding one role (and ``citizen``)."""

    role: str
    given_name: str
    family_name: str
    birth_date: date
    national_id: str
    tax_id: str | None = None
    given_name_latin: str | None = None
    family_name_latin: str | None = None


def _d(text: str) -> date:
    return date.fromisoformat(text)


ORGANISATIONS: Final[dict[str, tuple[DemoOrganisation, ...]]] = {
    "AM": (
        DemoOrganisation(LAB, "02571841", "«Երևան Լաբ» ՍՊԸ", "Yerevan Lab LLC", "AM-LAB-0112"),
        DemoOrganisation(EMPLOYER, "02233975", "«Արարատ Շին» ՍՊԸ", "Ararat Shin LLC"),
        DemoOrganisation(
            INSURER, "00849337", "«Հայ Ապահովագրություն» ՓԲԸ", "Hay Apahovagrutyun CJSC"
        ),
        DemoOrganisation(LANDLORD, "05532118", "«Գյումրի Բնակարան» ՍՊԸ", "Gyumri Bnakaran LLC"),
    ),
    "BY": (
        DemoOrganisation(
            LAB,
            "190123455",
            "ТАА «Мінскі лабараторны цэнтр»",
            "Minski Labaratorny Tsentr LLC",
            "BY-LAB-0271",
        ),
        DemoOrganisation(EMPLOYER, "690123457", "ААТ «Белбудмантаж»", "Belbudmantazh OJSC"),
        DemoOrganisation(INSURER, "790123453", "ЗАТ «Белстрах-Поліс»", "Belstrakh-Polis CJSC"),
        DemoOrganisation(LANDLORD, "390123458", "ТАА «Гродна Жыллё»", "Hrodna Zhyllio LLC"),
    ),
    "KG": (
        DemoOrganisation(
            LAB, "01503201910123", "ОсОО «Бишкек Медлаб»", "Bishkek Medlab LLC", "KG-LAB-0417"
        ),
        DemoOrganisation(
            EMPLOYER, "02204201510234", "ОсОО «Ала-Тоо Курулуш»", "Ala-Too Kurulush LLC"
        ),
        DemoOrganisation(
            INSURER, "02611200710345", "ЖАК «Кыргыз Камсыздандыруу»", "Kyrgyz Kamsyzdandyruu JSC"
        ),
        DemoOrganisation(
            LANDLORD, "01807201810456", "ОсОО «Манас Турак Жай»", "Manas Turak Zhai LLC"
        ),
    ),
    "KZ": (
        DemoOrganisation(
            LAB, "190340030712", "ТОО «Алматы Диагностика»", "Almaty Diagnostika LLP", "KZ-LAB-0733"
        ),
        DemoOrganisation(EMPLOYER, "071140030713", "ТОО «Қазақ Құрылыс»", "Kazakh Kurylys LLP"),
        DemoOrganisation(
            INSURER, "080240030716", "АО «Сақтандыру Орталығы»", "Saktandyru Ortalygy JSC"
        ),
        DemoOrganisation(
            LANDLORD, "150640030716", "ТОО «Астана Тұрғын Үй»", "Astana Turgyn Ui LLP"
        ),
    ),
    "RU": (
        DemoOrganisation(
            LAB,
            "1027700013230",
            "ООО «МедЛаб Диагностика»",
            "MedLab Diagnostika LLC",
            "RU-LAB-1022",
            "7701234514",
        ),
        DemoOrganisation(
            EMPLOYER, "1157746013237", "ООО «СтройМонтаж»", "StroiMontazh LLC", None, "7725234513"
        ),
        DemoOrganisation(
            INSURER,
            "1037739013234",
            "АО «Страховая компания „Надёжность“»",
            "Insurance Company Nadezhnost JSC",
            None,
            "7710234510",
        ),
        DemoOrganisation(
            LANDLORD,
            "1095407013239",
            "ООО «Сибирское жильё»",
            "Sibirskoe Zhilie LLC",
            None,
            "5406234513",
        ),
    ),
}

PEOPLE: Final[dict[str, tuple[DemoPerson, ...]]] = {
    "AM": (
        DemoPerson(CITIZEN, "Արամ", "Պետրոսյան", _d("1990-04-15"), "2904900123"),
        DemoPerson(LAB, "Անի", "Հակոբյան", _d("1985-11-23"), "3311850456"),
        DemoPerson(EMPLOYER, "Գագիկ", "Սարգսյան", _d("1977-02-28"), "1802770789"),
        DemoPerson(INSURER, "Լուսինե", "Գրիգորյան", _d("1992-09-09"), "4909921012"),
        DemoPerson(LANDLORD, "Տիգրան", "Հովհաննիսյան", _d("1988-06-30"), "1306881345"),
        DemoPerson(BORDER, "Նարեկ", "Մարտիրոսյան", _d("1975-12-01"), "2112751678"),
        DemoPerson(OPERATOR, "Մարինե", "Ավետիսյան", _d("1991-03-18"), "3803911901"),
    ),
    "BY": (
        DemoPerson(CITIZEN, "Алесь", "Казлоўскі", _d("1985-03-15"), "3150385A001PB6"),
        DemoPerson(LAB, "Вольга", "Навіцкая", _d("1991-07-22"), "4220791M001PB4"),
        DemoPerson(EMPLOYER, "Андрэй", "Шымановіч", _d("1978-07-03"), "3030778H001PB4"),
        DemoPerson(INSURER, "Ганна", "Ждановіч", _d("1988-05-11"), "4110588C001PB2"),
        DemoPerson(LANDLORD, "Сяргей", "Лукашэвіч", _d("1980-06-27"), "3270680K001PB5"),
        DemoPerson(BORDER, "Марына", "Кавалёва", _d("1993-09-09"), "4090993E001PB1"),
        DemoPerson(OPERATOR, "Віктар", "Бондар", _d("1982-04-18"), "3180482B001PB4"),
    ),
    "KG": (
        DemoPerson(CITIZEN, "Айгуль", "Асанова", _d("1990-04-15"), "11504199000123"),
        DemoPerson(LAB, "Нурбек", "Жумабеков", _d("1985-11-23"), "22311198500456"),
        DemoPerson(EMPLOYER, "Бакыт", "Токтогулов", _d("1977-02-28"), "22802197700789"),
        DemoPerson(INSURER, "Жылдыз", "Осмонова", _d("1992-09-09"), "10909199201012"),
        DemoPerson(LANDLORD, "Азамат", "Мамытов", _d("1988-06-30"), "23006198801345"),
        DemoPerson(BORDER, "Эрмек", "Сыдыков", _d("1975-12-01"), "20112197501678"),
        DemoPerson(OPERATOR, "Чолпон", "Абдыкалыкова", _d("1991-03-18"), "11803199101901"),
    ),
    "KZ": (
        DemoPerson(CITIZEN, "Айгерім", "Сейтқалиева", _d("1990-04-15"), "900415401217"),
        DemoPerson(LAB, "Нұрлан", "Әбдіқадыров", _d("1985-11-23"), "851123301214"),
        DemoPerson(EMPLOYER, "Ерлан", "Жақсыбеков", _d("1977-02-28"), "770228301215"),
        DemoPerson(INSURER, "Динара", "Құдайбергенова", _d("1992-09-09"), "920909401216"),
        DemoPerson(LANDLORD, "Гүлнар", "Оспанова", _d("1988-06-30"), "880630401221"),
        DemoPerson(BORDER, "Сәуле", "Ахметова", _d("1975-12-01"), "751201401213"),
        DemoPerson(OPERATOR, "Тимур", "Ысқақов", _d("1991-03-18"), "910318301215"),
    ),
    "RU": (
        DemoPerson(
            CITIZEN, "Иван", "Петров", _d("1990-04-15"), "11200445675", tax_id="770712345707"
        ),
        DemoPerson(LAB, "Елена", "Смирнова", _d("1985-11-23"), "12300445690"),
        DemoPerson(EMPLOYER, "Сергей", "Кузнецов", _d("1977-02-28"), "13400445705"),
        DemoPerson(INSURER, "Ольга", "Васильева", _d("1992-09-09"), "14500445720"),
        DemoPerson(LANDLORD, "Дмитрий", "Соколов", _d("1988-06-30"), "15600445735"),
        DemoPerson(BORDER, "Андрей", "Морозов", _d("1975-12-01"), "16700445750"),
        DemoPerson(OPERATOR, "Наталья", "Волкова", _d("1991-03-18"), "17800445765"),
    ),
}


def username(state: str, role: str) -> str:
    """The demonstration username of ``role`` in ``state`` (``kg-citizen``)."""
    return f"{state.lower()}-{role}"


class _HashOnce(Passwords):
    """Hashes the demonstration password once per seeding instead of once per account.

    The password is published, so a shared salt reveals nothing; it saves a second of
    argon2 work at every development node start.
    """

    def __init__(self, inner: Passwords) -> None:
        super().__init__()
        self._inner = inner
        self._hashes: dict[str, str] = {}

    def hash(self, password: str) -> str:
        if password not in self._hashes:
            self._hashes[password] = self._inner.hash(password)
        return self._hashes[password]


def seed_demo_accounts(accounts: Accounts, state: str) -> int:
    """Register the demonstration organisations and people of ``state`` that are missing.

    Args:
        accounts: the node's accounts.
        state: the node's state.

    Returns:
        How many people and organisations were registered now.
    """
    code = state.upper()
    created = 0
    organisation_of: dict[str, str] = {}
    for org in ORGANISATIONS[code]:
        existing = accounts.organisation_by_legal_id(org.legal_id)
        if existing is None:
            try:
                existing = accounts.register_organisation(
                    NewOrganisation(
                        state=code,
                        legal_id_kind=ORGANISATION_ID_KINDS[code],
                        legal_id=org.legal_id,
                        name=org.name,
                        name_latin=org.name_latin,
                        kinds=frozenset({org.kind}),
                        licence=org.licence,
                        tax_id=org.tax_id,
                    )
                )
                created += 1
            except RegistrationRefused:
                # Another process of this node registered it a moment ago.
                existing = accounts.organisation_by_legal_id(org.legal_id)
        if existing is not None:
            organisation_of[org.kind] = existing.id
    once = accounts.with_passwords(_HashOnce(accounts.passwords))
    for person in PEOPLE[code]:
        name = username(code, person.role)
        if accounts.person_by_username(name) is not None:
            continue
        try:
            once.register_person(
                NewPerson(
                    state=code,
                    national_id_kind=PERSON_ID_KINDS[code],
                    national_id=person.national_id,
                    family_name=person.family_name,
                    given_name=person.given_name,
                    family_name_latin=person.family_name_latin,
                    given_name_latin=person.given_name_latin,
                    birth_date=person.birth_date,
                    email=f"{name}@demo.example",
                    username=name,
                    roles=frozenset({CITIZEN, person.role}),
                    organisation_id=organisation_of.get(person.role),
                    tax_id=person.tax_id,
                ),
                DEMO_PASSWORD,
            )
            created += 1
        except RegistrationRefused:
            continue  # registered by another process of this node meanwhile
    if created:
        log.info("identity.seed.created", state=code, count=created)
    return created


__all__ = ["DEMO_PASSWORD", "ORGANISATIONS", "PEOPLE", "ROLES", "seed_demo_accounts", "username"]
