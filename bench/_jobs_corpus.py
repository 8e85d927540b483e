"""A synthetic, reproducible corpus of vacancies over the five member states.

Not a benchmark itself. Each vacancy is drawn from skewed distributions: state (Russia
most), city within the state (Zipf), occupation (Zipf over about 120 ISCO-08 unit groups,
drivers, shop staff, cooks, builders and warehouse work first), language of the ad (mostly
Russian; English in a share that grows from Belarus to Armenia), pay (by occupation and
state, some unstated), dates (recent ones more likely; some expired or not reconfirmed).

Titles are written per occupation in Russian and English as real ads word them («Водитель
категории C», "HGV driver", «Повар горячего цеха») with optional modifiers («Старший…»,
"… (night shift)"), so a title often contains words that are not in any ISCO label. The
true ISCO code of every vacancy is kept as ground truth for judging relevance even where
the stored ``isco`` is left empty (as for part of the ingested ads).
"""

# The titles are Russian and English data, one occupation a line (a table reads best unwrapped).
# ruff: noqa: RUF001, E501, ISC004

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 9, tzinfo=UTC)

STATES = {"RU": 0.55, "KZ": 0.2, "BY": 0.12, "KG": 0.08, "AM": 0.05}
ENGLISH_SHARE = {"RU": 0.08, "KZ": 0.2, "BY": 0.05, "KG": 0.15, "AM": 0.55}
CURRENCY = {
    "RU": ("RUB", 1.0),
    "KZ": ("KZT", 5.6),
    "BY": ("BYN", 0.037),
    "KG": ("KGS", 1.05),
    "AM": ("AMD", 4.7),
}
PAY_LEVEL = {"RU": 1.0, "KZ": 0.7, "BY": 0.6, "KG": 0.45, "AM": 0.5}
CITIES = {
    "RU": [
        ("Москва", "Москва"), ("Санкт-Петербург", "Санкт-Петербург"),
        ("Новосибирская область", "Новосибирск"), ("Свердловская область", "Екатеринбург"),
        ("Республика Татарстан", "Казань"), ("Нижегородская область", "Нижний Новгород"),
        ("Краснодарский край", "Краснодар"), ("Самарская область", "Самара"),
        ("Ростовская область", "Ростов-на-Дону"), ("Челябинская область", "Челябинск"),
        ("Республика Башкортостан", "Уфа"), ("Пермский край", "Пермь"),
        ("Воронежская область", "Воронеж"), ("Ханты-Мансийский АО", "Сургут"),
        ("Приморский край", "Владивосток"), ("Калужская область", "Калуга"),
    ],
    "KZ": [
        ("Алматы", "Алматы"), ("Астана", "Астана"), ("Шымкент", "Шымкент"),
        ("Карагандинская область", "Караганда"), ("Актюбинская область", "Актобе"),
        ("Атырауская область", "Атырау"), ("Павлодарская область", "Павлодар"),
    ],
    "BY": [
        ("Минск", "Минск"), ("Гомельская область", "Гомель"), ("Брестская область", "Брест"),
        ("Гродненская область", "Гродно"), ("Витебская область", "Витебск"),
        ("Могилёвская область", "Могилёв"),
    ],
    "KG": [("Бишкек", "Бишкек"), ("Ошская область", "Ош"), ("Чуйская область", "Токмок")],
    "AM": [("Yerevan", "Yerevan"), ("Shirak", "Gyumri"), ("Lori", "Vanadzor")],
}  # fmt: skip

