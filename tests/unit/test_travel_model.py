"""The travel service's domain: labs, opening hours, slots, booking codes, certificates' PDF."""

from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from eaeu.services.travel import qr
from eaeu.services.travel.certificate_pdf import certificate_pdf
from eaeu.services.travel.errors import LabInvalid
from eaeu.services.travel.issuance import icao, issuer_name
from eaeu.services.travel.model import (
    CODE_ALPHABET,
    CODE_LENGTH,
    PROBLEMS,
    Lab,
    LabStatus,
    OfferedTest,
    OpeningPeriod,
    TestKind,
    bookable_days,
    check_lab,
    format_code,
    format_hours,
    new_booking_code,
    normalise_code,
    parse_hours,
    search_key,
    slot_starts,
)
from eaeu.web.travel_lab_pages import LAB_PROBLEMS

MONDAY = date(2026, 3, 2)


def a_lab(**changes):
    lab = Lab(
        id="lab-1",
        state="BY",
        name="ТАА «Лаб»",
        name_latin="Lab LLC",
        legal_id_kind="unp",
        legal_id="190123455",
        licence="BY-LAB-1",
        address="вул. Савецкая, 1",
        city_en="Minsk",
        city_ru="Минск",
        latitude=53.9,
        longitude=27.56,
        tests=(
            OfferedTest(TestKind.PCR, Decimal("95.00"), "BYN", 24),
            OfferedTest(TestKind.RAT, Decimal(35), "BYN", 1, "1232"),
        ),
        hours=parse_hours("Mon-Fri 08:00-10:00; Sat 09:00-09:30"),
        slot_minutes=15,
        seats=2,
        accredited_from=date(2026, 1, 1),
        accredited_until=date(2026, 12, 31),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return replace(lab, **changes)


class TestOpeningHours:
    def test_reads_ranges_single_days_and_russian_day_names(self):
        periods = parse_hours("Mon-Wed 08:00-18:00; Sat 9:00-13:00\nВс 10:00–12:00")
        assert [p.weekday for p in periods] == [0, 1, 2, 5, 6]
        assert periods[3] == OpeningPeriod(5, time(9), time(13))
        assert periods[4].closes == time(12)

    def test_a_range_may_wrap_over_the_weekend(self):
        assert [p.weekday for p in parse_hours("Sat-Mon 10:00-11:00")] == [5, 6, 0]

    def test_writes_what_it_reads(self):
        text = format_hours(parse_hours("Mon-Tue 08:00-18:00"))
        assert text == "Mon 08:00-18:00; Tue 08:00-18:00"
        assert parse_hours(text) == parse_hours("Mon-Tue 08:00-18:00")

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ("Mon 8-18", "Mon-Fri 08:00-18:00"),
            ("Someday 08:00-18:00", "not a day of the week"),
            ("Mon 25:00-26:00", "not a time of day"),
        ],
    )
    def test_refuses_what_it_cannot_read(self, text, problem):
        with pytest.raises(LabInvalid, match=problem) as raised:
            parse_hours(text)
        assert set(raised.value.problems) == {"hours"}


class TestSlots:
    def test_follow_the_opening_hours_in_the_labs_time_zone(self):
        starts = slot_starts(a_lab(), MONDAY)
        # 08:00-10:00 in Minsk (UTC+3) is 05:00-07:00 UTC: eight slots of 15 minutes.
        assert len(starts) == 8
        assert starts[0] == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
        assert starts[-1] == datetime(2026, 3, 2, 6, 45, tzinfo=UTC)

    def test_a_slot_that_would_run_past_closing_is_not_offered(self):
        lab = a_lab(slot_minutes=20, hours=parse_hours("Mon 08:00-09:00"))
        assert len(slot_starts(lab, MONDAY)) == 3
        lab = a_lab(slot_minutes=30, hours=parse_hours("Sat 09:00-09:40"))
        assert len(slot_starts(lab, date(2026, 3, 7))) == 1

    def test_a_closed_day_has_none(self):
        assert slot_starts(a_lab(), date(2026, 3, 8)) == []

    def test_bookable_days_are_the_open_days_ahead(self):
        now = datetime(2026, 3, 7, 20, 0, tzinfo=UTC)  # Saturday 23:00 in Minsk
        days = bookable_days(a_lab(), now, days=7)
        assert days[0] == date(2026, 3, 7)
        assert date(2026, 3, 8) not in days  # Sunday: closed
        assert len(days) == 6


