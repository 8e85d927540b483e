"""Documents across two nodes: node-held keys, revocation and CRLs, cross-border validation.

RU and KG run in one process on real databases (KG on each engine), with the exchange
between them on the loopback transport and each other's CRL fetched in-process.
"""

import hashlib
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography import x509

from eaeu.documents import jades, messages, pades, receipts
from eaeu.documents.errors import HomeUnavailable, ReceiptRefused, SignerLocked
from eaeu.documents.handlers import node_documents, sign_document
from eaeu.documents.keys import DocumentKeys, SignerAuthorisation
from eaeu.documents.model import Indication, SignatureInput, SubIndication
from eaeu.documents.validation import ValidationService, validate_request
from eaeu.exchange.errors import MessageRefused
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import RecordingGuard, loopback_node, memory_union
from eaeu.trust.errors import KeyStoreError

SECRET = b"a node secret of at least thirty-two bytes"
CONTRACT = json.dumps(
    {"type": "employment-contract", "employer": "RU-ORG-1", "worker": "KG-P-1", "salary": 1000},
    ensure_ascii=False,
).encode()


class Node:
    def __init__(self, state, documents, exchange):
        self.state = state
        self.documents = documents
        self.exchange = exchange

    @property
    def validation(self):
        return self.documents.validation

    @property
    def keys(self):
        return self.documents.keys


@pytest.fixture
def nodes(union, clock, transport, tmp_path, engines, database_url):
    made = {}

    def fetch(state):
        if state not in made or union.trust.endpoint(state) in transport.down:
            raise HomeUnavailable(f"{state} does not answer")
        return made[state].documents.revocations.crl()

    for state, url in (("RU", f"sqlite:///{tmp_path / 'ru.db'}"), ("KG", database_url)):
        engine = make_engine(url)
        migrate.upgrade(engine)
        engines.append(engine)
        uow = UnitOfWorkFactory(engine)
        node = loopback_node(
            union, state, uow=uow, clock=clock, transport=transport, guard=RecordingGuard()
        )
        documents = node_documents(
            state=state,
            uow=uow,
            clock=clock,
            signer=node.signer,
            trust=node.trust.current,
            secret=SECRET,
            root=union.trust.member(state).roots[0],
            root_signer=union.governance[state],
            fetch_crl=fetch,
        )
        node.handlers.update(messages.handlers(documents.validation))
        documents.validation.connect_home(messages.home_validation(node))
        made[state] = Node(state, documents, node)
    return made


def worker(nodes, *, second_factor=True):
    auth = SignerAuthorisation("kg-person-1", "session-1", second_factor=second_factor)
    return nodes["KG"].keys.person_key(auth, name="Айгуль Асанова", identifier="KG-kg-person-1")


def employer(nodes):
    auth = SignerAuthorisation(
        "ru-person-1", "session-2", second_factor=True, organisations=frozenset({"ru-org-1"})
    )
    return nodes["RU"].keys.organisation_key(
        auth, "ru-org-1", name="ООО Ромашка", identifier="NTRRU-1027700000000"
    )


def signed_contract(nodes, clock):
    first = sign_document(CONTRACT, employer(nodes), signing_time=clock.now())
    return sign_document(first.content, worker(nodes), signing_time=clock.now()).content


class TestNodeHeldKeys:
    def test_key_is_created_once_and_reused(self, nodes):
        first, again = worker(nodes), worker(nodes)
        assert first.key_id == again.key_id
        assert first.certificate == again.certificate
        assert first.certificate.subject.rfc4514_string().endswith("C=KG")

    def test_key_stays_locked_without_second_factor(self, nodes):
        with pytest.raises(SignerLocked, match="one-time code") as caught:
            worker(nodes, second_factor=False)
        assert caught.value.reason == "documents.second_factor"

    def test_organisation_key_needs_the_right_to_sign_for_it(self, nodes):
        auth = SignerAuthorisation(
            "ru-person-2", "session-3", second_factor=True, organisations=frozenset({"other"})
        )
        with pytest.raises(SignerLocked, match="on behalf of this organisation") as caught:
            nodes["RU"].keys.organisation_key(auth, "ru-org-1", name="x", identifier="y")
        assert caught.value.reason == "documents.not_authorised"

    def test_another_node_secret_cannot_open_the_key(self, nodes, clock):
        worker(nodes)
        keys = nodes["KG"].keys
        other = DocumentKeys(
            state="KG",
            uow=keys._uow,
            clock=clock,
            authority=keys.authority,
            secret=b"another secret entirely, also long enough",
        )
        auth = SignerAuthorisation("kg-person-1", "session-1", second_factor=True)
        with pytest.raises(KeyStoreError, match="cannot be opened"):
            other.person_key(auth, name="Айгуль Асанова", identifier="KG-kg-person-1")

    def test_revoked_key_is_listed_in_the_crl_and_replaced(self, nodes):
        old = worker(nodes)
        serials = nodes["KG"].documents.revoke("person", "kg-person-1", reason="keyCompromise")
        assert serials == [format(old.certificate.serial_number, "x")]
        crl = x509.load_der_x509_crl(nodes["KG"].documents.revocations.crl())
        assert crl.get_revoked_certificate_by_serial_number(old.certificate.serial_number)
        assert worker(nodes).certificate.serial_number != old.certificate.serial_number
        assert nodes["KG"].keys.certificate("person", "kg-person-1") is not None


