"""Keys and certificates at rest, and a local union's trust list chain on disk."""

import json
import stat
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from eaeu.kernel.states import STATE_CODES
from eaeu.testing import FrozenClock
from eaeu.trust import pki
from eaeu.trust import trustlist as tl
from eaeu.trust.errors import CertificateInvalid, KeyStoreError, TrustError, TrustListRejected
from eaeu.trust.keys import generate_ec_key, load_private_key, save_private_key
from eaeu.trust.proposals import Join, SetThreshold
from eaeu.trust.union import LocalUnion, default_services, init_union, publish, read_json

PASSPHRASE = b"correct horse battery staple"
CLOCK = FrozenClock()
NOW = CLOCK.now()
ENDPOINTS = {state: f"http://127.0.0.1:{8100 + i}" for i, state in enumerate(STATE_CODES, 1)}


class TestKeyStore:
    def test_round_trips_an_encrypted_key_readable_by_its_owner_only(self, tmp_path):
        key = generate_ec_key()
        path = tmp_path / "keys" / "node.key.pem"
        save_private_key(key, path, PASSPHRASE)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
        loaded = load_private_key(path, PASSPHRASE)
        assert loaded.public_key() == key.public_key()

    def test_round_trips_an_rsa_key(self, tmp_path):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        save_private_key(key, tmp_path / "rsa.pem", PASSPHRASE)
        assert load_private_key(tmp_path / "rsa.pem", PASSPHRASE).public_key() == key.public_key()

    def test_refuses_a_wrong_passphrase(self, tmp_path):
        save_private_key(generate_ec_key(), tmp_path / "k.pem", PASSPHRASE)
        with pytest.raises(KeyStoreError, match="cannot be opened with this passphrase") as raised:
            load_private_key(tmp_path / "k.pem", b"wrong")
        assert raised.value.reason == "keys.passphrase"

    def test_says_when_a_key_is_missing(self, tmp_path):
        with pytest.raises(KeyStoreError, match="no key at") as raised:
            load_private_key(tmp_path / "absent.pem", PASSPHRASE)
        assert raised.value.reason == "keys.missing"

    def test_refuses_a_key_type_it_cannot_sign_with(self, tmp_path):
        save_private_key(ed25519.Ed25519PrivateKey.generate(), tmp_path / "ed.pem", PASSPHRASE)
        with pytest.raises(KeyStoreError, match="unsupported type") as raised:
            load_private_key(tmp_path / "ed.pem", PASSPHRASE)
        assert raised.value.reason == "keys.type"


class TestCertificateFiles:
    def test_round_trips_a_pem_certificate(self, tmp_path):
        root = pki.issue_root("AM", generate_ec_key(), now=NOW)
        path = tmp_path / "certs" / "root.crt.pem"
        pki.save_certificate_pem(root, path)
        assert path.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        assert pki.load_certificate_pem(path) == root

    def test_says_when_a_certificate_is_missing(self, tmp_path):
        with pytest.raises(KeyStoreError, match="no certificate at") as raised:
            pki.load_certificate_pem(tmp_path / "absent.pem")
        assert raised.value.reason == "keys.missing"

    def test_refuses_a_file_that_is_not_a_certificate(self, tmp_path):
        (tmp_path / "junk.pem").write_text("junk")
        with pytest.raises(CertificateInvalid, match="not a PEM certificate") as raised:
            pki.load_certificate_pem(tmp_path / "junk.pem")
        assert raised.value.reason == "certificate.malformed"


@pytest.fixture(scope="module")
def union_dir(tmp_path_factory):
    """A union created once, read by the tests that do not change it."""
    data_dir = tmp_path_factory.mktemp("union")
    init_union(data_dir, passphrase=PASSPHRASE, now=NOW, endpoints=ENDPOINTS)
    return data_dir


@pytest.fixture
def fresh_union(tmp_path):
    init_union(tmp_path, passphrase=PASSPHRASE, now=NOW, endpoints=ENDPOINTS)
    return LocalUnion(tmp_path, PASSPHRASE)


