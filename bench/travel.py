"""Travel certificates: full offline verification against a bare ES256 verify and pycose.

In one process, over the same certificates (DCC test certificates issued by a union made
in memory, each with its own holder, signed by the Belarusian health document signer):

* ``verify_us``: :func:`eaeu.services.travel.service.verify_certificate` — prefix, Base45,
  zlib, COSE, the ES256 signature, the CWT claims, the DCC schema, expiry and the
  signer's validity and key usage, the hard invariants, revocation (an in-memory list)
  and the CertLogic entry rules of Russia with the EU value sets;
* ``bare_es256_verify_us``: ``cryptography``'s ECDSA P-256 / SHA-256 verify of the same
  signature over the same ``Sig_structure`` bytes (with the r‖s to DER conversion every
  COSE verifier needs) — the floor any verifier stands on;
* ``pycose_verify_us``: the same checks a minimal pycose-based verifier makes — Base45
  (ours: no base45 package is installed), ``zlib.decompress``, ``Sign1Message.decode``
  (its body: pycose 1.1's ``decode`` refuses the tuple and frozendict cbor2 5.6 makes
  of a tagged array),
  the key from the DSC, ``verify_signature``, ``cbor2.loads`` of the claims and the expiry;
  no schema, no rules, no revocation;
* ``issue_per_s``: certificates issued (payload, schema check, ES256 signature, zlib,
  Base45) per second on one core.

The measurements alternate (ours, bare, pycose, …) so that drift of the machine hits all.
``ratio_to_bare`` = verify / bare (goal ≤ 1.3); ``speedup_vs_pycose`` = pycose / verify
(goal ≥ 3).

Writes ``bench/results/travel.json``.
"""

from __future__ import annotations

import os
import time
import zlib
from datetime import timedelta

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pycose.keys import EC2Key
from pycose.messages import Sign1Message

from _common import median, table, write_results
from eaeu.kernel.log import configure_logging
from eaeu.services.travel.base45 import b45decode
from eaeu.services.travel.hcert import Holder, LabResult, TestType, decode, issue_test_certificate
from eaeu.services.travel.rules import load_entry_rules
from eaeu.services.travel.service import Sources, verify_certificate
from eaeu.services.travel.trust import material
from eaeu.services.travel.uvci import make_uvci
from eaeu.services.travel.value_sets import default_value_sets
from eaeu.testing import FrozenClock, memory_union

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3000"))
CERTIFICATES = 50
BATCH = 10
WARMUP = 300
ISSUE_SECONDS = 2.0
START = FrozenClock().now()
NOW = START + timedelta(days=10)
_ECDSA = ec.ECDSA(hashes.SHA256())


def setup():
    """Issue the certificates and build the verifier's sources."""
    union = memory_union(now=START)
    signer, dsc = union.health_signer("BY")

    def issue(number: int) -> str:
        return issue_test_certificate(
            Holder(["Иванов", "Петров", "Сидоров", "Козлова"][number % 4], "Иван", "1990-05-17"),
            LabResult(
                TestType.NAAT,
                NOW - timedelta(hours=5),
                detected=False,
                country="BY",
                issuer="Ministry of Health of the Republic of Belarus",
                centre="Minsk City Centre",
            ),
            uvci=make_uvci("BY", f"{number:010d}BENCH"),
            signer=signer,
            certificate=dsc,
            issuer_country="BY",
            issued_at=NOW - timedelta(hours=1),
        ).text

    texts = [issue(number) for number in range(CERTIFICATES)]
    revoked = frozenset({b"\x00" * 16})
    sources = Sources(
        material(union.trust),
        lambda keys: keys.uci[:16] in revoked,
        load_entry_rules(),
        default_value_sets(),
    )
    return texts, sources, dsc, issue


def ours(texts, sources):
    def run(i: int) -> None:
        result = verify_certificate(texts[i], sources=sources, at=NOW, arrival="RU")
        if not result.valid:  # pragma: no cover - a broken benchmark must not time nothing
            raise SystemExit(f"certificate {i} did not verify: {result.reason}")

    return run


def bare(texts, dsc):
    key = dsc.public_key()
    prepared = []
    for text in texts:
        cose = decode(text)
        sig = cose.signature
        prepared.append((cose.to_be_signed(), sig))

    def run(i: int) -> None:
        data, sig = prepared[i]
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        key.verify(der, data, _ECDSA)

    return run


def pycose(texts, dsc):
    key = EC2Key._from_cryptography_key(dsc.public_key())  # noqa: SLF001 - pycose's own converter
    now = NOW.timestamp()

    def run(i: int) -> None:
        raw = zlib.decompress(b45decode(texts[i][4:]))
        # Sign1Message.decode itself refuses the tagged array that cbor2 5.6+ decodes as a
        # tuple; this is the rest of what it does.
        protected, unprotected, payload, signature = cbor2.loads(raw).value
        message = Sign1Message.from_cose_obj(
            [protected, dict(unprotected), payload, signature], allow_unknown_attributes=True
        )
        message.key = key
        if not message.verify_signature():
            raise SystemExit("pycose: bad signature")
        claims = cbor2.loads(message.payload)
        if not claims[6] <= now <= claims[4]:
            raise SystemExit("pycose: expired")

    return run


def timed(run, rounds: int) -> list[float]:
    """Microseconds per call, one sample per batch of BATCH calls over the certificates."""
    samples = []
    for start in range(0, rounds, BATCH):
        began = time.perf_counter()
        for i in range(start, start + BATCH):
            run(i % CERTIFICATES)
        samples.append((time.perf_counter() - began) / BATCH * 1e6)
    return samples


def main() -> None:
    configure_logging("WARNING")
    texts, sources, dsc, issue = setup()
    runs = {"ours": ours(texts, sources), "bare": bare(texts, dsc), "pycose": pycose(texts, dsc)}
    for run in runs.values():
        timed(run, WARMUP)
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(10):
        for name, run in runs.items():
            samples[name].extend(timed(run, ROUNDS // 10))
    verify_us = median(samples["ours"])
    bare_us = median(samples["bare"])
    pycose_us = median(samples["pycose"])

    issued = 0
    began = time.perf_counter()
    while time.perf_counter() - began < ISSUE_SECONDS:
        issue(issued)
        issued += 1
    issue_per_s = issued / (time.perf_counter() - began)

    results = {
        "verify_us": round(verify_us, 2),
        "bare_es256_verify_us": round(bare_us, 2),
        "ratio_to_bare": round(verify_us / bare_us, 3),
        "pycose_verify_us": round(pycose_us, 2),
        "speedup_vs_pycose": round(pycose_us / verify_us, 2),
        "issue_per_s": round(issue_per_s, 1),
        "certificates": CERTIFICATES,
        "rounds": ROUNDS,
    }
    print(
        table(
            [
                ["measure", "µs per certificate", "vs bare ES256"],
                ["bare ES256 verify", f"{bare_us:.1f}", "1.00"],
                ["full verify (ours)", f"{verify_us:.1f}", f"{verify_us / bare_us:.2f}"],
                ["pycose verifier", f"{pycose_us:.1f}", f"{pycose_us / bare_us:.2f}"],
            ]
        )
    )
    print(f"speed-up over pycose: {pycose_us / verify_us:.2f}x (goal >= 3)")
    print(f"ratio to bare ES256:  {verify_us / bare_us:.3f} (goal <= 1.3)")
    print(f"issued per second on one core: {issue_per_s:.0f}")
    print(f"wrote {write_results('travel', results)}")


if __name__ == "__main__":
    main()
