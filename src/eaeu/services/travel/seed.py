"""Demonstration labs of every state, for development nodes.

Two or three labs per state, in real cities (Yerevan and Gyumri, Minsk and Brest, Moscow and
Kazan, Almaty and Astana, Bishkek and Osh), with opening hours, prices in the national
currency and both kinds of test. The first lab of each state is the laboratory organisation
that identity seeds (``by-lab`` and the other ``<state>-lab`` accounts work there). Kazakh
and Kyrgyz labs are accredited at home from the start but stay hidden, and are not
replicated, until their state joins travel in the union trust list.

Seeding is idempotent: labs have stable ids and what exists is left alone.
"""

# Names and addresses are Armenian and Cyrillic text by nature.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy.exc import IntegrityError

from eaeu.identity.accounts import Accounts
from eaeu.kernel.log import get_logger
from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.travel.commands import AccreditLab
from eaeu.services.travel.labs import LabRegistry, demo_lab_id
from eaeu.services.travel.model import OfferedTest, TestKind, parse_hours

log = get_logger("eaeu.travel")


@dataclass(frozen=True, slots=True)
class DemoLab:
    """A demonstration lab; ``key`` makes its stable id."""

    key: str
    name: str
    name_latin: str
    legal_id: str
    licence: str
    address: str
    city_en: str
    city_ru: str
    latitude: float
    longitude: float
    pcr: str
    rat: str | None
    device: str | None
    hours: str
    identity_lab: bool = False


WEEKDAYS: Final = "Mon-Fri 08:00-18:00; Sat 09:00-14:00"
EVERY_DAY: Final = "Mon-Sun 07:00-21:00"

LABS: Final[dict[str, tuple[DemoLab, ...]]] = {
    "AM": (
        DemoLab(
            "yerevan-lab",
            "«Երևան Լաբ» ՍՊԸ",
            "Yerevan Lab LLC",
            "02571841",
            "AM-LAB-0112",
            "Երևան, Տիգրան Մեծի պող. 14",
            "Yerevan",
            "Ереван",
            40.1776,
            44.5126,
            "15000",
            "6000",
            "1232",
            WEEKDAYS,
            identity_lab=True,
        ),
        DemoLab(
            "yerevan-airport",
            "«Զվարթնոց Լաբ» ՍՊԸ",
            "Zvartnots Lab LLC",
            "02598317",
            "AM-LAB-0140",
            "Զվարթնոց օդանավակայան, մեկնման սրահ",
            "Yerevan",
            "Ереван",
            40.1473,
            44.3959,
            "18000",
            "7000",
            "1833",
            EVERY_DAY,
        ),
        DemoLab(
            "gyumri",
            "«Գյումրի Ախտորոշում» ՍՊԸ",
            "Gyumri Akhtoroshum LLC",
            "05521409",
            "AM-LAB-0213",
            "Գյումրի, Վարդանանց հրապ. 3",
            "Gyumri",
            "Гюмри",
            40.7894,
            43.8475,
            "14000",
            None,
            None,
            WEEKDAYS,
        ),
    ),
    "BY": (
        DemoLab(
            "minsk-centre",
            "ТАА «Мінскі лабараторны цэнтр»",
            "Minski Labaratorny Tsentr LLC",
            "190123455",
            "BY-LAB-0271",
            "г. Мінск, пр-т Незалежнасці, 58",
            "Minsk",
            "Минск",
            53.9178,
            27.5875,
            "95.00",
            "35.00",
            "1232",
            WEEKDAYS,
            identity_lab=True,
        ),
        DemoLab(
            "minsk-airport",
            "ТАА «Аэрапорт Дыягностыка»",
            "Aeraport Dyiagnostyka LLC",
            "190145676",
            "BY-LAB-0288",
            "Нацыянальны аэрапорт «Мінск», тэрмінал 1",
            "Minsk",
            "Минск",
            53.8825,
            28.0307,
            "110.00",
            "40.00",
            "1268",
            EVERY_DAY,
        ),
        DemoLab(
            "brest",
            "ТАА «Брэсцкая медычная лабараторыя»",
            "Brestskaia Medychnaia Labaratoryia LLC",
            "290223457",
            "BY-LAB-0304",
            "г. Брэст, вул. Савецкая, 46",
            "Brest",
            "Брест",
            52.0907,
            23.6859,
            "90.00",
            None,
            None,
            WEEKDAYS,
        ),
    ),
    "RU": (
        DemoLab(
            "moscow-medlab",
            "ООО «МедЛаб Диагностика»",
            "MedLab Diagnostika LLC",
            "1027700013230",
            "RU-LAB-1022",
            "г. Москва, ул. Тверская, 12",
            "Moscow",
            "Москва",
            55.7649,
            37.6056,
            "1900.00",
            "900.00",
            "1232",
            WEEKDAYS,
            identity_lab=True,
        ),
        DemoLab(
            "moscow-sheremetyevo",
            "ООО «Аэро Тест»",
            "Aero Test LLC",
            "1027700045670",
            "RU-LAB-1140",
            "Московская обл., аэропорт Шереметьево, терминал B",
            "Moscow",
            "Москва",
            55.9726,
            37.4146,
            "2400.00",
            "1100.00",
            "1304",
            EVERY_DAY,
        ),
        DemoLab(
            "kazan",
            "ООО «Казанская лаборатория»",
            "Kazanskaia Laboratoriia LLC",
            "1021600123456",
            "RU-LAB-1603",
            "г. Казань, ул. Баумана, 51",
            "Kazan",
            "Казань",
            55.7887,
            49.1221,
            "1700.00",
            None,
            None,
            WEEKDAYS,
        ),
    ),
    "KZ": (
        DemoLab(
            "almaty",
            "ТОО «Алматы Диагностика»",
            "Almaty Diagnostika LLP",
            "190340030712",
            "KZ-LAB-0733",
            "г. Алматы, пр. Абая, 52",
            "Almaty",
            "Алматы",
            43.2389,
            76.8897,
            "12000.00",
            "5000.00",
            "1232",
            WEEKDAYS,
            identity_lab=True,
        ),
        DemoLab(
            "astana",
            "ТОО «Астана Зертхана»",
            "Astana Zerthana LLP",
            "200540045673",
            "KZ-LAB-0790",
            "г. Астана, пр. Мангилик Ел, 8",
            "Astana",
            "Астана",
            51.1282,
            71.4304,
            "12500.00",
            None,
            None,
            WEEKDAYS,
        ),
    ),
    "KG": (
        DemoLab(
            "bishkek",
            "ОсОО «Бишкек Медлаб»",
            "Bishkek Medlab LLC",
            "01503201910123",
            "KG-LAB-0417",
            "г. Бишкек, пр. Чуй, 120",
            "Bishkek",
            "Бишкек",
            42.8746,
            74.5698,
            "1500.00",
            "700.00",
            "1833",
            WEEKDAYS,
            identity_lab=True,
        ),
        DemoLab(
            "osh",
            "ОсОО «Ош Лаборатория»",
            "Osh Laboratoriia LLC",
            "01712201810987",
            "KG-LAB-0452",
            "г. Ош, ул. Ленина, 205",
            "Osh",
            "Ош",
            40.5283,
            72.7985,
            "1400.00",
            None,
            None,
            WEEKDAYS,
        ),
    ),
}