class TestCrossBorderValidation:
    def test_multi_party_contract_validates_in_both_states(self, nodes, clock):
        document = signed_contract(nodes, clock)
        for state in ("RU", "KG"):
            report = nodes[state].validation.validate(document)
            assert report.indication is Indication.TOTAL_PASSED
            assert [s.signer.state for s in report.signatures] == ["RU", "KG"]
            assert report.validator_state == state

    def test_multi_party_contract_with_one_bad_signature_fails(self, nodes, clock):
        document = json.loads(signed_contract(nodes, clock))
        document["signatures"][1]["signature"] = document["signatures"][0]["signature"]
        report = nodes["RU"].validation.validate(json.dumps(document).encode())
        assert [s.indication for s in report.signatures] == [
            Indication.TOTAL_PASSED,
            Indication.TOTAL_FAILED,
        ]
        assert report.sub_indication is SubIndication.SIG_CRYPTO_FAILURE

    def test_tampered_payload_fails(self, nodes, clock):
        document = json.loads(signed_contract(nodes, clock))
        document["payload"] = jades.b64url(CONTRACT.replace(b"1000", b"9000"))
        report = nodes["RU"].validation.validate(json.dumps(document).encode())
        assert report.indication is Indication.TOTAL_FAILED
        assert {s.sub_indication for s in report.signatures} == {SubIndication.SIG_CRYPTO_FAILURE}

    def test_revoked_foreign_signer_is_seen_once_the_crl_is_refreshed(self, nodes, clock):
        document = sign_document(CONTRACT, worker(nodes), signing_time=clock.now()).content
        assert nodes["RU"].validation.validate(document).indication is Indication.TOTAL_PASSED
        clock.advance(60)
        nodes["KG"].documents.revoke("person", "kg-person-1")
        home = nodes["KG"].validation.validate(document)
        assert home.sub_indication is SubIndication.REVOKED_NO_POE
        # RU still uses the CRL it fetched a minute ago; the home node knows at once.
        assert nodes["RU"].validation.validate(document).indication is Indication.TOTAL_PASSED
        confirmed = nodes["RU"].validation.validate(document, ask_home=True)
        assert confirmed.sub_indication is SubIndication.REVOKED_NO_POE
        assert confirmed.signatures[0].confirmed_by == "KG"
        clock.advance(minutes=6)
        assert nodes["RU"].validation.validate(document).sub_indication is (
            SubIndication.REVOKED_NO_POE
        )

    def test_foreign_crl_unavailable_is_try_later(self, nodes, clock, transport):
        document = sign_document(CONTRACT, worker(nodes), signing_time=clock.now()).content
        transport.down.add(nodes["KG"].exchange.trust.current().endpoint("KG"))
        report = nodes["RU"].validation.validate(document, ask_home=True)
        assert report.indication is Indication.INDETERMINATE
        assert report.sub_indication is SubIndication.TRY_LATER
        assert report.references == ()

    def test_unknown_root_is_indeterminate(self, nodes, clock):
        stranger = memory_union(now=clock.now() - timedelta(days=1))
        keys = DocumentKeys(
            state="KG",
            uow=nodes["KG"].keys._uow,
            clock=clock,
            authority=type(nodes["KG"].keys.authority)(
                stranger.trust.member("KG").roots[0], stranger.governance["KG"]
            ),
            secret=SECRET,
        )
        key = keys.person_key(
            SignerAuthorisation("self-made", "s", second_factor=True),
            name="Self Made",
            identifier="KG-x",
        )
        document = sign_document(CONTRACT, key, signing_time=clock.now()).content
        report = nodes["RU"].validation.validate(document)
        assert report.indication is Indication.INDETERMINATE
        assert report.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND

    def test_expired_certificate_is_out_of_bounds(self, nodes, clock):
        keys = nodes["KG"].keys
        short = DocumentKeys(
            state="KG", uow=keys._uow, clock=clock, authority=keys.authority, secret=SECRET, days=2
        )
        key = short.person_key(
            SignerAuthorisation("kg-person-9", "s", second_factor=True),
            name="Бакыт",
            identifier="KG-9",
        )
        document = sign_document(CONTRACT, key, signing_time=clock.now()).content
        clock.advance(days=3)
        report = nodes["RU"].validation.validate(document)
        assert report.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE

    def test_signed_pdf_by_two_parties_validates_and_detects_tampering(self, nodes, clock):
        pdf = pades.simple_pdf("Employment contract", ["Salary: 1000 EUR", "Term: 12 months"])
        once = sign_document(pdf, employer(nodes), signing_time=clock.now()).content
        twice = sign_document(once, worker(nodes), signing_time=clock.now()).content
        report = nodes["RU"].validation.validate(twice)
        assert report.indication is Indication.TOTAL_PASSED
        assert [s.format for s in report.signatures] == ["PAdES-B-B", "PAdES-B-B"]
        tampered = twice.replace(b"Salary: 1000", b"Salary: 9000")
        assert tampered != twice
        result = nodes["RU"].validation.validate(tampered)
        assert result.indication is Indication.TOTAL_FAILED
        assert SubIndication.HASH_FAILURE in {s.sub_indication for s in result.signatures}


