from eaeu.web.i18n import negotiate, translations


class TestLanguageNegotiation:
    def test_query_wins_over_cookie_and_header(self):
        assert negotiate("ru", "en", "en-GB", "en") == "ru"

    def test_cookie_wins_over_header(self):
        assert negotiate(None, "ru", "en-GB,en;q=0.9", "en") == "ru"

    def test_accept_language_is_read_in_order(self):
        assert negotiate(None, None, "de-DE,ru;q=0.8,en;q=0.5", "en") == "ru"

    def test_accept_language_weights_are_respected(self):
        assert negotiate(None, None, "en;q=0.1, ru;q=0.9", "en") == "ru"
        assert negotiate(None, None, "ru;q=0, en", "ru") == "en"
        assert negotiate(None, None, "ru;q=abc", "en") == "en"

    def test_unknown_values_fall_back_to_the_default(self):
        assert negotiate("xx", "yy", "de", "en") == "en"
        assert negotiate(None, None, None, "ru") == "ru"


class TestCatalogs:
    def test_russian_catalog_translates_the_portal_title(self):
        assert translations("ru").gettext("EAEU Digital Platform") == "Цифровая платформа ЕАЭС"

    def test_english_is_the_source_language(self):
        assert translations("en").gettext("Home") == "Home"
