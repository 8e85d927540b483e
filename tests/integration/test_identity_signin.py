"""Accounts, sign-in, one-time codes, lockout and sessions on SQLite and PostgreSQL."""

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from eaeu.identity.accounts import Accounts, NewOrganisation, NewPerson
from eaeu.identity.errors import (
    AccountNotFound,
    CodeRefused,
    RegistrationRefused,
    SessionInvalid,
    SignInFailed,
    SignInLocked,
)
from eaeu.identity.model import SignInPolicy
from eaeu.identity.orm import (
    CodeRecord,
    FailureRecord,
    MailboxRecord,
    OrganisationRecord,
    PersonRecord,
    SessionRecord,
)
from eaeu.identity.passwords import Passwords
from eaeu.identity.seed import DEMO_PASSWORD, seed_demo_accounts
from eaeu.identity.signin import SignIn
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import FrozenClock

PASSWORDS = Passwords()


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def uow(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield UnitOfWorkFactory(engine)
    engine.dispose()


@pytest.fixture
def accounts(uow, clock):
    book = Accounts(uow, clock, PASSWORDS)
    seed_demo_accounts(book, "KG")
    return book


@pytest.fixture
def signin(uow, clock, accounts):
    return SignIn(uow, clock, PASSWORDS)


def latest_code(signin):
    return re.search(r"\b(\d{6})\b", signin.mailbox(1)[0].body).group(1)


def other_code(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


def sign_in(signin, username="kg-citizen", client="10.0.0.1"):
    pending = signin.password(username, DEMO_PASSWORD, client=client)
    return signin.confirm_code(pending.token, latest_code(signin))


class SpyPasswords(Passwords):
    """Passwords that remember which stored hashes they were asked to verify."""

    def __init__(self):
        super().__init__()
        self.verified = []

    def verify(self, stored, password):
        self.verified.append(stored)
        return super().verify(stored, password)


class TestAccounts:
    def test_seed_registers_people_and_organisations_once(self, uow, accounts):
        assert seed_demo_accounts(accounts, "KG") == 0
        with uow() as work:
            assert len(work.session.scalars(select(PersonRecord)).all()) == 7
            assert len(work.session.scalars(select(OrganisationRecord)).all()) == 4

    def test_person_view_has_names_in_both_scripts(self, accounts):
        person = accounts.person_by_username("kg-citizen")
        assert person is not None
        assert accounts.person(person.id) == person
        assert (person.given_name, person.family_name) == ("Айгуль", "Асанова")
        assert (person.given_name_latin, person.family_name_latin) == ("AIGUL", "ASANOVA")
        assert (person.state, person.nationality, person.national_id_kind) == ("KG", "KG", "pin")
        assert person.birth_date == date(1990, 4, 15)
        assert person.roles == {"citizen"}

    def test_organisation_member_sees_the_organisation(self, accounts):
        lab = accounts.person_by_username("kg-lab")
        assert lab is not None
        assert lab.organisation_id is not None
        org = accounts.organisation(lab.organisation_id)
        assert org.kinds == {"lab"}
        assert org.licence == "KG-LAB-0417"
        assert org.name == "ОсОО «Бишкек Медлаб»"

    def test_unknown_ids_are_not_found(self, accounts):
        with pytest.raises(AccountNotFound, match="No person"):
            accounts.person("nobody")
        with pytest.raises(AccountNotFound, match="No organisation"):
            accounts.organisation("nothing")

    @pytest.mark.usefixtures("accounts")
    def test_passwords_are_never_stored_in_clear(self, uow):
        with uow() as work:
            hashes = work.session.scalars(select(PersonRecord.password_hash)).all()
        assert hashes
        assert all(h.startswith("$argon2id$") and DEMO_PASSWORD not in h for h in hashes)

    def test_refuses_an_invalid_national_identifier(self, accounts):
        new = NewPerson(
            state="KZ",
            national_id_kind="iin",
            national_id="900415401218",
            family_name="Сейтқалиева",
            given_name="Айгерім",
            birth_date=date(1990, 4, 15),
            email="a@demo.example",
            username="kz-someone",
            roles=frozenset({"citizen"}),
        )
        with pytest.raises(RegistrationRefused, match="check digit") as caught:
            accounts.register_person(new, "long enough")
        assert caught.value.reason == "identifier.checksum"

    def test_registers_a_person_with_transliterated_names(self, accounts):
        person = accounts.register_person(
            NewPerson(
                state="BY",
                national_id_kind="personal_number",
                national_id="3150385A002PB9",
                family_name="Вераб'ёў",
                given_name="Ганна",
                birth_date=date(1985, 3, 15),
                email="hanna@demo.example",
                username="by-hanna",
                roles=frozenset({"citizen"}),
            ),
            "long enough",
        )
        assert (person.given_name_latin, person.family_name_latin) == ("HANNA", "VERABIOU")

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"username": "KG citizen!"}, "username"),
            ({"email": "not-an-address"}, "e-mail"),
            ({"roles": frozenset({"king"})}, "role"),
            ({"roles": frozenset({"employer"})}, "organisation"),
            ({"national_id_kind": "inn"}, "does not name a person"),
            ({"state": "DE"}, "member state"),
            ({"birth_date": date(2030, 1, 1)}, "past"),
            ({"username": "kg-citizen"}, "already registered"),
        ],
    )
    def test_refuses_bad_registrations(self, accounts, change, message):
        values = {
            "state": "KG",
            "national_id_kind": "pin",
            "national_id": "21111199000999",
            "family_name": "Усенов",
            "given_name": "Марат",
            "birth_date": date(1990, 11, 11),
            "email": "marat@demo.example",
            "username": "kg-marat",
            "roles": frozenset({"citizen"}),
            **change,
        }
        with pytest.raises(RegistrationRefused, match=message):
            accounts.register_person(NewPerson(**values), "long enough")

    def test_refuses_a_short_password(self, accounts):
        with pytest.raises(RegistrationRefused, match="8 characters"):
            accounts.register_person(
                NewPerson(
                    state="KG",
                    national_id_kind="pin",
                    national_id="21111199000999",
                    family_name="Усенов",
                    given_name="Марат",
                    birth_date=date(1990, 11, 11),
                    email="marat@demo.example",
                    username="kg-marat",
                    roles=frozenset({"citizen"}),
                ),
                "short",
            )

    def test_refuses_a_duplicate_or_malformed_organisation(self, accounts):
        org = NewOrganisation(
            state="KG",
            legal_id_kind="tin",
            legal_id="01503201910123",
            name="ОсОО «Дубль»",
            name_latin="Dubl LLC",
            kinds=frozenset({"lab"}),
        )
        with pytest.raises(RegistrationRefused, match="already registered"):
            accounts.register_organisation(org)
        with pytest.raises(RegistrationRefused, match="14 digits"):
            accounts.register_organisation(replace(org, legal_id="21503201910123"))
        with pytest.raises(RegistrationRefused, match="check digit"):
            accounts.register_organisation(
                replace(org, state="RU", legal_id_kind="ogrn", legal_id="1157746013238")
            )