# ISCO unit group → (monthly pay in roubles, Russian titles, English titles), most common first.
OCCUPATIONS: dict[str, tuple[int, tuple[str, ...], tuple[str, ...]]] = {
    "8332": (95000, ("Водитель грузовика", "Водитель категории C", "Водитель категории CE", "Водитель-дальнобойщик", "Водитель самосвала", "Водитель фуры"), ("Truck driver", "HGV driver", "Lorry driver", "Long-haul truck driver", "Tipper driver")),
    "5223": (45000, ("Продавец-консультант", "Продавец", "Продавец-кассир", "Продавец в магазин продуктов"), ("Sales assistant", "Shop assistant", "Retail sales associate")),
    "8322": (70000, ("Водитель такси", "Водитель категории B", "Водитель-экспедитор", "Личный водитель", "Водитель легкового автомобиля"), ("Taxi driver", "Delivery van driver", "Chauffeur", "Car driver")),
    "9333": (50000, ("Грузчик", "Грузчик-комплектовщик", "Грузчик на склад", "Разнорабочий-грузчик"), ("Warehouse loader", "Loader", "Mover", "Freight handler")),
    "5120": (55000, ("Повар", "Повар горячего цеха", "Повар-универсал", "Повар холодного цеха", "Повар в столовую"), ("Cook", "Line cook", "Kitchen cook", "Cook for staff canteen")),
    "9112": (35000, ("Уборщица", "Уборщик служебных помещений", "Горничная", "Клинер"), ("Cleaner", "Office cleaner", "Room attendant", "Housekeeping attendant")),
    "7212": (85000, ("Сварщик", "Электрогазосварщик", "Электросварщик", "Сварщик НАКС", "Газорезчик"), ("Welder", "MIG/MAG welder", "Arc welder", "TIG welder")),
    "9313": (50000, ("Разнорабочий", "Подсобный рабочий", "Подсобник на стройку", "Рабочий на стройку"), ("General labourer", "Construction labourer", "Construction helper")),
    "5230": (40000, ("Кассир", "Кассир-операционист", "Кассир в супермаркет"), ("Cashier", "Checkout operator", "Supermarket cashier")),
    "9321": (42000, ("Упаковщик", "Фасовщик", "Комплектовщик заказов", "Сборщик заказов"), ("Packer", "Order picker", "Warehouse picker")),
    "5414": (45000, ("Охранник", "Сторож", "Охранник 4 разряда", "Контролер охраны"), ("Security guard", "Security officer", "Watchman")),
    "7111": (80000, ("Строитель", "Строитель-универсал", "Монолитчик", "Рабочий-строитель"), ("Builder", "Construction worker", "House builder")),
    "5131": (40000, ("Официант", "Официантка", "Официант в ресторан"), ("Waiter", "Waitress", "Restaurant server")),
    "7231": (75000, ("Автослесарь", "Автомеханик", "Слесарь по ремонту автомобилей"), ("Car mechanic", "Auto mechanic", "Motor vehicle technician")),
    "3221": (50000, ("Медсестра", "Медицинская сестра", "Медбрат", "Процедурная медсестра", "Палатная медсестра"), ("Nurse", "Staff nurse", "Practical nurse")),
    "7411": (70000, ("Электрик", "Электромонтажник", "Электромонтер", "Электрик в ЖКХ"), ("Electrician", "Building electrician", "Electrical installer")),
    "2411": (65000, ("Бухгалтер", "Главный бухгалтер", "Бухгалтер по расчету заработной платы"), ("Accountant", "Chief accountant", "Staff accountant")),
    "3322": (60000, ("Менеджер по продажам", "Торговый представитель", "Менеджер по работе с клиентами"), ("Sales representative", "Sales manager", "Account manager")),
    "7126": (65000, ("Сантехник", "Слесарь-сантехник", "Монтажник систем водоснабжения"), ("Plumber", "Pipefitter", "Plumbing technician")),
    "2512": (150000, ("Программист", "Разработчик Python", "Java-разработчик", "Backend-разработчик", "Разработчик программного обеспечения"), ("Software developer", "Python developer", "Backend engineer", "Software engineer")),
    "8344": (60000, ("Водитель погрузчика", "Оператор погрузчика", "Карщик"), ("Forklift driver", "Forklift operator", "Reach truck operator")),
    "4321": (50000, ("Кладовщик", "Оператор склада", "Заведующий складом"), ("Storekeeper", "Warehouse clerk", "Stock controller")),
    "7112": (75000, ("Каменщик", "Каменщик-монтажник", "Каменщик на кладку газобетона"), ("Bricklayer", "Mason", "Blocklayer")),
    "7115": (70000, ("Плотник", "Столяр", "Плотник-бетонщик"), ("Carpenter", "Joiner", "Formwork carpenter")),
    "8343": (90000, ("Машинист крана", "Крановщик", "Машинист башенного крана", "Машинист автокрана"), ("Crane operator", "Tower crane operator", "Mobile crane operator")),
    "8342": (90000, ("Машинист экскаватора", "Машинист бульдозера", "Экскаваторщик"), ("Excavator operator", "Bulldozer operator", "Digger driver")),
    "8341": (60000, ("Тракторист", "Тракторист-машинист", "Комбайнер"), ("Tractor driver", "Combine harvester operator", "Farm machinery operator")),
    "8331": (70000, ("Водитель автобуса", "Водитель категории D", "Водитель троллейбуса"), ("Bus driver", "Coach driver", "Tram driver")),
    "7131": (60000, ("Маляр", "Маляр-штукатур", "Маляр-отделочник"), ("Painter", "Painter and decorator", "House painter")),
    "7122": (70000, ("Плиточник", "Облицовщик-плиточник", "Укладчик напольных покрытий"), ("Tiler", "Floor layer", "Wall and floor tiler")),
    "7123": (65000, ("Штукатур", "Штукатур-маляр"), ("Plasterer", "Drywall plasterer")),
    "9412": (32000, ("Кухонный работник", "Посудомойщица", "Мойщик посуды", "Помощник повара"), ("Kitchen helper", "Dishwasher", "Kitchen porter")),
    "9621": (55000, ("Курьер", "Пеший курьер", "Курьер-доставщик", "Доставщик еды"), ("Courier", "Delivery rider", "Food delivery courier")),
    "7533": (40000, ("Швея", "Швея-мотористка", "Швея на производство одежды"), ("Seamstress", "Sewer", "Sewing operator")),
    "7512": (45000, ("Пекарь", "Кондитер", "Пекарь-кондитер"), ("Baker", "Pastry cook", "Bakery worker")),
    "7511": (55000, ("Обвальщик мяса", "Жиловщик мяса", "Разделочник рыбы"), ("Butcher", "Meat cutter", "Meat boner")),
    "2330": (45000, ("Учитель математики", "Учитель русского языка", "Учитель английского языка", "Учитель"), ("Teacher", "Secondary school teacher", "Maths teacher")),
    "2342": (35000, ("Воспитатель", "Воспитатель детского сада"), ("Kindergarten teacher", "Preschool teacher")),
    "2211": (90000, ("Врач-терапевт", "Врач общей практики", "Участковый терапевт"), ("General practitioner", "Doctor", "Family physician")),
    "7223": (75000, ("Токарь", "Фрезеровщик", "Оператор станков с ЧПУ"), ("CNC operator", "Machinist", "Lathe operator")),
    "7233": (70000, ("Слесарь-ремонтник", "Механик", "Слесарь механосборочных работ"), ("Maintenance mechanic", "Industrial mechanic", "Fitter")),
    "8160": (45000, ("Оператор линии", "Оператор производственной линии", "Оператор пищевого производства"), ("Production line operator", "Food production operator")),
    "9329": (42000, ("Рабочий на производство", "Подсобный рабочий на завод", "Упаковщик на производство"), ("Factory worker", "Production worker", "Manufacturing operative")),
    "9211": (38000, ("Сборщик урожая", "Сезонный рабочий", "Рабочий в теплицу"), ("Fruit picker", "Seasonal farm worker", "Harvest worker")),
    "6121": (45000, ("Оператор машинного доения", "Животновод", "Скотник"), ("Dairy farm worker", "Livestock worker", "Milker")),
    "8111": (110000, ("Горнорабочий", "Проходчик", "Горнорабочий подземный"), ("Miner", "Underground miner", "Mine worker")),
    "8113": (120000, ("Бурильщик", "Помощник бурильщика", "Бурильщик скважин"), ("Driller", "Drilling operator", "Assistant driller")),
    "4222": (40000, ("Оператор колл-центра", "Оператор call-центра", "Специалист контакт-центра"), ("Call centre agent", "Customer service agent", "Contact centre operator")),
    "2423": (70000, ("HR-менеджер", "Менеджер по персоналу", "Рекрутер"), ("HR manager", "Recruiter", "Talent acquisition specialist")),
    "5141": (45000, ("Парикмахер", "Барбер", "Парикмахер-универсал"), ("Hairdresser", "Barber", "Hair stylist")),
    "5132": (40000, ("Бармен", "Бариста", "Бармен-официант"), ("Bartender", "Barista")),
    "5311": (40000, ("Няня", "Помощник воспитателя"), ("Nanny", "Childcare worker")),
    "5321": (38000, ("Санитарка", "Сиделка", "Младшая медицинская сестра"), ("Care assistant", "Healthcare assistant", "Orderly")),
    "3434": (90000, ("Шеф-повар", "Су-шеф"), ("Head chef", "Sous chef", "Chef")),
    "2142": (110000, ("Инженер-строитель", "Инженер ПТО", "Инженер-проектировщик"), ("Civil engineer", "Structural engineer", "Site engineer")),
    "2144": (100000, ("Инженер-механик", "Главный механик"), ("Mechanical engineer", "Maintenance engineer")),
    "1323": (140000, ("Прораб", "Начальник участка", "Руководитель строительного проекта"), ("Site manager", "Construction manager", "Foreman")),
    "2522": (110000, ("Системный администратор", "DevOps-инженер", "Сисадмин"), ("System administrator", "DevOps engineer", "IT administrator")),
    "8182": (55000, ("Машинист котельной", "Оператор газовой котельной", "Кочегар"), ("Boiler operator", "Boiler house operator")),
    "7214": (85000, ("Монтажник металлоконструкций", "Монтажник стальных конструкций"), ("Steel erector", "Structural steel worker")),
    "7215": (60000, ("Стропальщик", "Такелажник"), ("Rigger", "Slinger")),
    "8211": (55000, ("Слесарь-сборщик", "Сборщик узлов"), ("Mechanical assembler", "Assembly fitter")),
    "8153": (40000, ("Оператор швейного оборудования", "Швея-оператор"), ("Sewing machine operator", "Machinist (sewing)")),
    "9613": (30000, ("Дворник", "Уборщик территории"), ("Street sweeper", "Yard cleaner", "Janitor")),
    "9122": (35000, ("Автомойщик", "Мойщик автомобилей"), ("Car washer", "Car wash attendant")),
    "8311": (110000, ("Машинист локомотива", "Помощник машиниста электровоза"), ("Train driver", "Locomotive driver")),
    "8350": (80000, ("Матрос", "Моторист судна", "Боцман"), ("Deckhand", "Sailor", "Able seaman")),
    "3257": (50000, ("Специалист по охране труда", "Инженер по охране труда"), ("Health and safety officer", "HSE officer")),
    "2261": (120000, ("Стоматолог", "Врач-стоматолог"), ("Dentist", "Dental surgeon")),
    "2262": (60000, ("Провизор", "Фармацевт"), ("Pharmacist", "Dispensing pharmacist")),
    "2643": (70000, ("Переводчик", "Переводчик английского языка"), ("Translator", "Interpreter")),
    "1420": (90000, ("Директор магазина", "Управляющий магазином"), ("Store manager", "Shop manager")),
    "1324": (110000, ("Начальник склада", "Руководитель логистики"), ("Warehouse manager", "Logistics manager")),
    "4323": (60000, ("Диспетчер", "Логист", "Диспетчер автотранспорта"), ("Dispatcher", "Logistics coordinator", "Transport planner")),
    "3331": (70000, ("Экспедитор", "Таможенный декларант"), ("Freight forwarder", "Customs broker")),
    "2166": (80000, ("Графический дизайнер", "Дизайнер"), ("Graphic designer", "Visual designer")),
    "2431": (80000, ("Маркетолог", "Интернет-маркетолог"), ("Marketing specialist", "Digital marketer")),
    "2611": (90000, ("Юрист", "Юрисконсульт"), ("Lawyer", "Legal counsel")),
    "6113": (40000, ("Садовник", "Озеленитель"), ("Gardener", "Landscaper")),
    "6210": (60000, ("Вальщик леса", "Лесоруб"), ("Logger", "Forestry worker")),
    "7127": (75000, ("Монтажник кондиционеров", "Холодильщик"), ("HVAC technician", "Refrigeration mechanic")),
    "7412": (65000, ("Электромеханик", "Электромонтер по ремонту оборудования"), ("Electrical fitter", "Electromechanic")),
    "7543": (45000, ("Контролер ОТК", "Контролер качества"), ("Quality inspector", "Product tester")),
    "8142": (48000, ("Оператор термопластавтомата", "Литейщик пластмасс"), ("Injection moulding operator", "Plastics machine operator")),
    "8183": (42000, ("Оператор упаковочной машины", "Маркировщик"), ("Packing machine operator", "Labelling operator")),
    "8219": (45000, ("Сборщик", "Сборщик мебели"), ("Assembler", "Assembly worker")),
    "7522": (60000, ("Мебельщик", "Краснодеревщик"), ("Furniture maker", "Cabinet maker")),
    "5142": (45000, ("Мастер маникюра", "Косметолог", "Визажист"), ("Nail technician", "Beautician", "Make-up artist")),
    "4110": (40000, ("Делопроизводитель", "Офисный служащий", "Документовед"), ("Office clerk", "Administrative clerk")),
    "4224": (40000, ("Администратор гостиницы", "Портье"), ("Hotel receptionist", "Front desk agent")),
    "5111": (60000, ("Бортпроводник", "Проводник пассажирского вагона"), ("Flight attendant", "Train attendant")),
    "5113": (40000, ("Гид", "Экскурсовод"), ("Tour guide", "Travel guide")),
    "3343": (55000, ("Помощник руководителя", "Секретарь-референт"), ("Executive assistant", "Personal assistant")),
    "3313": (45000, ("Помощник бухгалтера", "Бухгалтер-кассир"), ("Accounts assistant", "Bookkeeper")),
    "2513": (130000, ("Frontend-разработчик", "Веб-разработчик"), ("Frontend developer", "Web developer")),
    "2519": (100000, ("Тестировщик", "QA-инженер"), ("QA engineer", "Software tester")),
}  # fmt: skip

