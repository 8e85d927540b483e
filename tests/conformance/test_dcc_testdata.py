"""Our DCC decoder and verifier against the EU DCC conformance corpus (``dgc-testdata``).

Two modes, as the corpus README describes them:

* per flag (``test_flag``): each present ``EXPECTED*`` flag runs its stage on the raw field
  the README names (``BASE45`` → ``COMPRESSED`` → ``COSE`` → ``CBOR``/``JSON``), deriving a
  missing input field from ``PREFIX``, and compares success with the flag;
* end to end (``test_end_to_end``): ``verify(PREFIX)`` — what a border officer's scanner
  does — must pass every stage a true flag names and reject when a flag is false.

The verifier runs with the case's clock, a trust store holding only the case's DSC and no
clock skew (the corpus expects the exact ``iat <= clock <= exp`` comparison).
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import cbor2

from eaeu.services.travel import schema
from eaeu.services.travel.base45 import b45decode
from eaeu.services.travel.errors import HcertError, QrError
from eaeu.services.travel.hcert import (
    CLAIM_HCERT,
    HCERT_DCC,
    decode_claims,
    encode,
    inflate,
    kid_of,
    parse_cose,
    unprefix,
)
from eaeu.services.travel.qr import read_qr
from eaeu.services.travel.verifier import VerificationResult, verify

#: (case, flag) pairs of the corpus whose flag is set without the raw field it needs: IE
#: sets EXPECTEDPICTUREDECODE without a 2DCODE image, PT 1.0.0 sets EXPECTEDENCODE without
#: CBOR. Nothing exists to run those checks on, so they are not generated.
UNTESTABLE = 12

#: Flags a verifier is responsible for → the verifier stages they name.
VERIFIER_STAGES = {
    "EXPECTEDUNPREFIX": ("prefix",),
    "EXPECTEDB45DECODE": ("base45",),
    "EXPECTEDCOMPRESSION": ("zlib",),
    "EXPECTEDVERIFY": ("cose", "signature"),
    "EXPECTEDDECODE": ("cbor",),
    "EXPECTEDSCHEMAVALIDATION": ("schema",),
    "EXPECTEDEXPIRATIONCHECK": ("expiry",),
    "EXPECTEDKEYUSAGE": ("key_usage",),
}


def _verify(case: Any, text: str) -> VerificationResult:
    return verify(
        text,
        certificates={kid_of(case.certificate): [case.certificate]},
        at=case.clock,
        skew=timedelta(0),
    )


def _field(case: Any, name: str) -> bytes | None:
    value = case.fields.get(name)
    return bytes.fromhex(value) if isinstance(value, str) else None


def _compressed(case: Any) -> bytes:
    return _field(case, "COMPRESSED") or b45decode(unprefix(case.fields["PREFIX"]))


def _cose(case: Any) -> bytes:
    return _field(case, "COSE") or inflate(_compressed(case))


def _comparable(value: Any) -> Any:
    """Normalise a DCC for comparison: JSON and CBOR differ in date-time spelling only."""
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_comparable(item) for item in value]
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str) and len(value) > 10 and value[4:5] == "-" and "T" in value:
        try:
            moment = datetime.fromisoformat(value.upper())
        except ValueError:
            return value
        return moment.timestamp() if moment.tzinfo else value
    return value


def _cbor_dcc(raw: bytes) -> Any:
    """The DCC in a ``CBOR`` field: some files hold the DCC, some the whole claims map."""
    value = cbor2.loads(raw)
    if isinstance(value, dict) and CLAIM_HCERT in value:
        value = value[CLAIM_HCERT][HCERT_DCC]
    return value


def _same(left: Any, right: Any) -> bool:
    return bool(_comparable(left) == _comparable(right))


# --- one check per flag: True if the stage succeeds on its input ----------------------------


def _picture(case: Any) -> bool:
    try:
        return read_qr(base64.b64decode(case.fields["2DCODE"])).text == case.fields["PREFIX"]
    except QrError:
        return False


def _unprefix(case: Any) -> bool:
    try:
        body = unprefix(case.fields["PREFIX"])
    except HcertError:
        return False
    return "BASE45" not in case.fields or body == case.fields["BASE45"]


def _base45(case: Any) -> bool:
    text = case.fields.get("BASE45") or case.fields["PREFIX"][4:]
    try:
        compressed = b45decode(text)
    except HcertError:
        return False
    expected = _field(case, "COMPRESSED")
    return expected is None or compressed == expected


def _compression(case: Any) -> bool:
    try:
        cose = inflate(_compressed(case))
    except HcertError:
        return False
    expected = _field(case, "COSE")
    return expected is None or cose == expected


def _signature(case: Any) -> bool:
    result = _verify(case, encode(_cose(case)))
    return result.stages["cose"] == result.stages["signature"] == "pass"


def _decode(case: Any) -> bool:
    try:
        dcc = decode_claims(parse_cose(_cose(case)).payload).dcc
        cbor = _field(case, "CBOR")
        from_cbor = dcc if cbor is None else _cbor_dcc(cbor)
    except (HcertError, cbor2.CBORDecodeError, KeyError, TypeError):
        return False
    json_dcc = case.fields.get("JSON", dcc)
    return _same(dcc, from_cbor) and _same(from_cbor, json_dcc)


def _valid_json(case: Any) -> bool:
    try:
        cose = parse_cose(inflate(b45decode(unprefix(case.fields["PREFIX"]))))
        dcc = decode_claims(cose.payload).dcc
    except HcertError:
        return False
    return _same(dcc, case.fields["JSON"])


def _stage(stage: str) -> Callable[[Any], bool]:
    def check(case: Any) -> bool:
        outcome = _verify(case, encode(_cose(case))).stages[stage]
        assert outcome != "skipped", f"an earlier stage failed, so {stage} was not reached"
        return outcome == "pass"

    return check


def _valid_object(case: Any) -> bool:
    try:
        schema.validate(case.fields["JSON"])
    except HcertError:
        return False
    return True


def _encode(case: Any) -> bool:
    cbor = bytes.fromhex(case.fields["CBOR"])
    reencoded = cbor2.loads(cbor2.dumps(case.fields["JSON"]))
    return _same(reencoded, _cbor_dcc(cbor))


CHECKS: dict[str, Callable[[Any], bool]] = {
    "EXPECTEDPICTUREDECODE": _picture,
    "EXPECTEDUNPREFIX": _unprefix,
    "EXPECTEDB45DECODE": _base45,
    "EXPECTEDCOMPRESSION": _compression,
    "EXPECTEDVERIFY": _signature,
    "EXPECTEDDECODE": _decode,
    "EXPECTEDVALIDJSON": _valid_json,
    "EXPECTEDSCHEMAVALIDATION": _stage("schema"),
    "EXPECTEDEXPIRATIONCHECK": _stage("expiry"),
    "EXPECTEDKEYUSAGE": _stage("key_usage"),
    "EXPECTEDVALIDOBJECT": _valid_object,
    "EXPECTEDENCODE": _encode,
}


def test_flag(dcc_flag: tuple[Any, str]) -> None:
    case, flag = dcc_flag
    expected = case.expected[flag]
    assert CHECKS[flag](case) is expected, f"{flag} should be {expected}"


def test_end_to_end(dcc_case: Any, dcc_corpus: Any) -> None:
    flags = {f: v for f, v in dcc_case.expected.items() if f in VERIFIER_STAGES}
    assert flags, "only cases that assert a verifier stage run end to end"
    issues = dcc_corpus.known_issues
    flags = {f: v for f, v in flags.items() if (dcc_case.name, f) not in issues}
    result = _verify(dcc_case, dcc_case.fields["PREFIX"])
    for flag, expected in flags.items():
        if expected:
            for stage in VERIFIER_STAGES[flag]:
                assert result.stages[stage] == "pass", f"{flag}: {stage} is {result.stages[stage]}"
        else:
            assert not result.valid, f"{flag} is false but the certificate verifies"


def test_corpus_is_complete(dcc_corpus: Any) -> None:
    found = dcc_corpus.cases
    assert len(found) == 187
    assert {case.country for case in found} >= {"common", "AT", "DE", "PT", "SE"}
    assert all(case.expected for case in found)


def test_every_key_of_the_corpus_is_understood(dcc_corpus: Any) -> None:
    unknown = {key for case in dcc_corpus.cases for key in case.extra_flags}
    assert unknown - dcc_corpus.ignored_flags == set()
    assert set(CHECKS) == set(dcc_corpus.flags)


def test_untestable_pairs_are_few_and_known(dcc_corpus: Any) -> None:
    # Flags set without the field their check reads: nothing to test there (README).
    missing = dcc_corpus.untestable
    assert len(missing) == UNTESTABLE, missing
    assert {flag for _, flag in missing} <= set(dcc_corpus.inputs)


def test_the_verifier_flags_are_the_verifier_stages(dcc_corpus: Any) -> None:
    assert set(VERIFIER_STAGES) == dcc_corpus.verifier_flags


def test_known_issues_name_existing_cases_and_flags(dcc_corpus: Any) -> None:
    names = {case.name: case for case in dcc_corpus.cases}
    for name, flag in dcc_corpus.known_issues:
        assert name in names, name
        assert flag in names[name].expected, (name, flag)


def test_the_compressed_field_is_zlib_for_every_valid_case(dcc_corpus: Any) -> None:
    # A sanity check of the runner's inputs: zlib itself agrees with our inflate().
    for case in dcc_corpus.cases:
        raw = _field(case, "COMPRESSED")
        if raw is not None and case.expected.get("EXPECTEDCOMPRESSION"):
            assert inflate(raw) == zlib.decompress(raw)