class TestBookingCodes:
    def test_are_eight_characters_without_look_alikes(self):
        for seed in range(50):
            code = new_booking_code(lambda n, s=seed: bytes([s]) * n)
            assert len(code) == CODE_LENGTH
            assert set(code) <= set(CODE_ALPHABET)
        assert not set("01ILOUV") & set(CODE_ALPHABET)

    def test_differ(self):
        assert len({new_booking_code() for _ in range(200)}) == 200

    def test_are_shown_in_two_groups_and_read_back_however_typed(self):
        assert format_code("K7QM4TXR") == "K7QM-4TXR"
        assert normalise_code(" k7qm-4txr ") == "K7QM4TXR"
        assert normalise_code("K7QM4TX") is None
        assert normalise_code("K7QM4TX0") is None


class TestLab:
    def test_a_valid_lab_passes(self):
        check_lab(a_lab())

    def test_reports_every_broken_rule_by_field(self):
        lab = a_lab(
            name=" ",
            name_latin="Лаб",
            latitude=91.0,
            slot_minutes=7,
            seats=0,
            accredited_until=date(2025, 1, 1),
        )
        with pytest.raises(LabInvalid) as raised:
            check_lab(lab)
        assert set(raised.value.problems) == {
            "name",
            "name_latin",
            "coordinates",
            "slot_minutes",
            "seats",
            "accredited_until",
        }
        assert raised.value.reason == "travel.lab_invalid"

    @pytest.mark.parametrize(
        ("offer", "problem"),
        [
            (OfferedTest(TestKind.RAT, Decimal(10), "BYN", 1), "device id"),
            (OfferedTest(TestKind.PCR, Decimal(10), "BYN", 1, "1232"), "no device"),
            (OfferedTest(TestKind.PCR, Decimal("10.001"), "BYN", 1), "two decimals"),
            (OfferedTest(TestKind.PCR, Decimal(0), "BYN", 1), "positive amount"),
            (OfferedTest(TestKind.PCR, Decimal(10), "XXX", 1), "currency"),
            (OfferedTest(TestKind.PCR, Decimal(10), "BYN", 500), "time to the result"),
        ],
    )
    def test_checks_each_offer(self, offer, problem):
        with pytest.raises(LabInvalid, match=problem):
            check_lab(a_lab(tests=(offer,)))

    def test_needs_a_test_and_opening_hours(self):
        with pytest.raises(LabInvalid, match="at least one test"):
            check_lab(a_lab(tests=()))
        with pytest.raises(LabInvalid, match="open at least once"):
            check_lab(a_lab(hours=()))
        with pytest.raises(LabInvalid, match="closes after it opens"):
            check_lab(a_lab(hours=(OpeningPeriod(0, time(18), time(8)),)))

    def test_is_accredited_only_within_its_days_and_while_active(self):
        lab = a_lab()
        assert lab.accredited_at(datetime(2026, 6, 1, tzinfo=UTC))
        assert not lab.accredited_at(datetime(2027, 1, 1, 12, tzinfo=UTC))
        assert not replace(lab, status=LabStatus.LAPSED).accredited_at(
            datetime(2026, 6, 1, tzinfo=UTC)
        )
        # The last day counts in the lab's own time zone: 31 Dec 22:30 UTC is 1 Jan in Minsk.
        assert not lab.accredited_at(datetime(2026, 12, 31, 22, 30, tzinfo=UTC))

    def test_travels_as_json_without_its_local_organisation(self):
        lab = a_lab(organisation_id="org-1")
        record = lab.to_json()
        assert "organisation_id" not in record
        assert Lab.from_json(record) == replace(lab, organisation_id=None)

    @pytest.mark.parametrize(
        "damage",
        [
            {"version": "x"},
            {"status": "gone"},
            {"tests": [{"kind": "pcr"}]},
            {"hours": [[0, "8"]]},
            {"updated_at": "2026-01-01T00:00:00"},
            {"seats": 0},
        ],
    )
    def test_a_damaged_record_from_a_peer_is_refused(self, damage):
        with pytest.raises(LabInvalid):
            Lab.from_json({**a_lab().to_json(), **damage})

    def test_cities_match_without_case_accents_or_yo(self):
        assert search_key("  Минск ") == search_key("минск")
        assert search_key("Śląsk") == "slask"
        assert search_key("Орёл") == search_key("орел")
        assert search_key("Ростов-на-Дону") == "ростов на дону"


