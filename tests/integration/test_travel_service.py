"""The travel service between in-process nodes: registry replication, participation, booking
under concurrency, results and certificates that verify, visitors from another state.

Each node has its own database (Belarus on each engine, the others on SQLite files), a frozen
clock and the exchange of a union made in memory, over a loopback transport. Each state's
health document signer is a P-256 key certified for DCC test certificates.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import structlog.testing
from sqlalchemy import func, select

from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.messages import EXCHANGE_SERVICE, TRUST_LIST_PUBLISHED
from eaeu.services.travel import hcert, messages, verifier
from eaeu.services.travel.commands import AccreditLab, BookSlot, RecordResult
from eaeu.services.travel.errors import (
    BookingError,
    BookingNotFound,
    IssuingUnavailable,
    LabInvalid,
    LabNotAccredited,
    LabNotFound,
    NotParticipating,
    ResultRefused,
)
from eaeu.services.travel.handlers import TravelService
from eaeu.services.travel.labs import PUBLISHED, SYNC
from eaeu.services.travel.model import (
    BookingStatus,
    LabStatus,
    OfferedTest,
    TestKind,
    Traveller,
    parse_hours,
)
from eaeu.services.travel.orm import BookingRow, VisitorRow
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import FrozenClock, LoopbackTransport, loopback_node, memory_union
from eaeu.trust import pki
from eaeu.trust.keys import EcSigner, generate_ec_key
from eaeu.trust.proposals import Join

#: Monday 2 March 2026, 07:00 in Minsk and Moscow.
START = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
ALES = Traveller("person-ales", "BY", "Казлоўскі", "Алесь", "KAZLOUSKI", "ALES", "1985-03-15")
LEGAL_IDS = {
    "BY": "190123455",
    "RU": "1027700013230",
    "KZ": "190340030712",
    "AM": "02571841",
    "KG": "01503201910123",
}


@dataclass
class Node:
    state: str
    travel: TravelService
    exchange: object
    dsc: object

    def deliver(self) -> int:
        return self.exchange.deliver_due("test")


@pytest.fixture(scope="module")
def union():
    return memory_union(now=START - timedelta(days=1))


@pytest.fixture
def clock():
    return FrozenClock(START)


@pytest.fixture
def engines():
    made = []
    yield made
    for engine in made:
        engine.dispose()


@pytest.fixture
def make(union, clock, tmp_path, engines, database_url):
    transport = LoopbackTransport()

    def build(state, *, url=None, signer=True):
        engine = make_engine(url or f"sqlite:///{tmp_path / state}.db")
        migrate.upgrade(engine)
        engines.append(engine)
        uow = UnitOfWorkFactory(engine)
        node = loopback_node(union, state, uow=uow, clock=clock, transport=transport)
        root_key, key = generate_ec_key(), generate_ec_key()
        root = pki.issue_root(state, root_key, now=START - timedelta(days=1))
        dsc = pki.issue_certificate(
            issuer_cert=root, issuer_key=root_key, public_key=key.public_key(),
            common_name=f"{state} health", profile=pki.document_signer_profile("health"),
            now=START - timedelta(days=1), days=365,
        )  # fmt: skip
        kwargs = {"signer": lambda: (EcSigner(key), dsc)} if signer else {}
        travel = TravelService(
            state=state, uow=uow, clock=clock, trust=node.trust.current, exchange=node, **kwargs
        )
        node.handlers.update(travel.message_handlers())
        node.handlers[TRUST_LIST_PUBLISHED] = messages.reconcile_after(
            node.handlers[TRUST_LIST_PUBLISHED], travel.registry
        )
        return Node(state, travel, node, dsc)

    build.database_url = database_url
    return build


@pytest.fixture
def by(make):
    return make("BY", url=make.database_url)


@pytest.fixture
def ru(make):
    return make("RU")


def accredit(node, *, city=("Minsk", "Минск"), seats=2, **changes):
    command = AccreditLab(
        name="ТАА «Лабараторыя»",
        name_latin="Labaratoryia LLC",
        legal_id=LEGAL_IDS[node.state],
        licence=f"{node.state}-LAB-1",
        address="вул. Савецкая, 1",
        city_en=city[0],
        city_ru=city[1],
        latitude=53.9,
        longitude=27.56,
        tests=(
            OfferedTest(TestKind.PCR, Decimal("95.00"), "BYN", 24),
            OfferedTest(TestKind.RAT, Decimal("35.00"), "BYN", 1, "1232"),
        ),
        hours=parse_hours("Mon-Sat 08:00-18:00"),
        accredited_from=date(2026, 1, 1),
        accredited_until=date(2026, 12, 31),
        seats=seats,
        organisation_id="org-lab",
    )
    return node.travel.registry.accredit(replace(command, **changes))


def first_slot(node, lab):
    return next(s.start for s in node.travel.bookings.slots(lab) if s.free)


def book(node, lab, traveller=ALES, kind=TestKind.PCR, start=None):
    start = start or first_slot(node, lab)
    return node.travel.bookings.book(BookSlot(lab.id, start, kind, traveller))


def record(node, booking, *, detected=False, kind=TestKind.PCR, sampled=None, org="org-lab"):
    return node.travel.results.record(
        RecordResult(
            booking_id=booking.id,
            organisation_id=org,
            staff_id="staff-1",
            sample_collected_at=sampled or node.travel.clock.now() - timedelta(minutes=10),
            detected=detected,
            test_kind=kind,
        )
    )


class TestTheRegistry:
    def test_accredits_a_lab_with_a_valid_registration_number_only(self, by):
        with pytest.raises(LabInvalid, match="legal_id") as raised:
            accredit(by, legal_id="190123456")
        assert set(raised.value.problems) == {"legal_id"}
        with pytest.raises(LabInvalid, match="EU common list"):
            accredit(by, tests=(OfferedTest(TestKind.RAT, Decimal(1), "BYN", 1, "999999"),))
        lab = accredit(by)
        assert (lab.version, lab.status) == (1, LabStatus.ACTIVE)

    def test_finds_labs_by_city_in_either_language_and_any_case(self, by):
        minsk = accredit(by)
        brest = accredit(by, city=("Brest", "Брест"))
        for city in ("minsk", "МИНСК", "Мин", " min "):
            assert [lab.id for lab in by.travel.registry.search(country="BY", city=city)] == [
                minsk.id
            ]
        assert {lab.id for lab in by.travel.registry.search(country="BY")} == {minsk.id, brest.id}
        assert by.travel.registry.search(country="RU", city="Minsk") == []
        assert by.travel.registry.search(city="100%_") == []

    def test_a_lapsed_lab_is_hidden_and_takes_no_bookings(self, by):
        lab = accredit(by)
        booking = book(by, lab)
        lapsed = by.travel.registry.lapse(lab.id)
        assert (lapsed.version, lapsed.status) == (2, LabStatus.LAPSED)
        assert by.travel.registry.search(country="BY") == []
        with pytest.raises(LabNotFound):
            by.travel.registry.lab(lab.id)
        with pytest.raises(LabNotFound):
            book(by, lab, start=booking.slot_start + timedelta(hours=1))
        by.travel.registry.reinstate(lab.id)
        assert by.travel.registry.lab(lab.id).version == 3

    def test_a_lab_out_of_its_accreditation_days_is_hidden(self, by, clock):
        lab = accredit(by, accredited_until=date(2026, 3, 3))
        assert by.travel.registry.search(country="BY") == [lab]
        clock.advance(days=2)
        assert by.travel.registry.search(country="BY") == []

    def test_only_the_states_own_labs_change_here(self, by, ru):
        lab = accredit(by)
        by.deliver()
        with pytest.raises(LabNotFound):
            ru.travel.registry.lapse(lab.id)
        with pytest.raises(LabNotFound):
            ru.travel.registry.accredit(
                AccreditLab(**{**_command_fields(lab), "legal_id": LEGAL_IDS["RU"]})
            )

    def test_a_withdrawn_lab_cannot_change_again(self, by):
        lab = accredit(by)
        by.travel.registry.withdraw(lab.id)
        with pytest.raises(LabNotFound, match="removed"):
            by.travel.registry.reinstate(lab.id)


def _command_fields(lab):
    return {
        "name": lab.name, "name_latin": lab.name_latin, "legal_id": lab.legal_id,
        "licence": lab.licence, "address": lab.address, "city_en": lab.city_en,
        "city_ru": lab.city_ru, "latitude": lab.latitude, "longitude": lab.longitude,
        "tests": lab.tests, "hours": lab.hours, "accredited_from": lab.accredited_from,
        "accredited_until": lab.accredited_until, "lab_id": lab.id,
    }  # fmt: skip


class TestReplication:
    def test_a_lab_reaches_every_travel_node_and_so_do_its_lapse_and_withdrawal(self, make, by, ru):
        am, kz = make("AM"), make("KZ")
        lab = accredit(by)
        assert by.deliver() == 2  # AM and RU take part in travel; KZ does not
        for node in (ru, am):
            assert [found.id for found in node.travel.registry.search(city="Минск")] == [lab.id]
        assert kz.travel.registry.search(city="Минск") == []

        by.travel.registry.lapse(lab.id)
        by.deliver()
        assert ru.travel.registry.search(city="Minsk") == []
        assert ru.travel.registry.lab(lab.id, listed_only=False).status is LabStatus.LAPSED

        by.travel.registry.withdraw(lab.id)
        by.deliver()
        assert ru.travel.registry.lab(lab.id, listed_only=False).version == 3

    def test_is_idempotent_by_version(self, by, ru):
        lab = accredit(by)
        changed = by.travel.registry.accredit(
            AccreditLab(**{**_command_fields(lab), "name_latin": "Renamed LLC"})
        )
        # The newer version arrives first, the older one after it: the newer one stays.
        with ru.exchange.uow() as uow:
            assert ru.travel.registry.apply(uow.session, "BY", changed.to_json(), at=START)
            assert not ru.travel.registry.apply(uow.session, "BY", lab.to_json(), at=START)
            assert not ru.travel.registry.apply(uow.session, "BY", changed.to_json(), at=START)
            uow.commit()
        assert ru.travel.registry.lab(lab.id).name_latin == "Renamed LLC"
        by.deliver()  # both versions delivered again: nothing changes
        assert ru.travel.registry.lab(lab.id).name_latin == "Renamed LLC"

    @pytest.mark.usefixtures("ru")
    def test_a_node_publishes_only_its_own_states_labs(self, by):
        lab = accredit(by)
        forged = {**lab.to_json(), "state": "RU"}
        with pytest.raises(
            MessageRefused, match="only publish the labs of its own state"
        ) as raised:
            by.exchange.request("RU", "travel", PUBLISHED, {"lab": forged})
        assert raised.value.reason == "travel.lab_foreign"
        with pytest.raises(MessageRefused) as damaged:
            by.exchange.request("RU", "travel", PUBLISHED, {"lab": {"id": lab.id}})
        assert damaged.value.reason == "travel.lab_invalid"

    def test_a_state_outside_travel_neither_publishes_nor_receives(self, make, by):
        kz = make("KZ")
        lab = accredit(kz)
        assert kz.deliver() == 0
        assert kz.travel.registry.search(country="KZ") == []
        with pytest.raises(MessageRefused) as sent:
            kz.exchange.request("BY", "travel", PUBLISHED, {"lab": lab.to_json()})
        assert sent.value.reason == "exchange.unauthorised"
        with pytest.raises(MessageRefused) as received:
            by.exchange.request("KZ", "travel", PUBLISHED, {"lab": accredit(by).to_json()})
        assert received.value.reason == "exchange.unauthorised"
        assert kz.travel.registry.reconcile() == {}

    def test_a_state_that_joins_travel_exchanges_registries_with_every_travel_node(
        self, make, union, by, ru, clock
    ):
        kz, am = make("KZ"), make("AM")
        by_lab, kz_lab = accredit(by), accredit(kz, city=("Almaty", "Алматы"))
        by.deliver()
        assert kz.travel.registry.search() == []

        clock.advance(minutes=1)
        joined = union.successor(
            union.trust, Join("KZ", "travel", ("issuer", "verifier")), now=clock.now()
        )
        by.exchange.trust.accept(joined)
        with by.exchange.uow() as uow:
            for state in ("AM", "RU", "KZ"):
                by.exchange.enqueue(
                    uow.session, state, EXCHANGE_SERVICE, TRUST_LIST_PUBLISHED, {"signed": joined}
                )
            uow.commit()
        by.deliver()

        assert [lab.id for lab in ru.travel.registry.search(country="KZ")] == [kz_lab.id]
        assert [lab.id for lab in by.travel.registry.search(country="KZ")] == [kz_lab.id]
        assert [lab.id for lab in kz.travel.registry.search(country="BY")] == [by_lab.id]
        assert [lab.id for lab in kz.travel.registry.search(country="KZ")] == [kz_lab.id]
        assert [lab.id for lab in am.travel.registry.search(country="KZ")] == [kz_lab.id]
        # Caught up once: a later reconciliation has nothing to do.
        assert kz.travel.registry.reconcile() == {}
        # And from now on, KZ's changes are published like everyone's.
        kz.travel.registry.lapse(kz_lab.id)
        assert kz.deliver() == 3
        assert ru.travel.registry.search(country="KZ") == []


class TestBooking:
    def test_books_a_slot_and_gives_a_code(self, by):
        lab = accredit(by)
        booking = book(by, lab)
        assert booking.status is BookingStatus.BOOKED
        assert booking.slot_start == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # 08:00 Minsk
        assert len(booking.code) == 8
        assert by.travel.bookings.of_traveller(ALES.ref) == [booking]
        assert by.travel.bookings.get(booking.id, traveller=ALES.ref) == booking
        with pytest.raises(BookingNotFound):
            by.travel.bookings.get(booking.id, traveller="someone-else")

    def test_a_full_slot_refuses_and_a_cancellation_frees_its_seat(self, by):
        lab = accredit(by, seats=1)
        start = first_slot(by, lab)
        first = book(by, lab, start=start)
        other = replace(ALES, ref="person-2")
        with pytest.raises(BookingError, match="fully booked") as raised:
            book(by, lab, other, start=start)
        assert raised.value.reason == "travel.slot_full"
        assert [s.free for s in by.travel.bookings.slots(lab) if s.start == start] == [0]
        by.travel.bookings.cancel(first.id, traveller=ALES.ref)
        assert book(by, lab, other, start=start).status is BookingStatus.BOOKED
        with pytest.raises(BookingError, match="no longer be cancelled"):
            by.travel.bookings.cancel(first.id, traveller=ALES.ref)

    @pytest.mark.parametrize(
        ("shift", "reason"),
        [
            (timedelta(minutes=-30), "travel.slot_invalid"),  # in the past
            (timedelta(minutes=7), "travel.slot_invalid"),  # not a slot start
            (timedelta(days=20), "travel.slot_invalid"),  # beyond the horizon
        ],
    )
    def test_refuses_a_time_that_is_not_an_appointment(self, by, shift, reason):
        lab = accredit(by)
        with pytest.raises(BookingError) as raised:
            book(by, lab, start=first_slot(by, lab) + shift)
        assert raised.value.reason == reason

    def test_refuses_a_test_the_lab_does_not_offer_and_a_lab_of_another_state(self, by, ru):
        lab = accredit(by, tests=(OfferedTest(TestKind.PCR, Decimal(90), "BYN", 24),))
        with pytest.raises(BookingError) as raised:
            book(by, lab, kind=TestKind.RAT)
        assert raised.value.reason == "travel.test_not_offered"
        by.deliver()
        with pytest.raises(BookingError) as elsewhere:
            book(ru, lab, start=first_slot(by, lab))
        assert elsewhere.value.reason == "travel.booking_elsewhere"

    def test_one_traveller_holds_at_most_three_appointments(self, by):
        lab = accredit(by)
        starts = [s.start for s in by.travel.bookings.slots(lab)][:4]
        for start in starts[:3]:
            book(by, lab, start=start)
        with pytest.raises(BookingError) as raised:
            book(by, lab, start=starts[3])
        assert raised.value.reason == "travel.booking_limit"

    def test_concurrent_requests_never_take_one_seat_twice(self, by):
        lab = accredit(by, seats=2)
        start = first_slot(by, lab)
        people = [replace(ALES, ref=f"person-{i}") for i in range(8)]
        barrier = threading.Barrier(len(people))
        outcomes: list[object] = []

        def attempt(person):
            barrier.wait()
            try:
                outcomes.append(book(by, lab, person, start=start))
            except BookingError as exc:
                outcomes.append(exc.reason)

        threads = [threading.Thread(target=attempt, args=(p,)) for p in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        booked = [o for o in outcomes if not isinstance(o, str)]
        assert len(booked) == 2
        assert sorted(o for o in outcomes if isinstance(o, str)) == ["travel.slot_full"] * 6
        with by.travel.registry.uow() as uow:
            seats = uow.session.scalars(
                select(BookingRow.seat).where(BookingRow.slot_start == start)
            ).all()
            assert sorted(seats) == [1, 2]
            assert uow.session.scalar(select(func.count()).select_from(BookingRow)) == 2


class TestResults:
    def test_a_negative_result_is_signed_and_verifies_with_the_nodes_signer(self, by, clock):
        lab = accredit(by)
        booking = book(by, lab, kind=TestKind.RAT)
        clock.advance(minutes=30)
        outcome = record(by, booking, kind=TestKind.RAT)
        certificate = outcome.certificate
        assert certificate is not None
        assert outcome.booking.status is BookingStatus.RESULTED
        result = verifier.verify(
            certificate.text, certificates=hcert.index_certificates([by.dsc]), at=clock.now()
        )
        assert result.valid, result.stages
        entry = result.payload["t"][0]
        assert (entry["tt"], entry["ma"], entry["tr"]) == ("LP217198-3", "1232", "260415000")
        assert (entry["co"], entry["tc"]) == ("BY", "Labaratoryia LLC")
        assert entry["is"] == "Ministry of Health of the Republic of Belarus"
        assert entry["ci"] == certificate.uvci
        assert certificate.uvci.startswith("URN:UVCI:01:BY:")
        assert result.payload["nam"] == {
            "fn": "Казлоўскі", "gn": "Алесь", "fnt": "KAZLOUSKI", "gnt": "ALES"
        }  # fmt: skip
        assert result.issuer == "BY"
        assert result.expires_at - result.issued_at == timedelta(hours=72)

    def test_a_positive_result_is_recorded_without_a_certificate(self, by, clock):
        lab = accredit(by)
        booking = book(by, lab)
        clock.advance(minutes=30)
        outcome = record(by, booking, detected=True)
        assert outcome.result.detected
        assert outcome.certificate is None

    def test_a_result_is_recorded_once_by_the_labs_own_staff(self, by, clock):
        lab = accredit(by)
        booking = book(by, lab)
        clock.advance(minutes=30)
        with pytest.raises(ResultRefused) as other:
            record(by, booking, org="another-organisation")
        assert other.value.reason == "travel.result_not_your_lab"
        record(by, booking)
        with pytest.raises(ResultRefused) as again:
            record(by, booking)
        assert again.value.reason == "travel.result_recorded"

    @pytest.mark.parametrize("shift", [timedelta(minutes=10), timedelta(days=-8)])
    def test_refuses_a_sample_time_in_the_future_or_too_old(self, by, clock, shift):
        lab = accredit(by)
        booking = book(by, lab)
        with pytest.raises(ResultRefused) as raised:
            record(by, booking, sampled=clock.now() + shift)
        assert raised.value.reason == "travel.result_sample_time"

    def test_a_lapsed_lab_cannot_issue(self, by):
        lab = accredit(by)
        booking = book(by, lab)
        by.travel.registry.lapse(lab.id)
        with pytest.raises(LabNotAccredited):
            record(by, booking)
        assert by.travel.results.outcome(booking.id).result is None

    def test_a_state_that_is_not_an_issuer_cannot_issue(self, make):
        kz = make("KZ")
        lab = accredit(kz)
        # Accredited at home, but Kazakhstan has not joined travel: no bookings, no results.
        with pytest.raises(LabNotFound):
            kz.travel.bookings.bookable(lab.id)
        with pytest.raises(NotParticipating):
            kz.travel.registry.require_accredited(lab)

    def test_without_a_document_signer_nothing_is_recorded(self, make, clock):
        node = make("BY", signer=False)
        lab = accredit(node)
        booking = book(node, lab)
        clock.advance(minutes=30)
        with pytest.raises(IssuingUnavailable):
            record(node, booking)
        assert node.travel.results.outcome(booking.id).result is None
        assert record(node, booking, detected=True).result.detected


class TestVisitors:
    def test_a_visitor_books_with_what_their_home_node_asserted(self, by, clock):
        lab = accredit(by)
        visitor = Traveller(
            "KG/BY/opaque", "KG", "Асанова", "Айгуль", "ASANOVA", "AIGUL", "1990-04-15",
            foreign=True,
        )  # fmt: skip
        by.travel.bookings.remember_visitor(visitor)
        assert by.travel.bookings.visitor("KG/BY/opaque") == visitor
        booking = book(by, lab, by.travel.bookings.visitor("KG/BY/opaque"))
        clock.advance(minutes=30)
        outcome = record(by, booking)
        claims = hcert.decode_claims(hcert.decode(outcome.certificate.text).payload)
        assert claims.dcc["nam"]["fnt"] == "ASANOVA"
        assert claims.dcc["dob"] == "1990-04-15"

    def test_what_a_visitor_brought_is_forgotten_when_the_visit_ends(self, by, clock):
        visitor = replace(ALES, ref="KG/BY/x", home_state="KG", foreign=True)
        by.travel.bookings.remember_visitor(visitor)
        clock.advance(hours=13)
        with pytest.raises(BookingError) as raised:
            by.travel.bookings.visitor("KG/BY/x")
        assert raised.value.reason == "travel.visitor_unknown"
        by.travel.bookings.remember_visitor(replace(visitor, ref="KG/BY/y"))
        with by.travel.registry.uow() as uow:
            assert uow.session.scalars(select(VisitorRow.persistent_id)).all() == ["KG/BY/y"]


class TestMessagesAtTheEdges:
    def test_a_kyrgyz_lab_needs_a_kyrgyz_organisations_tin(self, make):
        kg = make("KG")
        with pytest.raises(LabInvalid, match="14 digits"):
            accredit(kg, legal_id="12345")
        lab = accredit(kg, legal_id="0150 3201 9101 23")
        assert lab.legal_id == "01503201910123"

    def test_a_sync_without_a_registry_is_refused_and_bad_records_are_skipped(self, by, ru):
        with pytest.raises(MessageRefused) as raised:
            by.exchange.request("RU", "travel", SYNC, {"labs": "all of them"})
        assert raised.value.reason == "exchange.malformed"
        lab = accredit(by)
        answer = by.exchange.request(
            "RU", "travel", SYNC, {"labs": [{"id": "broken"}, lab.to_json()]}
        )
        assert [found.id for found in ru.travel.registry.search(country="BY")] == [lab.id]
        assert answer.response == {"labs": []}  # Russia accredited nothing here

    def test_a_node_answers_the_trust_list_before_it_catches_up(self, by):
        # Catching up asks every travel peer; a silent one must not hold the answer.
        started, release, done = threading.Event(), threading.Event(), threading.Event()

        def slow():
            started.set()
            release.wait(10)
            done.set()
            return {}

        by.travel.registry.reconcile = slow
        handler = messages.reconcile_after(
            lambda _incoming: {"version": 2}, by.travel.registry, background=True
        )
        assert handler(None) == {"version": 2}
        assert started.wait(10)
        assert not done.is_set()
        release.set()
        assert done.wait(10)

    def test_a_catch_up_that_crashes_in_the_background_is_logged(self, by):
        finished = threading.Event()

        def crash():
            finished.set()
            raise RuntimeError("boom")

        by.travel.registry.reconcile = crash
        handler = messages.reconcile_after(
            lambda _incoming: {"version": 2}, by.travel.registry, background=True
        )
        with structlog.testing.capture_logs() as logs:
            assert handler(None) == {"version": 2}
            assert finished.wait(10)
            for thread in threading.enumerate():
                if thread.name == "travel-reconcile":
                    thread.join(10)
        assert [entry["event"] for entry in logs] == ["travel.labs.reconcile_crashed"]

    def test_a_failed_catch_up_never_refuses_the_trust_list(self, by):
        def refuse():
            raise MessageRefused("down", reason="exchange.unreachable")

        by.travel.registry.reconcile = refuse
        handler = messages.reconcile_after(lambda _incoming: {"version": 2}, by.travel.registry)
        assert handler(None) == {"version": 2}
