"""ICAO 9303 transliteration of names, against the examples of the tables and passports."""

# ruff: noqa: RUF003 - the comments name the Cyrillic letter each example shows

import pytest

from eaeu.identity.translit import (
    TransliterationError,
    is_latin_name,
    transliterate,
    transliterate_legal_name,
)
from eaeu.kernel.errors import ValidationError


class TestRussian:
    @pytest.mark.parametrize(
        ("name", "latin"),
        [
            ("Щукин", "SHCHUKIN"),  # Щ is SHCH
            ("Айгуль", "AIGUL"),  # Й is I, Ь is omitted
            ("Подъячев", "PODIEIACHEV"),  # Ъ is IE
            ("Мария", "MARIIA"),  # Я is IA
            ("Юлия", "IULIIA"),  # Ю is IU
            ("Ёлкин", "ELKIN"),  # Ё is E
            ("Хачатрян", "KHACHATRIAN"),  # Х is KH, Ч is CH
            ("Цой", "TSOI"),  # Ц is TS
            ("Жуков", "ZHUKOV"),
            ("Шишкин", "SHISHKIN"),
            ("Быков", "BYKOV"),  # Ы is Y
            ("Эдуард", "EDUARD"),  # Э is E
            ("Гоголь", "GOGOL"),  # Г is G outside Belarusian
        ],
    )
    def test_follows_the_icao_table(self, name, latin):
        assert transliterate(name) == latin

    def test_lower_case_and_upper_case_give_the_same_result(self):
        assert transliterate("щукин") == transliterate("ЩУКИН") == "SHCHUKIN"

    def test_decomposed_letters_are_normalised_first(self):
        assert transliterate("И\u0306ошкар") == "IOSHKAR"  # Й as И + combining breve
        assert transliterate("Е\u0308лкин") == "ELKIN"  # Ё as Е + combining diaeresis


class TestBelarusian:
    @pytest.mark.parametrize(
        ("name", "latin"),
        [
            ("Аляксандр", "ALIAKSANDR"),
            ("Ігар", "IHAR"),  # Г is H in Belarusian
            ("Святлана", "SVIATLANA"),
            ("Мікалай", "MIKALAI"),
            ("Уладзіслаў", "ULADZISLAU"),  # Ў is U
            ("Вераб'ёў", "VERABIOU"),  # Ё is IO, the apostrophe is dropped
        ],
    )
    def test_follows_the_belarusian_exceptions(self, name, latin):
        assert transliterate(name, "be") == latin

    def test_a_name_with_belarusian_only_letters_uses_them_without_being_told(self):
        assert transliterate("Гаўрыла") == "HAURYLA"
        assert transliterate("Уладзіслаў") == "ULADZISLAU"

    def test_other_belarusian_names_need_the_language(self):
        assert transliterate("Ганна") == "GANNA"
        assert transliterate("Ганна", "be") == "HANNA"
        assert transliterate("Кавалёва", "be") == "KAVALIOVA"

    def test_a_russian_spelling_keeps_the_common_values(self):
        assert transliterate("Григорий") == "GRIGORII"
        assert transliterate("Григорий", "be") == "HRIHORII"


class TestKazakhAndKyrgyz:
    @pytest.mark.parametrize(
        ("name", "latin"),
        [
            ("Нұрсұлтан", "NURSULTAN"),  # Ұ
            ("Әлия", "ALIIA"),  # Ә
            ("Ғалым", "GALYM"),  # Ғ
            ("Қайрат", "KAIRAT"),  # Қ
            ("Мыңбаев", "MYNBAEV"),  # Ң
            ("Өмүрбек", "OMURBEK"),  # Ө, Ү
            ("Һадиша", "HADISHA"),  # Һ
            ("Сейітқали", "SEIITKALI"),  # Kazakh І is not Belarusian
            ("Айгерім", "AIGERIM"),  # nor is Г next to it
            ("Жыпар", "ZHYPAR"),
            ("Асанова", "ASANOVA"),
        ],
    )
    def test_extra_letters_are_their_base_letters(self, name, latin):
        assert transliterate(name) == latin