class TestPassword:
    def test_wrong_password_and_unknown_user_get_the_same_refusal(self, signin):
        with pytest.raises(SignInFailed) as wrong:
            signin.password("kg-citizen", "wrong-password", client="10.0.0.1")
        with pytest.raises(SignInFailed) as unknown:
            signin.password("kg-nobody", "wrong-password", client="10.0.0.1")
        assert wrong.value.message == unknown.value.message
        assert "username or password" in wrong.value.message

    def test_right_password_starts_a_pending_session_and_sends_a_code(self, signin):
        pending = signin.password("  KG-Citizen ", DEMO_PASSWORD, client="10.0.0.1")
        session = signin.session(pending.token)
        assert session is not None
        assert not session.second_factor
        [mail] = signin.mailbox()
        assert mail.recipient == "kg-citizen@demo.example"
        assert re.search(r"\b\d{6}\b", mail.body)

    def test_locks_the_username_after_five_failures_and_unlocks_later(self, signin, clock):
        for _ in range(4):
            with pytest.raises(SignInFailed):
                signin.password("kg-citizen", "wrong", client="10.0.0.1")
        with pytest.raises(SignInLocked, match="try again after 00:15 UTC") as locked:
            signin.password("kg-citizen", "wrong", client="10.0.0.1")
        assert locked.value.until == clock.now() + timedelta(minutes=15)
        # Even the right password, from another client, waits until the lock ends.
        clock.advance(minutes=14)
        with pytest.raises(SignInLocked):
            signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.2")
        clock.advance(minutes=1)
        assert signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.2").token

    def test_an_unknown_username_is_locked_the_same_way(self, signin):
        for _ in range(4):
            with pytest.raises(SignInFailed):
                signin.password("kg-nobody", "wrong", client="10.0.0.1")
        with pytest.raises(SignInLocked):
            signin.password("kg-nobody", "wrong", client="10.0.0.1")

    def test_locks_a_client_that_tries_many_usernames(self, signin):
        for i in range(19):
            with pytest.raises(SignInFailed):
                signin.password(f"user-{i}", "wrong", client="10.6.6.6")
        with pytest.raises(SignInLocked):
            signin.password("user-19", "wrong", client="10.6.6.6")
        with pytest.raises(SignInLocked):
            signin.password("kg-citizen", DEMO_PASSWORD, client="10.6.6.6")
        assert signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.9").token

    def test_failures_older_than_the_window_are_forgotten(self, signin, clock):
        for _ in range(4):
            with pytest.raises(SignInFailed):
                signin.password("kg-citizen", "wrong", client="10.0.0.1")
        clock.advance(minutes=16)
        with pytest.raises(SignInFailed):
            signin.password("kg-citizen", "wrong", client="10.0.0.1")

    def test_a_completed_sign_in_clears_the_usernames_failures(self, signin):
        for _ in range(4):
            with pytest.raises(SignInFailed):
                signin.password("kg-citizen", "wrong", client="10.0.0.1")
        sign_in(signin)
        with pytest.raises(SignInFailed):
            signin.password("kg-citizen", "wrong", client="10.0.0.1")

    def test_a_right_password_alone_does_not_clear_the_usernames_failures(self, signin):
        # Otherwise whoever knows the password could reset the count between guesses of
        # the code by signing in again.
        for _ in range(4):
            with pytest.raises(SignInFailed):
                signin.password("kg-citizen", "wrong", client="10.0.0.1")
        signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        with pytest.raises(SignInLocked):
            signin.password("kg-citizen", "wrong", client="10.0.0.1")

    @pytest.mark.usefixtures("accounts")
    def test_an_unknown_username_costs_a_password_verification_too(self, uow, clock):
        # The time of a refusal must not tell whether the account exists, so the hash is
        # always verified: against the person's hash, or a fixed one for nobody.
        spy = SpyPasswords()
        signin = SignIn(uow, clock, spy)
        with pytest.raises(SignInFailed):
            signin.password("kg-nobody", "wrong-password", client="10.0.0.1")
        assert spy.verified == [None]
        with pytest.raises(SignInFailed):
            signin.password("kg-citizen", "wrong-password", client="10.0.0.1")
        with uow() as work:
            stored = work.session.scalar(
                select(PersonRecord.password_hash).where(PersonRecord.username == "kg-citizen")
            )
        assert spy.verified[1:] == [stored]

    def test_failure_counters_hold_no_usernames_or_addresses(self, signin, uow):
        with pytest.raises(SignInFailed):
            signin.password("kg-citizen", "wrong", client="10.0.0.1")
        with uow() as work:
            keys = work.session.scalars(select(FailureRecord.key)).all()
        assert len(keys) == 2
        assert not any("kg-citizen" in k or "10.0.0.1" in k for k in keys)