RU_PREFIX = ("", "", "", "", "Старший ", "Ведущий ", "Младший ", "Требуется ")
RU_SUFFIX = (
    "",
    "",
    "",
    "",
    " (вахта)",
    " на производство",
    " в ночную смену",
    " с проживанием",
    " без опыта",
    " в г. {city}",
)
EN_PREFIX = ("", "", "", "", "Senior ", "Junior ", "Experienced ", "Trainee ")
EN_SUFFIX = (
    "",
    "",
    "",
    "",
    " (night shift)",
    " - rotation",
    " with accommodation",
    " - no experience",
    " in {city}",
)
RU_BODY = (
    "Официальное трудоустройство по ТК, белая зарплата два раза в месяц. "
    "Спецодежда, обучение на месте, дружный коллектив. Работа в {city}.",
    "Крупная компания приглашает на постоянную работу. График {schedule}. "
    "Предоставляем общежитие иногородним, компенсация проезда.",
    "Требования: ответственность, опыт от года приветствуется. Условия: стабильная оплата, "
    "соцпакет, карьерный рост. Место работы: {city}.",
)
EN_BODY = (
    "Permanent contract, salary paid twice a month, uniform and on-the-job training. "
    "Based in {city}.",
    "A growing company is hiring. Schedule: {schedule}. Accommodation for workers from "
    "other regions, travel costs covered.",
    "Requirements: reliability; a year of experience is a plus. We offer stable pay, "
    "benefits and career growth. Location: {city}.",
)
EMPLOYMENT = (
    ("full_time", 0.72),
    ("part_time", 0.08),
    ("temporary", 0.06),
    ("seasonal", 0.06),
    ("contract", 0.06),
    ("internship", 0.02),
)
SCHEDULES = (
    ("full_day", 0.55),
    ("shift", 0.25),
    ("rotation", 0.1),
    ("flexible", 0.07),
    ("remote", 0.03),
)