def _tests(lab: DemoLab, currency: str) -> tuple[OfferedTest, ...]:
    tests = [OfferedTest(TestKind.PCR, Decimal(lab.pcr), currency, 24)]
    if lab.rat is not None:
        tests.append(OfferedTest(TestKind.RAT, Decimal(lab.rat), currency, 1, lab.device))
    return tuple(tests)


def seed_demo_labs(registry: LabRegistry, accounts: Accounts) -> int:
    """Accredit the demonstration labs of the registry's state that are missing.

    Args:
        registry: the node's lab registry.
        accounts: the node's accounts (the identity lab organisation to link).

    Returns:
        How many labs were accredited now.
    """
    state = registry.state
    currency = MEMBER_STATES[state].currency
    today = registry.clock.now().date()
    existing = {lab.id for lab in registry.own()}
    created = 0
    for demo in LABS.get(state, ()):
        lab_id = demo_lab_id(state, demo.key)
        if lab_id in existing:
            continue
        organisation = (
            accounts.organisation_by_legal_id(demo.legal_id) if demo.identity_lab else None
        )
        command = AccreditLab(
            name=demo.name,
            name_latin=demo.name_latin,
            legal_id=demo.legal_id,
            licence=demo.licence,
            address=demo.address,
            city_en=demo.city_en,
            city_ru=demo.city_ru,
            latitude=demo.latitude,
            longitude=demo.longitude,
            tests=_tests(demo, currency),
            hours=parse_hours(demo.hours),
            accredited_from=today - timedelta(days=90),
            accredited_until=today + timedelta(days=365),
            organisation_id=None if organisation is None else organisation.id,
        )
        try:
            registry.accredit(command, new_id=lab_id)
        except IntegrityError:
            continue  # another process of this node seeded it a moment ago
        created += 1
    if created:
        log.info("travel.seed.created", state=state, count=created)
    return created


__all__ = ["LABS", "seed_demo_labs"]
