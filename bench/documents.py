"""Document signatures: JAdES B-B signing and validation against bare ES256, and receipts.

In one process, on one P-256 key with a certificate from a union made in memory:

* ``bare_sign_us`` / ``bare_verify_us``: ``cryptography`` ECDSA P-256 with SHA-256 over the
  document's bytes — the floor any signature format stands on;
* ``jades_sign_us``: :func:`eaeu.documents.jades.sign` — protected header with ``x5c``,
  ``x5t#S256``, ``sigT`` and ``crit``, JWS JSON serialisation;
* ``jades_verify_us``: :func:`eaeu.documents.jades.verify` on the signed bytes — parsing
  the JWS, the header rules of TS 119 182-1, the certificate binding (``x5t#S256``) and
  the signature, as bare verify checks a signature;
* ``validate_us``: :meth:`ValidationService.validate` — all of that plus the chain to the
  state root in the trust list (cached per certificate), signing time, revocation (the
  node's own table, in memory here) and the TS 119 102-2 report;
* ``receipts_per_s``: validations with a signed receipt (RFC 3029 semantics) per second.

The measurements alternate (bare, JAdES, bare, …) so that drift of the machine hits both.
``sign_ratio``, ``verify_ratio`` and ``validate_ratio`` = JAdES / bare median (goal ≤ 1.5
for sign and verify).

Writes ``bench/results/documents.json``.
"""

from __future__ import annotations

import json
import os
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from _common import median, table, write_results
from eaeu.documents import jades
from eaeu.documents.keys import CertificateAuthority, CertifiedKey
from eaeu.documents.revocation import GOOD
from eaeu.documents.validation import ValidationService
from eaeu.kernel.log import configure_logging
from eaeu.testing import FrozenClock, memory_union
from eaeu.trust import pki
from eaeu.trust.keys import EcSigner, generate_ec_key

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3000"))
WARMUP = 200
BATCH = 20
RECEIPT_SECONDS = 3.0
DOCUMENT = json.dumps(
    {
        "type": "employment-contract",
        "employer": {"name": "OOO Romashka", "state": "RU", "registration": "1027700000000"},
        "worker": {"name": "Aigul Asanova", "state": "KG", "id": "KG-0001"},
        "position": "Engineer",
        "salary": {"amount": 150000, "currency": "RUB"},
        "start": "2026-02-01",
        "term_months": 12,
    }
).encode()


class InMemoryRevocations:
    """The node's own revocation table, held in memory: nothing is revoked."""

    def status(self, *_: object):
        return GOOD


def per_call_us(fn, rounds: int) -> list[float]:
    """Time ``fn`` in batches; return microseconds per call for each batch."""
    samples = []
    for _ in range(rounds // BATCH):
        started = time.perf_counter()
        for _ in range(BATCH):
            fn()
        samples.append((time.perf_counter() - started) / BATCH * 1e6)
    return samples


def setup():
    """A KG person's key and certificate, RU's validation service, a signed document."""
    clock = FrozenClock()
    union = memory_union(now=clock.now())
    clock.advance(days=1)
    private = generate_ec_key()
    authority = CertificateAuthority(union.trust.member("KG").roots[0], union.governance["KG"])
    cert = authority.issue(
        private.public_key(),
        common_name="Aigul Asanova",
        identifier="KG-0001",
        profile=pki.PERSON,
        now=clock.now(),
    )
    key = CertifiedKey(EcSigner(private), cert)
    service = ValidationService(
        state="RU",
        trust=lambda: union.trust,
        revocation=InMemoryRevocations(),
        clock=clock,
        signer=union.node_signer("RU"),
    )
    signed = json.dumps(jades.sign(DOCUMENT, key, signing_time=clock.now())).encode()
    return clock, private, key, service, signed


def operations(clock, private, key, service, signed):
    """The timed operations, by result key."""
    public = private.public_key()
    algorithm = ec.ECDSA(hashes.SHA256())
    bare_signature = private.sign(DOCUMENT, algorithm)

    def jades_verify():
        if not jades.verify(signed)[1][0].valid:
            msg = "the benchmark document does not verify"
            raise RuntimeError(msg)

    def validate():
        if not service.validate(signed).signatures[0].passed:
            msg = "the benchmark document does not validate"
            raise RuntimeError(msg)

    return {
        "bare_sign": lambda: private.sign(DOCUMENT, algorithm),
        "jades_sign": lambda: jades.sign(DOCUMENT, key, signing_time=clock.now()),
        "bare_verify": lambda: public.verify(bare_signature, DOCUMENT, algorithm),
        "jades_verify": jades_verify,
        "validate": validate,
    }


def receipts_per_second(service, signed) -> float:
    receipts = 0
    deadline = time.perf_counter() + RECEIPT_SECONDS
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        service.check(signed)
        receipts += 1
    return receipts / (time.perf_counter() - started)


def main() -> int:
    configure_logging("WARNING")  # a benchmark measures work, not log lines
    clock, private, key, service, signed = setup()
    functions = operations(clock, private, key, service, signed)
    for fn in functions.values():
        per_call_us(fn, WARMUP)
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(ROUNDS // (BATCH * 10)):
        for name, fn in functions.items():
            samples[name] += per_call_us(fn, BATCH * 10)
    results: dict[str, float | int | str] = {
        name + "_us": round(median(values), 2) for name, values in samples.items()
    }
    results["sign_ratio"] = round(results["jades_sign_us"] / results["bare_sign_us"], 3)  # type: ignore[operator]
    results["verify_ratio"] = round(results["jades_verify_us"] / results["bare_verify_us"], 3)  # type: ignore[operator]
    results["validate_ratio"] = round(results["validate_us"] / results["bare_verify_us"], 3)  # type: ignore[operator]
    results["receipts_per_s"] = round(receipts_per_second(service, signed), 1)
    results["rounds"] = ROUNDS
    results["document_bytes"] = len(DOCUMENT)
    print(
        table(
            [
                ("", "bare ES256 µs", "JAdES B-B µs", "ratio"),
                (
                    "sign",
                    f"{results['bare_sign_us']}",
                    f"{results['jades_sign_us']}",
                    f"{results['sign_ratio']}",
                ),
                (
                    "verify",
                    f"{results['bare_verify_us']}",
                    f"{results['jades_verify_us']}",
                    f"{results['verify_ratio']}",
                ),
                (
                    "validate (+ chain, time, revocation, report)",
                    f"{results['bare_verify_us']}",
                    f"{results['validate_us']}",
                    f"{results['validate_ratio']}",
                ),
            ]
        )
    )
    print("goal: sign and verify ratios <= 1.5")
    print(f"receipts_per_s {results['receipts_per_s']} (validation + signed receipt, one core)")
    path = write_results("documents", results)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