class TestCode:
    def test_the_code_completes_the_sign_in_with_a_new_session_id(self, signin):
        pending = signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        token = signin.confirm_code(pending.token, latest_code(signin))
        assert token != pending.token
        assert signin.session(pending.token) is None
        session = signin.session(token)
        assert session is not None
        assert session.second_factor
        assert session.display_name == "Айгуль Асанова"

    def test_a_wrong_code_is_refused_with_attempts_left(self, signin):
        pending = signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        with pytest.raises(CodeRefused, match="4 more times") as caught:
            signin.confirm_code(pending.token, other_code(latest_code(signin)))
        assert caught.value.reason == "identity.code_wrong"

    @pytest.mark.usefixtures("accounts")
    def test_too_many_wrong_codes_end_the_sign_in(self, uow, clock):
        # A lenient username lockout, so that the sign-in's own limit is reached first.
        signin = SignIn(uow, clock, PASSWORDS, SignInPolicy(user_failures=100))
        pending = signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        code = latest_code(signin)
        for _ in range(4):
            with pytest.raises(CodeRefused, match="not right"):
                signin.confirm_code(pending.token, other_code(code))
        with pytest.raises(CodeRefused) as caught:
            signin.confirm_code(pending.token, other_code(code))
        assert caught.value.reason == "identity.code_attempts"
        with pytest.raises(SessionInvalid):
            signin.confirm_code(pending.token, code)

    def test_an_expired_code_is_refused(self, signin, clock):
        pending = signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        code = latest_code(signin)
        clock.advance(minutes=5)
        with pytest.raises(CodeRefused, match="expired") as caught:
            signin.confirm_code(pending.token, code)
        assert caught.value.reason == "identity.code_expired"

    def test_a_used_code_is_refused(self, signin):
        pending = signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        code = latest_code(signin)
        token = signin.confirm_code(pending.token, code)
        with pytest.raises(CodeRefused, match="already been used") as caught:
            signin.confirm_code(token, code)
        assert caught.value.reason == "identity.code_used"
        with pytest.raises(SessionInvalid):
            signin.confirm_code(pending.token, code)

    def test_a_new_code_replaces_the_old_one(self, signin, clock):
        pending = signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        first = latest_code(signin)
        clock.advance(minutes=1)
        signin.resend_code(pending.token)
        second = latest_code(signin)
        if first != second:
            with pytest.raises(CodeRefused):
                signin.confirm_code(pending.token, first)
        assert signin.confirm_code(pending.token, second)

    @pytest.mark.usefixtures("accounts")
    def test_wrong_codes_count_for_the_sign_in_not_for_each_code(self, uow, clock):
        signin = SignIn(uow, clock, PASSWORDS, SignInPolicy(user_failures=100))
        pending = signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        for _ in range(3):
            with pytest.raises(CodeRefused, match="not right"):
                signin.confirm_code(pending.token, other_code(latest_code(signin)))
        clock.advance(minutes=1)
        signin.resend_code(pending.token)
        with pytest.raises(CodeRefused, match="1 more times"):
            signin.confirm_code(pending.token, other_code(latest_code(signin)))
        with pytest.raises(CodeRefused, match="Sign in again") as caught:
            signin.confirm_code(pending.token, other_code(latest_code(signin)))
        assert caught.value.reason == "identity.code_attempts"
        assert signin.session(pending.token) is None
        with pytest.raises(SessionInvalid):
            signin.confirm_code(pending.token, latest_code(signin))

    def test_a_new_code_can_be_asked_for_once_a_minute(self, signin, clock):
        pending = signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        clock.advance(seconds=59)
        with pytest.raises(CodeRefused, match="Wait 1 seconds") as caught:
            signin.resend_code(pending.token)
        assert caught.value.reason == "identity.code_resend_wait"
        clock.advance(seconds=1)
        signin.resend_code(pending.token)
        assert len(signin.mailbox()) == 2
        with pytest.raises(CodeRefused, match="Wait 60 seconds"):
            signin.resend_code(pending.token)
        assert len(signin.mailbox()) == 2
        assert signin.confirm_code(pending.token, latest_code(signin))

    def test_three_new_codes_at_most_then_the_sign_in_ends(self, signin, clock):
        pending = signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        for _ in range(3):
            clock.advance(minutes=1)
            signin.resend_code(pending.token)
        clock.advance(minutes=1)
        with pytest.raises(CodeRefused, match="too many times") as caught:
            signin.resend_code(pending.token)
        assert caught.value.reason == "identity.code_resends"
        assert len(signin.mailbox()) == 4
        assert signin.session(pending.token) is None
        with pytest.raises(SessionInvalid):
            signin.confirm_code(pending.token, latest_code(signin))

    def test_many_guesses_on_one_sign_in_are_impossible(self, signin, clock):
        # The finding: a new code reset the attempts, so one pending session took 200
        # wrong guesses. Guess and ask for new codes for as long as the node lets us.
        pending = signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        judged = 0
        for _ in range(200):
            try:
                signin.confirm_code(pending.token, other_code(latest_code(signin)))
            except CodeRefused as exc:
                if exc.reason != "identity.code_wrong":
                    break
            except (SignInLocked, SessionInvalid):
                break
            judged += 1
            clock.advance(minutes=1)
            try:
                signin.resend_code(pending.token)
            except (CodeRefused, SessionInvalid):
                break
        assert judged < SignInPolicy().code_attempts
        assert signin.session(pending.token) is None

    def test_wrong_codes_count_towards_the_usernames_lockout(self, signin, clock):
        pending = signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        for _ in range(2):
            with pytest.raises(CodeRefused):
                signin.confirm_code(pending.token, other_code(latest_code(signin)))
        for _ in range(2):
            with pytest.raises(SignInFailed):
                signin.password("kg-citizen", "wrong", client="10.0.0.2")
        with pytest.raises(SignInLocked, match="try again after 00:15 UTC") as locked:
            signin.confirm_code(pending.token, other_code(latest_code(signin)))
        assert locked.value.until == clock.now() + timedelta(minutes=15)
        assert signin.session(pending.token) is None
        with pytest.raises(SignInLocked):
            signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.3")

    def test_a_locked_username_cannot_complete_a_waiting_sign_in(self, signin):
        pending = signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        code = latest_code(signin)
        for _ in range(4):
            with pytest.raises(SignInFailed):
                signin.password("kg-citizen", "wrong", client="10.0.0.2")
        with pytest.raises(SignInLocked):
            signin.password("kg-citizen", "wrong", client="10.0.0.2")
        with pytest.raises(SignInLocked):
            signin.confirm_code(pending.token, code)
        assert signin.session(pending.token) is None

    def test_resend_needs_a_pending_session(self, signin):
        with pytest.raises(SessionInvalid):
            signin.resend_code("no-such-token")

    def test_codes_and_session_ids_are_stored_only_as_digests(self, signin, uow):
        pending = signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        code = latest_code(signin)
        with uow() as work:
            stored_codes = work.session.scalars(select(CodeRecord.code_hash)).all()
            stored_sessions = work.session.scalars(select(SessionRecord.id_hash)).all()
            mail = work.session.scalars(select(MailboxRecord.body)).all()
        assert code not in "".join(stored_codes)
        assert pending.token not in stored_sessions
        assert code in mail[0]