class TestCertificateNames:
    def test_icao_form_of_latin_names(self):
        assert icao("Kazlouski") == "KAZLOUSKI"
        assert icao("Anna-Maria de Souza") == "ANNA<MARIA<DE<SOUZA"
        assert icao("O'Brien") == "OBRIEN"

    def test_the_issuer_is_the_health_ministry(self):
        assert issuer_name("BY") == "Ministry of Health of the Republic of Belarus"
        assert len(issuer_name("KG")) <= 80


class TestCertificatePdf:
    def test_is_one_a4_page_with_the_facts_in_latin(self):
        text = "HC1:" + "ABC123" * 60
        payload = {
            "nam": {"fn": "Казлоўскі", "gn": "Алесь", "fnt": "KAZLOUSKI", "gnt": "ALES"},
            "dob": "1985-03-15",
            "t": [
                {
                    "tt": "LP217198-3",
                    "ma": "1232",
                    "sc": "2026-03-02T05:16:00Z",
                    "tc": "Minski Labaratorny Tsentr LLC",
                    "co": "BY",
                    "is": "Ministry of Health of the Republic of Belarus",
                    "ci": "URN:UVCI:01:BY:ABC#D",
                }
            ],
        }
        at = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
        pdf = certificate_pdf(
            text=text, payload=payload, issued_at=at, expires_at=at, state_name="Belarus"
        )
        reader = PdfFileReader(BytesIO(pdf))
        [page] = reader.root["/Pages"]["/Kids"]
        assert list(page.get_object()["/MediaBox"]) == [0, 0, 595, 842]
        assert b"KAZLOUSKI, ALES" in pdf
        assert b"URN:UVCI:01:BY:ABC#D" in pdf
        assert b"Rapid antigen" in pdf
        assert "Казлоўскі".encode() not in pdf
        # The QR code is drawn as filled rectangles: one per run of dark modules.
        assert pdf.count(b" re\n") > 100

    def test_draws_every_dark_module_of_the_certificates_qr_code(self):
        text = "HC1:" + "ABC123" * 60
        payload = {
            "nam": {"fnt": "A", "gnt": "B"},
            "dob": "1990",
            "t": [{"tt": "LP6464-4", "sc": "2026-03-02T05:16:00Z", "tc": "T", "co": "BY",
                   "is": "I", "ci": "C"}],
        }  # fmt: skip
        at = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
        pdf = certificate_pdf(
            text=text, payload=payload, issued_at=at, expires_at=at, state_name="Belarus"
        )
        matrix = qr.qr_code(text).matrix
        module = 198 / (len(matrix) + 8)
        widths = [
            float(line.split()[2])
            for line in pdf.decode("latin-1").splitlines()
            if line.endswith(" re") and len(line.split()) == 5
        ]
        drawn = sum(round((width - 0.05) / module) for width in widths)
        assert drawn == sum(sum(row) for row in matrix)


class TestProblemsArePeoplesWords:
    def test_every_problem_of_the_registry_is_marked_for_translation(self):
        assert set(PROBLEMS) <= set(LAB_PROBLEMS)

    def test_a_lab_with_everything_wrong_is_told_in_those_words(self):
        lab = a_lab(
            name="",
            name_latin="x" * 81,
            state="XX",
            latitude=100.0,
            tests=(),
            hours=(),
            slot_minutes=1,
            seats=99,
            accredited_until=date(2020, 1, 1),
            version=0,
        )
        with pytest.raises(LabInvalid) as raised:
            check_lab(lab)
        assert set(raised.value.problems.values()) <= set(PROBLEMS)
