import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eaeu.kernel.clock import SystemClock, utc
from eaeu.kernel.errors import ConfigurationError, NotFound, PlatformError
from eaeu.kernel.ids import uuid7, uuid7_time_ms
from eaeu.kernel.settings import DEVELOPMENT_SECRET, Settings, load_settings
from eaeu.kernel.states import MEMBER_STATES, STATE_CODES, get_state
from eaeu.testing import FrozenClock


class TestMemberStates:
    def test_lists_the_five_member_states(self):
        assert STATE_CODES == ("AM", "BY", "KG", "KZ", "RU")

    @pytest.mark.parametrize("code", STATE_CODES)
    def test_every_state_is_named_in_english_russian_and_its_national_language(self, code):
        state = MEMBER_STATES[code]
        assert state.name("en")
        assert state.name("ru")
        assert state.name(state.national_language)
        assert state.name("ru") != state.name("en")
        assert len(state.currency) == 3
        assert "/" in state.time_zone

    def test_names_fall_back_to_english(self):
        assert get_state("kz").name("fr") == "Kazakhstan"

    def test_official_names(self):
        assert get_state("RU").official_name("ru") == "Российская Федерация"
        assert get_state("AM").official_name("hy") == "Հայաստանի Հանրապետություն"

    def test_unknown_state_is_not_found(self):
        with pytest.raises(NotFound, match="not a member state") as caught:
            get_state("DE")
        assert caught.value.reason == "state.unknown"


class TestErrors:
    def test_reason_defaults_to_the_class_and_can_be_overridden(self):
        assert PlatformError("x").reason == "platform.error"
        assert ConfigurationError("x", reason="config.port").reason == "config.port"

    def test_repr_names_reason_and_message(self):
        assert repr(NotFound("gone")) == "NotFound(reason='not_found', message='gone')"


class TestSettings:
    def test_refuses_the_placeholder_secret_outside_development(self, monkeypatch):
        monkeypatch.delenv("EAEU_DEVELOPMENT", raising=False)
        monkeypatch.delenv("EAEU_SECRET_KEY", raising=False)
        with pytest.raises(ConfigurationError, match="development placeholder"):
            load_settings()

    def test_accepts_a_real_secret_in_production(self, monkeypatch):
        monkeypatch.setenv("EAEU_SECRET_KEY", "a-long-real-secret-from-the-vault-0123456789")
        settings = load_settings(development=False)
        assert settings.secret_key.get_secret_value() != DEVELOPMENT_SECRET
        assert "a-long-real-secret" not in repr(settings)

    def test_refuses_a_short_secret_in_production(self, monkeypatch):
        monkeypatch.setenv("EAEU_SECRET_KEY", "short")
        with pytest.raises(ConfigurationError, match="at least 32 characters"):
            load_settings(development=False)

    def test_reads_the_environment_with_the_eaeu_prefix(self, monkeypatch, tmp_path):
        monkeypatch.setenv("EAEU_DEVELOPMENT", "1")
        monkeypatch.setenv("EAEU_STATE", "kz")
        monkeypatch.setenv("EAEU_DATA_DIR", str(tmp_path))
        settings = load_settings()
        assert settings.state == "KZ"
        assert settings.effective_database_url == f"sqlite:///{tmp_path}/kz.db"
        assert settings.effective_federation_file == tmp_path / "federation.json"

    def test_unknown_state_names_the_variable(self):
        with pytest.raises(ConfigurationError, match=r"EAEU_STATE: .*unknown member state 'XX'"):
            load_settings(development=True, state="XX")

    def test_explicit_database_url_wins(self):
        settings = Settings(development=True, database_url="postgresql://db/x")
        assert settings.effective_database_url == "postgresql://db/x"


class TestClock:
    def test_system_clock_is_utc_and_aware(self):
        now = SystemClock().now()
        assert now.tzinfo is not None
        assert now.utcoffset() == timedelta(0)
        assert SystemClock().monotonic() > 0

    def test_frozen_clock_moves_only_when_told(self):
        clock = FrozenClock(datetime(2026, 5, 1, tzinfo=UTC))
        assert clock.now() == clock.now()
        clock.advance(90, hours=1)
        assert clock.now() == datetime(2026, 5, 1, 1, 1, 30, tzinfo=UTC)
        assert clock.monotonic() == 3690
        clock.set(datetime(2027, 1, 1, tzinfo=UTC))
        assert clock.now().year == 2027

    def test_utc_converts_aware_and_refuses_naive(self):
        almaty = timezone(timedelta(hours=5))
        assert utc(datetime(2026, 1, 1, 5, tzinfo=almaty)) == datetime(2026, 1, 1, tzinfo=UTC)
        with pytest.raises(ValueError, match="naive"):
            utc(datetime(2026, 1, 1))  # noqa: DTZ001 - the naive value is the point


class TestUUID7:
    def test_is_version_7_with_the_rfc_variant(self):
        value = uuid7()
        assert value.version == 7
        assert value.variant == uuid.RFC_4122

    def test_encodes_the_millisecond_timestamp(self):
        value = uuid7(now_ms=lambda: 1_700_000_000_123)
        assert uuid7_time_ms(value) >= 1_700_000_000_123

    def test_ids_made_in_one_process_sort_in_creation_order(self):
        ids = [uuid7() for _ in range(5000)]
        assert ids == sorted(ids)
        assert len(set(ids)) == 5000

    def test_stays_ordered_when_the_clock_steps_back(self):
        first = uuid7(now_ms=lambda: 4_000_000_000_000)
        second = uuid7(now_ms=lambda: 3_000_000_000_000)
        assert second > first

    @given(st.integers(min_value=0, max_value=2**48 - 1))
    def test_time_reads_back(self, ms):
        value = uuid7(now_ms=lambda: ms)
        assert value.version == 7
        assert uuid7_time_ms(value) >= ms

    def test_time_of_a_non_v7_uuid_is_refused(self):
        with pytest.raises(ValueError, match="not a UUIDv7"):
            uuid7_time_ms(uuid.uuid4())