class TestSession:
    def test_ends_after_thirty_idle_minutes(self, signin, clock):
        token = sign_in(signin)
        clock.advance(minutes=29)
        assert signin.session(token) is not None
        clock.advance(minutes=29)  # touched 29 minutes ago: still alive
        assert signin.session(token) is not None
        clock.advance(minutes=30)
        assert signin.session(token) is None

    def test_ends_twelve_hours_after_sign_in_however_busy(self, signin, clock):
        token = sign_in(signin)
        for _ in range(12 * 3 - 1):
            clock.advance(minutes=20)
            assert signin.session(token) is not None
        clock.advance(minutes=20)
        assert signin.session(token) is None

    def test_a_pending_session_waits_ten_minutes_for_its_code(self, signin, clock):
        pending = signin.password("kg-citizen", DEMO_PASSWORD, client="10.0.0.1")
        clock.advance(minutes=10)
        assert signin.session(pending.token) is None

    def test_sign_out_ends_the_session(self, signin):
        token = sign_in(signin)
        signin.end(token)
        assert signin.session(token) is None
        assert signin.session("") is None

    def test_a_foreign_visitor_gets_a_foreign_session(self, signin):
        token = signin.start_foreign(
            persistent_id="KG/RU/abc", state="KG", display_name="Айгуль Асанова"
        )
        session = signin.session(token)
        assert session is not None
        assert session.foreign
        assert session.persistent_id == "KG/RU/abc"
        assert session.roles == {"citizen"}