class TestHomeConfirmation:
    def test_home_node_confirms_and_is_referenced(self, nodes, clock):
        document = signed_contract(nodes, clock)
        report = nodes["RU"].validation.validate(document, ask_home=True)
        assert report.indication is Indication.TOTAL_PASSED
        ru, kg = report.signatures
        assert ru.confirmed_by is None
        assert kg.confirmed_by == "KG"
        (reference,) = report.references
        assert reference.validator_state == "KG"
        assert reference.indication is Indication.TOTAL_PASSED

    def test_home_node_refuses_a_malformed_request(self, nodes):
        with pytest.raises(MessageRefused) as caught:
            nodes["RU"].exchange.request("KG", messages.SERVICE, messages.VALIDATE, {"x": 1})
        assert caught.value.reason == "documents.malformed_request"

    def test_unreachable_home_node_is_reported(self, nodes, transport):
        ask = messages.home_validation(nodes["RU"].exchange)
        transport.down.add(nodes["KG"].exchange.trust.current().endpoint("KG"))
        with pytest.raises(HomeUnavailable, match="could not confirm"):
            ask("KG", {})


class TestForeignReceipts:
    def test_foreign_receipt_is_accepted_and_reissued(self, nodes, clock, union):
        document = signed_contract(nodes, clock)
        theirs = nodes["KG"].validation.check(document)
        mine = nodes["RU"].validation.accept_receipt(theirs.receipt, document=document)
        receipt = receipts.verify(mine.receipt, union.trust)
        assert receipt.validator_state == "RU"
        assert receipt.basis == "receipt"
        assert receipt.report.indication is Indication.TOTAL_PASSED
        (reference,) = receipt.report.references
        assert reference.validator_state == "KG"
        assert reference.sha256 == mine.relied_on[0].sha256
        assert {s.confirmed_by for s in receipt.report.signatures} == {"KG"}

    def test_failed_foreign_receipt_is_reissued_as_failed(self, nodes, clock):
        document = json.loads(signed_contract(nodes, clock))
        document["payload"] = jades.b64url(b"{}")
        theirs = nodes["KG"].validation.check(json.dumps(document).encode())
        mine = nodes["RU"].validation.accept_receipt(theirs.receipt)
        assert mine.report.indication is Indication.TOTAL_FAILED

    def test_forged_receipt_is_refused(self, nodes, clock):
        document = signed_contract(nodes, clock)
        token = nodes["KG"].validation.check(document).receipt
        header, payload, signature = token.split(".")
        body = json.loads(jades.b64url_decode(payload))
        body["validated_at"] = "2027-01-01T00:00:00Z"
        forged = f"{header}.{jades.b64url(json.dumps(body).encode())}.{signature}"
        with pytest.raises(ReceiptRefused, match="cannot be relied on") as caught:
            nodes["RU"].validation.accept_receipt(forged)
        assert caught.value.reason == "documents.receipt_invalid"

    def test_receipt_about_another_document_is_refused(self, nodes, clock):
        token = nodes["KG"].validation.check(signed_contract(nodes, clock)).receipt
        with pytest.raises(ReceiptRefused, match="another document") as caught:
            nodes["RU"].validation.accept_receipt(token, document=b"{}")
        assert caught.value.reason == "documents.receipt_mismatch"

    def test_own_receipt_needs_no_confirmation(self, nodes, clock):
        token = nodes["RU"].validation.check(signed_contract(nodes, clock)).receipt
        with pytest.raises(ReceiptRefused, match="issued by this node") as caught:
            nodes["RU"].validation.accept_receipt(token)
        assert caught.value.reason == "documents.receipt_own"