class TestCreatingAUnion:
    def test_creates_the_keys_of_five_states(self, union_dir):
        for state in STATE_CODES:
            names = sorted(p.name for p in (union_dir / "keys" / state).iterdir())
            assert names == sorted(
                [
                    "root.key.pem",
                    "root.crt.pem",
                    "node-signing.key.pem",
                    "node-signing.crt.pem",
                    "node-encryption.key.pem",
                    "ds-health.key.pem",
                    "ds-health.crt.pem",
                    "ds-migration.key.pem",
                    "ds-migration.crt.pem",
                    "ds-labelling.key.pem",
                    "ds-labelling.crt.pem",
                ]
            )
            for key_file in (union_dir / "keys" / state).glob("*.key.pem"):
                assert b"ENCRYPTED PRIVATE KEY" in key_file.read_bytes()

    def test_version_1_is_signed_by_all_five(self, union_dir):
        signed = read_json(union_dir / "trust" / "v1.json")
        accepted = tl.accept_first(signed, at=NOW)
        assert accepted.signed_by == STATE_CODES
        assert accepted.threshold == 3
        assert accepted.expires_at == NOW + timedelta(days=365)
        assert accepted.endpoint("KZ") == "http://127.0.0.1:8104"

    def test_travel_starts_without_kazakhstan_and_kyrgyzstan(self, union_dir):
        latest = LocalUnion(union_dir, PASSPHRASE).latest(at=NOW)
        assert latest.participants("travel", "issuer") == ["AM", "BY", "RU"]
        assert latest.participants("jobs", "publisher") == list(STATE_CODES)
        assert latest.participants("exchange", "member") == list(STATE_CODES)
        assert default_services()["travel"]["AM"] == ["issuer", "verifier"]

    def test_the_keys_on_disk_are_the_keys_in_the_list(self, union_dir):
        union = LocalUnion(union_dir, PASSPHRASE)
        latest = union.latest()
        kz = latest.member("KZ")
        assert union.governance_signer("KZ").kid == kz.governance_kid
        node = union.node_signer("KZ")
        assert latest.node_verifier(node.kid)[0] == "KZ"
        assert union.node_encryption_key("KZ").public_key() == latest.encryption_key("KZ")
        assert union.root_certificate("KZ") == kz.roots[0]
        for role in ("health", "migration", "labelling"):
            signer, cert = union.document_signer("KZ", role)
            assert cert.public_key() == signer.public_key
            assert latest.document_signers("KZ", role) == [cert]
            assert pki.verify_certificate(cert, kz.roots, at=NOW, usage=role) == kz.roots[0]
        assert (
            pki.verify_certificate(kz.node.signing_certificate, kz.roots, at=NOW, usage="exchange")
            == kz.roots[0]
        )
        assert repr(union) == f"LocalUnion({str(union_dir)!r})"

    def test_knows_whether_a_states_node_keys_are_here(self, union_dir, tmp_path):
        assert LocalUnion(union_dir, PASSPHRASE).has_keys("KZ")
        assert not LocalUnion(union_dir, PASSPHRASE).has_keys("UZ")
        partial = LocalUnion(tmp_path, PASSPHRASE)
        save_private_key(generate_ec_key(), partial.key_dir("KZ") / "node-signing.key.pem", b"x")
        assert not partial.has_keys("KZ")

    def test_takes_given_services_and_threshold(self, tmp_path):
        services = {"vehicles": {"KZ": ["registry"]}}
        created = init_union(
            tmp_path,
            passphrase=PASSPHRASE,
            now=NOW,
            endpoints=ENDPOINTS,
            services=services,
            threshold=5,
            validity_days=30,
        )
        assert created.participants("vehicles") == ["KZ"]
        assert created.participants("travel") == []
        assert created.threshold == 5
        assert created.expires_at == NOW + timedelta(days=30)

    def test_refuses_to_overwrite_a_union(self, union_dir):
        with pytest.raises(TrustError, match="a union exists already") as raised:
            init_union(union_dir, passphrase=PASSPHRASE, now=NOW, endpoints=ENDPOINTS)
        assert raised.value.reason == "trust.exists"

    def test_needs_an_endpoint_for_every_state(self, tmp_path):
        endpoints = {k: v for k, v in ENDPOINTS.items() if k not in {"KG", "RU"}}
        with pytest.raises(TrustError, match="no endpoint for KG, RU") as raised:
            init_union(tmp_path, passphrase=PASSPHRASE, now=NOW, endpoints=endpoints)
        assert raised.value.reason == "trust.unknown_member"

    def test_refuses_a_threshold_above_five(self, tmp_path):
        with pytest.raises(TrustListRejected, match="threshold must be between") as raised:
            init_union(tmp_path, passphrase=PASSPHRASE, now=NOW, endpoints=ENDPOINTS, threshold=6)
        assert raised.value.reason == "trustlist.malformed"

    def test_keys_need_the_passphrase(self, union_dir):
        with pytest.raises(KeyStoreError, match="passphrase") as raised:
            LocalUnion(union_dir, b"wrong").governance_signer("AM")
        assert raised.value.reason == "keys.passphrase"

    def test_a_local_union_signs_with_ec_keys_only(self, tmp_path):
        union = LocalUnion(tmp_path, PASSPHRASE)
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        save_private_key(rsa_key, union.key_dir("AM") / "root.key.pem", PASSPHRASE)
        with pytest.raises(KeyStoreError, match="not an EC key") as raised:
            union.governance_signer("AM")
        assert raised.value.reason == "keys.type"


