"""Housing across two nodes: Russian places, a Kyrgyz worker books one, nobody books twice.

Eight threads racing for a place with three beds get exactly three stays; stays of other
dates are unaffected; the booking comes back signed by the Russian node with the address
used for registration. Both nodes run on each engine.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from jobs_move_support import AIGUL, MOVER, PERSON, START, TODAY, nodes, second_database
from sqlalchemy import func, select

from eaeu.consent.errors import ConsentRefused
from eaeu.exchange.errors import MessageRefused
from eaeu.services.jobs import attestations
from eaeu.services.jobs.housing import DORMITORY, RENTAL, NewPlace
from eaeu.services.jobs.move_errors import (
    HeldNotFound,
    HousingFull,
    PlaceInvalid,
    PlaceNotFound,
    StayInvalid,
)
from eaeu.services.jobs.move_model import MinimumData
from eaeu.services.jobs.move_orm import NightRow, StayRow
from eaeu.testing import FrozenClock, memory_union

LANDLORD_OGRN = "1095407013239"
EMPLOYER_OGRN = "1157746013237"


@pytest.fixture(scope="module")
def union():
    return memory_union(now=START - timedelta(days=1))


@pytest.fixture
def clock():
    return FrozenClock(START)


@pytest.fixture
def pair(union, clock, database_url, tmp_path):
    with (
        second_database(database_url, tmp_path) as other,
        nodes(union, clock, {"KG": database_url, "RU": other}) as built,
    ):
        yield built


@pytest.fixture
def kg(pair):
    return pair["KG"]


@pytest.fixture
def ru(pair):
    return pair["RU"]


@pytest.fixture
def landlord(ru):
    return ru.organisation("landlord", LANDLORD_OGRN, "ООО «Сибирское жильё»")


def flat(**changes):
    values = {
        "city": "Новосибирск",
        "address": "Novosibirsk, Krasny prospekt 25, apt 14",
        "capacity": 3,
        "price_month": 28000,
        "currency": "RUB",
        "available_from": TODAY,
        "available_until": TODAY + timedelta(days=400),
        "description": "Three beds near the metro.",
    }
    values.update(changes)
    return NewPlace(**values)


@pytest.fixture
def place(ru, landlord):
    return ru.housing.list_place(landlord, RENTAL, flat())


CHECK_IN, CHECK_OUT = TODAY + timedelta(days=28), TODAY + timedelta(days=58)


def guest(n):
    return MinimumData(f"GUEST{chr(65 + n)}", "TEST", date(1990, 1, 1 + n), "KG")


class TestListing:
    def test_places_are_found_by_city_in_any_case_with_free_beds(self, kg, place):
        [found] = kg.housing.places(
            "RU", city="новосибирск", check_in=CHECK_IN, check_out=CHECK_OUT
        )
        assert (found.id, found.free, found.address) == (place.id, 3, place.address)
        assert kg.housing.places("RU", city="Moscow", check_in=CHECK_IN, check_out=CHECK_OUT) == []

    def test_an_employers_dormitory_is_listed_as_one(self, kg, ru):
        employer = ru.organisation("employer", EMPLOYER_OGRN, "ООО «СтройМонтаж»")
        ru.housing.list_place(employer, DORMITORY, flat(capacity=20, price_month=0))
        [found] = kg.housing.places("RU", city=None, check_in=CHECK_IN, check_out=CHECK_OUT)
        assert (found.kind, found.owner_ref, found.price_month) == (
            DORMITORY,
            f"RU-OGRN-{EMPLOYER_OGRN}",
            0,
        )

    def test_refuses_a_place_that_breaks_the_rules_naming_every_field(self, ru, landlord):
        bad = flat(capacity=0, address=" ", currency="USD", available_until=TODAY - timedelta(1))
        with pytest.raises(PlaceInvalid) as raised:
            ru.housing.list_place(landlord, "castle", bad)
        assert set(raised.value.problems) == {
            "kind",
            "capacity",
            "address",
            "currency",
            "available_until",
        }

    def test_a_withdrawn_place_takes_no_bookings(self, ru, place, landlord):
        ru.housing.withdraw(place.id, owner_org_id=landlord.id)
        with pytest.raises(PlaceNotFound):
            ru.housing.book_here(
                place_id=place.id, guest=AIGUL, guest_state="KG", check_in=CHECK_IN,
                check_out=CHECK_OUT,
            )  # fmt: skip

    @pytest.mark.usefixtures("place")
    def test_dates_in_the_past_or_reversed_are_refused(self, kg, ru):
        for check_in, check_out in ((TODAY - timedelta(1), CHECK_OUT), (CHECK_OUT, CHECK_IN)):
            with pytest.raises(StayInvalid):
                ru.housing.search(city=None, check_in=check_in, check_out=check_out)
            with pytest.raises(MessageRefused) as raised:
                kg.housing.places("RU", city=None, check_in=check_in, check_out=check_out)
            assert raised.value.reason == "jobs.stay_dates"


class TestNoDoubleBooking:
    def test_eight_concurrent_requests_for_three_beds_get_exactly_three(self, ru, place):
        barrier = threading.Barrier(8)
        outcomes: list[object] = []

        def attempt(n):
            barrier.wait()
            try:
                outcomes.append(
                    ru.housing.book_here(
                        place_id=place.id, guest=guest(n), guest_state="KG",
                        check_in=CHECK_IN, check_out=CHECK_OUT,
                    )[0]
                )  # fmt: skip
            except HousingFull as exc:
                outcomes.append(exc.reason)

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stays = [o for o in outcomes if not isinstance(o, str)]
        assert len(stays) == 3
        assert sorted(o for o in outcomes if isinstance(o, str)) == ["jobs.housing_full"] * 5
        assert sorted(s.bed for s in stays) == [1, 2, 3]
        with ru.uow() as uow:
            assert uow.session.scalar(select(func.count()).select_from(StayRow)) == 3
            assert uow.session.scalar(select(func.count()).select_from(NightRow)) == 3 * 30
        [found] = ru.housing.search(city=None, check_in=CHECK_IN, check_out=CHECK_OUT)
        assert found.free == 0

    def test_a_full_place_still_takes_stays_on_other_nights(self, ru, place):
        for n in range(3):
            ru.housing.book_here(
                place_id=place.id, guest=guest(n), guest_state="KG", check_in=CHECK_IN,
                check_out=CHECK_OUT,
            )  # fmt: skip
        with pytest.raises(HousingFull):
            ru.housing.book_here(
                place_id=place.id, guest=guest(4), guest_state="KG",
                check_in=CHECK_OUT - timedelta(days=1), check_out=CHECK_OUT + timedelta(days=5),
            )  # fmt: skip
        stay, _ = ru.housing.book_here(
            place_id=place.id, guest=guest(4), guest_state="KG", check_in=CHECK_OUT,
            check_out=CHECK_OUT + timedelta(days=5),
        )  # fmt: skip
        assert stay.bed == 1


class TestBookingFromHome:
    def book(self, kg, place, consent="give"):
        token = kg.consent(kg.housing.consent_request(place)) if consent == "give" else consent
        return kg.housing.book(MOVER, place, check_in=CHECK_IN, check_out=CHECK_OUT, consent=token)

    def test_the_booking_is_signed_and_gives_the_address_for_registration(
        self, kg, ru, place, landlord
    ):
        held = self.book(kg, place)
        claims = attestations.verify(held.document, attestations.BOOKING, kg.ctx.trust())
        assert claims["iss"] == "RU"
        assert claims["place"]["address"] == held.address == place.address
        assert claims["host"]["ref"] == f"RU-OGRN-{LANDLORD_OGRN}"
        assert claims["guest"] == AIGUL.to_json()
        assert kg.housing.held(PERSON) == [held]
        assert kg.housing.held_booking(PERSON, held.id).address == place.address
        [stay] = ru.housing.stays_of(landlord.id)
        assert (stay.id, stay.guest, stay.guest_state) == (held.id, AIGUL, "KG")

    def test_nothing_is_sent_without_a_consent(self, kg, ru, place):
        with pytest.raises(ConsentRefused):
            self.book(kg, place, consent=None)
        assert ru.housing.search(city=None, check_in=CHECK_IN, check_out=CHECK_OUT)[0].free == 3

    def test_a_full_place_is_refused_with_its_reason(self, kg, ru, place):
        for n in range(3):
            ru.housing.book_here(
                place_id=place.id, guest=guest(n), guest_state="KG", check_in=CHECK_IN,
                check_out=CHECK_OUT,
            )  # fmt: skip
        with pytest.raises(MessageRefused) as raised:
            self.book(kg, place)
        assert raised.value.reason == "jobs.housing_full"
        assert kg.housing.held(PERSON) == []

    def test_another_persons_booking_is_not_found(self, kg, place):
        held = self.book(kg, place)
        with pytest.raises(HeldNotFound):
            kg.housing.held_booking("someone-else", held.id)
