"""Interoperability: our signatures in other tools, other tools' signatures here.

jwcrypto verifies our JAdES as plain JWS and makes a JWS we validate; ``openssl cms -sign``
makes CAdES/CMS signatures we validate; pyHanko's own validator CLI accepts our PAdES.
Certificates come from our PKI, dated now, because the external tools check them
against the real clock.
"""

import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from jwcrypto import jwk, jws

from eaeu.documents import jades, pades
from eaeu.documents.errors import DocumentUnreadable
from eaeu.documents.keys import CertificateAuthority, CertifiedKey
from eaeu.documents.model import Indication, SubIndication
from eaeu.documents.revocation import GOOD
from eaeu.documents.validation import ValidationService
from eaeu.kernel.clock import SystemClock
from eaeu.testing import memory_union
from eaeu.trust import pki
from eaeu.trust.encoding import b64url
from eaeu.trust.keys import EcSigner, generate_ec_key

NOW = SystemClock().now().replace(microsecond=0)
PAYLOAD = json.dumps({"contract": "employment", "worker": "KG"}).encode()
JADES_HEADERS = {
    "sigT": jws.JWSEHeaderParameter(
        description="Claimed signing time", mustprotect=False, supported=True, check_fn=None
    ),
    "srCms": jws.JWSEHeaderParameter(
        description="Signer commitments", mustprotect=False, supported=True, check_fn=None
    ),
}
# Both are required (openssl is on every Debian machine, pyhanko-cli is in the dev lock):
# a missing tool fails these tests instead of skipping the interoperability they prove.
OPENSSL = shutil.which("openssl") or "openssl"
PYHANKO = Path(sys.executable).with_name("pyhanko")


class AllGood:
    def status(self, *_):
        return GOOD


@pytest.fixture(scope="module")
def union():
    return memory_union(now=NOW - timedelta(hours=1))


@pytest.fixture
def service(union):
    return ValidationService(
        state="RU",
        trust=lambda: union.trust,
        revocation=AllGood(),
        # The real clock: openssl stamps its signatures with the real time, and this module
        # may run long after NOW was read at collection.
        clock=SystemClock(),
        signer=union.node_signer("RU"),
    )


def issue(union, state="KG", key=None):
    key = key or generate_ec_key()
    cert = CertificateAuthority(union.trust.member(state).roots[0], union.governance[state]).issue(
        key.public_key(),
        common_name="Айгуль Асанова",
        identifier=f"{state}-p1",
        profile=pki.PERSON,
        now=NOW - timedelta(minutes=30),
    )
    return key, CertifiedKey(EcSigner(key), cert)


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


class TestJwcrypto:
    def test_jwcrypto_verifies_each_of_our_signatures(self, union):
        _, ru = issue(union, "RU")
        _, kg = issue(union, "KG")
        document = jades.sign(PAYLOAD, ru, signing_time=NOW, commitment="proof-of-approval")
        document = jades.add_signature(document, kg, signing_time=NOW)
        for entry, key in zip(document["signatures"], (ru, kg), strict=True):
            flattened = {"payload": document["payload"], **entry}
            token = jws.JWS(header_registry=JADES_HEADERS)
            token.deserialize(json.dumps(flattened))
            public = jwk.JWK.from_pyca(key.certificate.public_key())
            token.verify(public)
            assert token.payload == PAYLOAD

    def test_jwcrypto_refuses_ours_with_another_key(self, union):
        _, key = issue(union)
        _, other = issue(union)
        token = jws.JWS(header_registry=JADES_HEADERS)
        token.deserialize(jades.sign_compact(PAYLOAD, key, signing_time=NOW))
        with pytest.raises(jws.InvalidJWSSignature):
            token.verify(jwk.JWK.from_pyca(other.certificate.public_key()))

    def test_jws_made_by_jwcrypto_validates_here(self, union, service):
        private, key = issue(union)
        header = {
            "alg": "ES256",
            "x5c": list(key.x5c),
            "x5t#S256": b64url(key.certificate.fingerprint(hashes.SHA256())),
            "sigT": jades.signing_time_text(NOW),
            "crit": ["sigT"],
        }
        token = jws.JWS(PAYLOAD, header_registry=JADES_HEADERS)
        token.add_signature(jwk.JWK.from_pyca(private), None, json.dumps(header))
        report = service.validate(token.serialize().encode())
        assert report.indication is Indication.TOTAL_PASSED
        assert report.signatures[0].signer.state == "KG"
        compact = jws.JWS(PAYLOAD, header_registry=JADES_HEADERS)
        compact.add_signature(jwk.JWK.from_pyca(private), None, json.dumps(header))
        assert service.validate(compact.serialize(compact=True).encode()).indication is (
            Indication.TOTAL_PASSED
        )