class TestTheChainOnDisk:
    def test_lists_versions_in_numeric_order_and_ignores_other_files(self, tmp_path):
        union = LocalUnion(tmp_path, PASSPHRASE)
        assert union.versions() == []
        for name in ("v1.json", "v10.json", "v2.json", "v02.json", "proposed.json", "notes"):
            (union.trust_dir).mkdir(exist_ok=True)
            (union.trust_dir / name).write_text("{}")
        assert [p.name for p in union.versions()] == ["v1.json", "v2.json", "v10.json"]

    def test_says_when_there_is_no_union(self, tmp_path):
        with pytest.raises(TrustError, match="run eaeu trust init") as raised:
            LocalUnion(tmp_path, PASSPHRASE).latest()
        assert raised.value.reason == "trust.missing"

    def test_a_broken_file_breaks_the_chain(self, fresh_union):
        (fresh_union.trust_dir / "v2.json").write_text("not json")
        with pytest.raises(TrustListRejected, match="is not JSON") as raised:
            fresh_union.latest()
        assert raised.value.reason == "trustlist.malformed"

    def test_reading_a_missing_file_says_so(self, tmp_path):
        with pytest.raises(TrustError, match="no file at") as raised:
            read_json(tmp_path / "v1.json")
        assert raised.value.reason == "trust.missing"

    def test_an_expired_latest_version_is_refused_when_a_time_is_given(self, union_dir):
        union = LocalUnion(union_dir, PASSPHRASE)
        assert union.latest().version == 1
        with pytest.raises(TrustListRejected, match="expired") as raised:
            union.latest(at=NOW + timedelta(days=365))
        assert raised.value.reason == "trustlist.expired"

    @pytest.mark.parametrize("number", [0, 2])
    def test_a_version_must_exist(self, union_dir, number):
        with pytest.raises(TrustError, match=f"there is no version {number}") as raised:
            LocalUnion(union_dir, PASSPHRASE).version(number)
        assert raised.value.reason == "trust.missing"

    def test_never_overwrites_a_published_version(self, union_dir):
        signed = read_json(union_dir / "trust" / "v1.json")
        with pytest.raises(TrustError, match="exists already") as raised:
            LocalUnion(union_dir, PASSPHRASE).write_version(signed)
        assert raised.value.reason == "trust.exists"


class TestProposeSignPublish:
    def test_proposes_signs_and_publishes_the_next_version(self, fresh_union):
        current, proposed = fresh_union.propose(
            [Join("KZ", "travel", ("issuer", "verifier")), SetThreshold(4)],
            now=NOW + timedelta(days=1),
        )
        assert (current.version, proposed.version, proposed.threshold) == (1, 2, 4)
        assert read_json(fresh_union.proposal_path)["signatures"] == []
        for count, state in enumerate(("AM", "BY", "KZ"), 1):
            assert len(fresh_union.sign_proposal(state)) == count
        accepted, path = publish(fresh_union.data_dir, PASSPHRASE, NOW + timedelta(days=1))
        assert path == fresh_union.trust_dir / "v2.json"
        assert not fresh_union.proposal_path.exists()
        assert accepted.signed_by == ("AM", "BY", "KZ")
        latest = fresh_union.latest(at=NOW + timedelta(days=1))
        assert latest.digest == accepted.digest
        assert latest.participates("KZ", "travel", "issuer")
        assert fresh_union.version(1).version == 1
        assert fresh_union.version(2).threshold == 4

    def test_publishing_needs_the_threshold(self, fresh_union):
        fresh_union.propose([], now=NOW)
        fresh_union.sign_proposal("AM")
        with pytest.raises(TrustListRejected, match="signed by 1 of the 3") as raised:
            fresh_union.publish(now=NOW)
        assert raised.value.reason == "trustlist.threshold"
        assert fresh_union.proposal_path.exists()
        assert [p.name for p in fresh_union.versions()] == ["v1.json"]

    def test_one_proposal_at_a_time(self, fresh_union):
        fresh_union.propose([], now=NOW)
        with pytest.raises(TrustError, match="a proposal is pending") as raised:
            fresh_union.propose([], now=NOW)
        assert raised.value.reason == "trust.exists"

    def test_signing_or_publishing_needs_a_proposal(self, fresh_union):
        with pytest.raises(TrustError, match="no proposal is pending") as raised:
            fresh_union.sign_proposal("AM")
        assert raised.value.reason == "trust.no_proposal"
        with pytest.raises(TrustError, match="no proposal is pending"):
            fresh_union.publish(now=NOW)

    def test_a_state_signs_a_proposal_once(self, fresh_union):
        fresh_union.propose([], now=NOW)
        fresh_union.sign_proposal("AM")
        with pytest.raises(TrustListRejected, match="AM has already signed") as raised:
            fresh_union.sign_proposal("AM")
        assert raised.value.reason == "trustlist.duplicate_signer"

    def test_only_members_sign(self, fresh_union):
        fresh_union.propose([], now=NOW)
        with pytest.raises(TrustError, match="'UZ' is not a member") as raised:
            fresh_union.sign_proposal("UZ")
        assert raised.value.reason == "trust.unknown_member"

    def test_the_proposal_file_is_the_signed_form(self, fresh_union):
        fresh_union.propose([], now=NOW)
        proposal = json.loads(fresh_union.proposal_path.read_text())
        assert set(proposal) == {"payload", "signatures"}
        assert tl.parse(proposal).version == 2
        assert fresh_union.proposal() == proposal