class TestArmenian:
    @pytest.mark.parametrize(
        ("name", "latin"),
        [
            ("Աշոտ", "ASHOT"),
            ("Երևան", "YEREVAN"),  # Ե at the start is YE, և is EV
            ("Գևորգ", "GEVORG"),
            ("Հարությունյան", "HARUTYUNYAN"),  # ու is U, յ is Y
            ("Ոսկանյան", "VOSKANYAN"),  # Ո at the start is VO
            ("Ուրիկ", "URIK"),  # but ՈՒ at the start is U
            ("Ծովինար", "TSOVINAR"),
            ("Ղազարյան", "GHAZARYAN"),
            ("Խաչատրյան", "KHACHATRYAN"),
            ("Ջիվան", "JIVAN"),
            ("Թադևոսյան", "TADEVOSYAN"),
            ("Էդգար", "EDGAR"),
        ],
    )
    def test_follows_armenian_passports(self, name, latin):
        assert transliterate(name) == latin

    def test_the_word_start_rule_applies_to_each_part(self):
        assert transliterate("Աննա Երեմյան") == "ANNA YEREMYAN"


class TestLatin:
    @pytest.mark.parametrize(
        ("name", "latin"),
        [
            ("Müller", "MUELLER"),
            ("Ångström", "AANGSTROEM"),
            ("Strauß", "STRAUSS"),
            ("Øster", "OESTER"),
            ("Łukasz", "LUKASZ"),
            ("José", "JOSE"),
            ("Ñúñez", "NUNEZ"),
            ("O'Neil", "ONEIL"),
        ],
    )
    def test_follows_the_latin_multinational_table(self, name, latin):
        assert transliterate(name) == latin


class TestSeparators:
    def test_keeps_hyphens_and_single_spaces(self):
        assert transliterate("Анна-Мария") == "ANNA-MARIIA"
        assert transliterate("  Анна   Мария  ") == "ANNA MARIIA"

    def test_a_space_next_to_a_hyphen_becomes_the_hyphen(self):
        assert transliterate("Анна - Мария") == "ANNA-MARIIA"

    def test_results_are_recognised_as_latin_names(self):
        assert is_latin_name(transliterate("Нұрсұлтан Әбішұлы"))
        assert not is_latin_name("Nursultan")
        assert not is_latin_name("")


class TestRefusals:
    def test_a_digit_is_refused_rather_than_lost(self):
        with pytest.raises(TransliterationError, match="U\\+0031"):
            transliterate("Иван1")

    def test_another_script_is_refused(self):
        with pytest.raises(TransliterationError, match="no Latin transliteration"):
            transliterate("山田")

    def test_a_name_of_only_signs_is_refused(self):
        with pytest.raises(TransliterationError, match="no letters"):
            transliterate("Ь")
        with pytest.raises(TransliterationError, match="no letters"):
            transliterate(" - ")

    def test_an_overlong_name_is_refused(self):
        with pytest.raises(TransliterationError, match="at most 200"):
            transliterate("А" * 201)

    def test_an_unknown_language_is_refused(self):
        with pytest.raises(ValidationError, match="no transliteration rules") as caught:
            transliterate("Иван", "uk")
        assert caught.value.reason == "identity.transliteration_language"

    def test_the_refusal_has_a_stable_reason(self):
        with pytest.raises(TransliterationError) as caught:
            transliterate("Иван1")
        assert caught.value.reason == "identity.transliteration"


class TestOrganisationNames:
    @pytest.mark.parametrize(
        ("name", "latin"),
        [
            ("ООО «Ромашка»", "OOO ROMASHKA"),  # quotation marks are dropped
            ("ОсОО «Бишкек Медлаб»", "OSOO BISHKEK MEDLAB"),
            ('ТОО "Alem 7"', "TOO ALEM 7"),  # digits are kept
            ("АО №1 Қазақстан", "AO 1 KAZAKSTAN"),
            ("Студия 7Я", "STUDIIA 7IA"),
            ("ИП Иванов-Петров", "IP IVANOV-PETROV"),
            ("«Արարատ» ՍՊԸ", "ARARAT SPY"),
        ],
    )
    def test_keeps_words_and_digits(self, name, latin):
        assert transliterate_legal_name(name) == latin

    def test_a_name_without_words_is_refused(self):
        with pytest.raises(TransliterationError, match="no letters"):
            transliterate_legal_name("«» №")
        with pytest.raises(TransliterationError, match="at most 200"):
            transliterate_legal_name("Ъ" * 201)