@dataclass(frozen=True, slots=True)
class Truth:
    """What the generator knows of one vacancy (ground truth for judging)."""

    isco: str
    origin: str
    english: bool
    listed: bool
    salary_ref: int | None
    housing: bool
    schedule: str


def _zipf(count: int, exponent: float) -> list[float]:
    return [1 / (rank**exponent) for rank in range(1, count + 1)]


def generate(count: int, seed: int = 2026) -> Iterator[tuple[dict[str, object], Truth]]:
    """Yield ``count`` vacancy rows (``jobs_vacancies`` columns) with their ground truth."""
    rnd = random.Random(seed)
    codes = list(OCCUPATIONS)
    code_weights = _zipf(len(codes), 0.9)
    states = list(STATES)
    state_weights = list(STATES.values())
    city_weights = {state: _zipf(len(cities), 1.1) for state, cities in CITIES.items()}
    employment = [name for name, _ in EMPLOYMENT], [weight for _, weight in EMPLOYMENT]
    schedules = [name for name, _ in SCHEDULES], [weight for _, weight in SCHEDULES]
    seq = dict.fromkeys(states, 0)
    for number in range(count):
        origin = rnd.choices(states, state_weights)[0]
        region, city = rnd.choices(CITIES[origin], city_weights[origin])[0]
        code = rnd.choices(codes, code_weights)[0]
        pay, ru_titles, en_titles = OCCUPATIONS[code]
        english = rnd.random() < ENGLISH_SHARE[origin]
        schedule = rnd.choices(*schedules)[0]
        if english:
            title = rnd.choice(EN_PREFIX) + rnd.choice(en_titles) + rnd.choice(EN_SUFFIX)
            body = rnd.choice(EN_BODY)
        else:
            title = rnd.choice(RU_PREFIX) + rnd.choice(ru_titles) + rnd.choice(RU_SUFFIX)
            body = rnd.choice(RU_BODY)
        title = title.format(city=city)
        currency, rate = CURRENCY[origin]
        salary_ref = None
        salary_min = None
        if rnd.random() < 0.85:
            salary_ref = int(pay * PAY_LEVEL[origin] * rnd.uniform(0.7, 1.5)) // 1000 * 1000
            salary_min = max(1, int(salary_ref * rate))
        age = int(rnd.expovariate(1 / 25)) % 150
        posted = TODAY - timedelta(days=age)
        valid = posted + timedelta(days=rnd.choice((30, 60, 90, 120, 180)))
        confirmed = posted + timedelta(days=min(age, int(rnd.uniform(0, age + 1))))
        listed = valid >= TODAY and confirmed >= TODAY - timedelta(days=90)
        housing = rnd.random() < (0.35 if schedule == "rotation" else 0.08)
        seq[origin] += 1
        source = "portal" if rnd.random() < 0.6 else "trudvsem"
        stored_isco = None if source == "trudvsem" and rnd.random() < 0.15 else code
        row: dict[str, object] = {
            "id": f"{origin}-{number:08d}",
            "origin": origin,
            "source": source,
            "source_id": str(number),
            "title": title[:200],
            "title_norm": title.lower()[:200],
            "description": body.format(city=city, schedule=schedule),
            "isco": stored_isco,
            "employer_ref": f"{origin}-ORG-{rnd.randrange(20000):05d}",
            "employer_name": f"Employer {rnd.randrange(20000)}"
            if english
            else f"ООО Работодатель {rnd.randrange(20000)}",
            "is_agency": False,
            "agency_licence": None,
            "region": region,
            "locality": city,
            "salary_min": salary_min,
            "salary_max": None,
            "currency": currency,
            "salary_period": "month",
            "salary_ref": salary_ref,
            "employment_type": rnd.choices(*employment)[0],
            "schedule": schedule,
            "education": None,
            "experience_years": None,
            "languages": "en" if english else "ru",
            "housing": housing,
            "eaeu_open": rnd.random() < 0.7,
            "positions": 1 + int(rnd.expovariate(0.7)),
            "posted": posted,
            "valid_through": valid,
            "last_confirmed": confirmed,
            "status": "active" if rnd.random() < 0.97 else "withdrawn",
            "dedup_key": f"{number:064d}",
            "url": None,
            "seq": seq[origin],
            "updated_at": NOW,
        }
        truth = Truth(
            code,
            origin,
            english,
            listed and row["status"] == "active",
            salary_ref,
            housing,
            schedule,
        )
        yield row, truth