def home_answer(nodes, document, *, claimed):
    """The KG node's receipt for the signatures of ``document``, with an imprint claimed."""
    kind, evidence = ValidationService.read(document)
    request = validate_request(kind, hashlib.sha256(claimed).hexdigest(), evidence)
    return nodes["KG"].validation.answer_request(request)


class TestWhatAReceiptRestsOn:
    def test_a_node_that_read_the_document_says_so_and_names_what_it_verified(
        self, nodes, clock, union
    ):
        document = signed_contract(nodes, clock)
        receipt = receipts.verify(nodes["KG"].validation.check(document).receipt, union.trust)
        assert receipt.report.scope == "document"
        _, evidence = ValidationService.read(document)
        assert receipt.report.signature_inputs == tuple(
            SignatureInput(e.id, e.hash_name, e.tbs_digest.hex()) for e in evidence
        )

    def test_a_home_nodes_answer_covers_the_signatures_only(self, nodes, clock, union):
        document = signed_contract(nodes, clock)
        token = home_answer(nodes, document, claimed=b"another document")
        receipt = receipts.verify(token, union.trust)
        assert receipt.report.scope == "signatures"
        assert [i.id for i in receipt.report.signature_inputs] == ["sig-1", "sig-2"]

    def test_the_claimed_imprint_does_not_make_it_proof_about_another_document(self, nodes, clock):
        document = signed_contract(nodes, clock)
        other = CONTRACT.replace(b"1000", b"9000")
        token = home_answer(nodes, document, claimed=other)
        with pytest.raises(ReceiptRefused, match="another document") as caught:
            nodes["RU"].validation.accept_receipt(token, document=other)
        assert caught.value.reason == "documents.receipt_mismatch"

    def test_another_signed_document_with_the_claimed_imprint_is_refused(self, nodes, clock):
        document = signed_contract(nodes, clock)
        forged = sign_document(CONTRACT.replace(b"1000", b"9000"), worker(nodes),
                               signing_time=clock.now()).content  # fmt: skip
        token = home_answer(nodes, document, claimed=forged)
        with pytest.raises(ReceiptRefused, match="another document"):
            nodes["RU"].validation.accept_receipt(token, document=forged)

    def test_it_is_proof_about_the_document_whose_signature_inputs_match(self, nodes, clock, union):
        document = signed_contract(nodes, clock)
        token = home_answer(nodes, document, claimed=b"whatever was claimed")
        mine = nodes["RU"].validation.accept_receipt(token, document=document)
        receipt = receipts.verify(mine.receipt, union.trust)
        assert receipt.report.scope == "document"
        assert receipt.report.document_sha256 == hashlib.sha256(document).hexdigest()
        assert receipt.report.indication is Indication.TOTAL_PASSED

    def test_without_the_document_the_reissued_receipt_stays_about_signatures(
        self, nodes, clock, union
    ):
        document = signed_contract(nodes, clock)
        token = home_answer(nodes, document, claimed=b"whatever was claimed")
        mine = receipts.verify(nodes["RU"].validation.accept_receipt(token).receipt, union.trust)
        assert mine.report.scope == "signatures"
        theirs = receipts.verify(token, union.trust)
        assert mine.report.signature_inputs == theirs.report.signature_inputs

    def test_a_home_receipt_about_other_signatures_confirms_nothing(self, nodes, clock):
        document = signed_contract(nodes, clock)
        decoy = sign_document(CONTRACT.replace(b"1000", b"9000"), worker(nodes),
                              signing_time=clock.now()).content  # fmt: skip
        kind, decoy_evidence = ValidationService.read(decoy)

        def lying_home(state, request):
            # Echoes the imprint asked about, but vouches for another document's signature.
            relabelled = [replace(e, id="sig-2") for e in decoy_evidence]
            return nodes["KG"].validation.answer_request(
                validate_request(kind, request["document_sha256"], relabelled)
            )

        nodes["RU"].validation.connect_home(lying_home)
        report = nodes["RU"].validation.validate(document, ask_home=True)
        assert {s.confirmed_by for s in report.signatures} == {None}
        assert report.references == ()