class TestOpensslCms:
    @pytest.fixture
    def signer_files(self, union, tmp_path):
        private, key = issue(union)
        key_path, cert_path = tmp_path / "key.pem", tmp_path / "cert.pem"
        key_path.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        cert_path.write_bytes(pem(key.certificate))
        data = tmp_path / "contract.txt"
        data.write_bytes(b"Employment contract\nSalary: 1000\n")
        return key_path, cert_path, data

    def sign(self, files, out, *extra):
        key_path, cert_path, data = files
        subprocess.run(
            [
                *(OPENSSL, "cms", "-sign", "-binary", "-in", str(data), "-signer", str(cert_path)),
                *("-inkey", str(key_path), "-outform", "DER", "-out", str(out), *extra),
            ],
            check=True,
            capture_output=True,
        )
        return out.read_bytes()

    def test_detached_signature_validates_with_its_file(self, signer_files, tmp_path, service):
        signature = self.sign(signer_files, tmp_path / "contract.p7s")
        report = service.validate(signature, detached=signer_files[2].read_bytes())
        assert report.indication is Indication.TOTAL_PASSED
        assert report.document_kind == "cms"
        assert report.signatures[0].format == "CMS"
        assert report.signatures[0].signing_time is not None

    def test_changed_file_is_a_hash_failure(self, signer_files, tmp_path, service):
        signature = self.sign(signer_files, tmp_path / "contract.p7s")
        changed = signer_files[2].read_bytes().replace(b"1000", b"9000")
        report = service.validate(signature, detached=changed)
        assert report.sub_indication is SubIndication.HASH_FAILURE

    def test_attached_cades_signature_validates(self, signer_files, tmp_path, service):
        signature = self.sign(signer_files, tmp_path / "contract.p7m", "-nodetach", "-cades")
        report = service.validate(signature)
        assert report.indication is Indication.TOTAL_PASSED
        assert report.signatures[0].format == "CAdES-B-B"

    def test_pem_signature_validates(self, signer_files, tmp_path, service):
        key_path, cert_path, data = signer_files
        out = tmp_path / "contract.pem"
        subprocess.run(
            [
                *(OPENSSL, "cms", "-sign", "-binary", "-in", str(data), "-signer", str(cert_path)),
                *("-inkey", str(key_path), "-outform", "PEM", "-out", str(out)),
            ],
            check=True,
            capture_output=True,
        )
        report = service.validate(out.read_bytes(), detached=data.read_bytes())
        assert report.indication is Indication.TOTAL_PASSED

    def test_detached_signature_without_its_file_is_refused(self, signer_files, tmp_path, service):
        signature = self.sign(signer_files, tmp_path / "contract.p7s")
        with pytest.raises(DocumentUnreadable, match="detached") as caught:
            service.validate(signature)
        assert caught.value.reason == "documents.detached_missing"


def test_pyhanko_validator_accepts_our_pades(union, tmp_path):
    _, employer = issue(union, "RU")
    _, worker = issue(union, "KG")
    pdf = pades.simple_pdf("Employment contract", ["Salary: 1000 EUR"])
    signed = pades.sign(pdf, employer, signing_time=NOW, reason="Employer")
    signed = pades.sign(signed, worker, signing_time=NOW, reason="Worker")
    (tmp_path / "contract.pdf").write_bytes(signed)
    (tmp_path / "ru.pem").write_bytes(pem(union.trust.member("RU").roots[0]))
    (tmp_path / "kg.pem").write_bytes(pem(union.trust.member("KG").roots[0]))
    result = subprocess.run(
        [
            *(str(PYHANKO), "sign", "validate", "--trust", str(tmp_path / "ru.pem")),
            *("--trust", str(tmp_path / "kg.pem"), "--trust-replace", "--no-revocation-check"),
            str(tmp_path / "contract.pdf"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert all(":INTACT:TRUSTED" in line for line in lines)
