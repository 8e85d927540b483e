"""The EU DCC conformance corpus (``dgc-testdata``) as pytest parameters.

Each JSON file under ``tests/data/eu-dcc/testdata`` is a test case: an ``HC1:`` certificate
at every stage of its encoding, the document signer certificate, a validation clock and
``EXPECTEDRESULTS`` flags (absent: stage not tested; true: must succeed; false: must fail).
Tests that ask for the ``dcc_flag`` fixture run once per case and present flag.

The corpus is read as it is published, quirks included: files are found recursively (the
PL and PT cases sit one folder deeper), read with or without a byte-order mark, files
without ``EXPECTEDRESULTS`` are not cases, a naive ``VALIDATIONCLOCK`` is UTC, and the
misspelt keys some contributors used are read under their intended names
(:data:`KEY_ALIASES`). Cases whose published expectation is known to be wrong are listed,
with the reason, in ``tests/data/eu-dcc/known_issues.csv``; they are strict xfails, so a
fix of the data (or a regression of ours that happens to agree with it) is noticed.
"""

from __future__ import annotations

import base64
import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

DATA = Path(__file__).resolve().parents[1] / "data" / "eu-dcc"
CORPUS = DATA / "testdata"
KNOWN_ISSUES = DATA / "known_issues.csv"

#: The flags a case may carry, in pipeline order.
FLAGS = (
    "EXPECTEDPICTUREDECODE",
    "EXPECTEDUNPREFIX",
    "EXPECTEDB45DECODE",
    "EXPECTEDCOMPRESSION",
    "EXPECTEDVERIFY",
    "EXPECTEDDECODE",
    "EXPECTEDVALIDJSON",
    "EXPECTEDSCHEMAVALIDATION",
    "EXPECTEDEXPIRATIONCHECK",
    "EXPECTEDKEYUSAGE",
    "EXPECTEDVALIDOBJECT",
    "EXPECTEDENCODE",
)
#: Misspelt keys in the corpus → the key meant.
KEY_ALIASES = {"_2DCODE": "2DCODE", "validationClockInstant": "VALIDATIONCLOCK"}
#: Keys in EXPECTEDRESULTS that are not flags of the format and are not tested:
#: ``EXPTECTEDEXPIRED`` (BG) is defined nowhere, and whether "true" means "expired" or
#: "passes the expiry check" cannot be told (its BG/4 certificate predates its DSC).
IGNORED_FLAGS = frozenset({"EXPTECTEDEXPIRED"})


@dataclass(frozen=True)
class DccCase:
    """One corpus file, read.

    Attributes:
        name: the path below the corpus without ``.json`` (``common/2DCode/raw/CO22``).
        country: the first folder (``common`` or an ISO 3166 code).
        fields: the raw fields (``PREFIX``, ``BASE45``, ``COMPRESSED``, ``COSE``, ``CBOR``,
            ``JSON``, ``2DCODE``) that are present.
        expected: the flags.
        certificate: the DSC.
        clock: the validation clock (UTC).
        extra_flags: keys of ``EXPECTEDRESULTS`` that are not flags.
    """

    name: str
    country: str
    fields: dict[str, Any]
    expected: dict[str, bool]
    certificate: x509.Certificate
    clock: datetime
    extra_flags: tuple[str, ...]


def _flags(results: dict[str, Any]) -> tuple[dict[str, bool], list[str]]:
    flags: dict[str, bool] = {}
    extra: list[str] = []
    for key, value in results.items():
        if isinstance(value, dict):
            # ES 1001-1003 nest a second EXPECTEDRESULTS inside the first.
            inner, inner_extra = _flags(value)
            flags = {**inner, **flags}
            extra += inner_extra
        elif key in FLAGS and isinstance(value, bool):
            flags[key] = value
        else:
            extra.append(key)
    return flags, extra


def _clock(text: str) -> datetime:
    clock = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return clock.replace(tzinfo=UTC) if clock.tzinfo is None else clock.astimezone(UTC)


def read_case(path: Path) -> DccCase | None:
    """Read one corpus file; ``None`` if it is not a test case."""
    document = json.loads(path.read_bytes().decode("utf-8-sig"))
    if not isinstance(document, dict) or "EXPECTEDRESULTS" not in document:
        return None
    context = {KEY_ALIASES.get(k, k): v for k, v in document["TESTCTX"].items()}
    fields = {KEY_ALIASES.get(k, k): v for k, v in document.items()}
    flags, extra = _flags(document["EXPECTEDRESULTS"])
    name = path.relative_to(CORPUS).with_suffix("").as_posix()
    return DccCase(
        name=name,
        country=name.split("/", 1)[0],
        fields={k: v for k, v in fields.items() if k not in ("TESTCTX", "EXPECTEDRESULTS")},
        expected=flags,
        certificate=x509.load_der_x509_certificate(base64.b64decode(context["CERTIFICATE"])),
        clock=_clock(context["VALIDATIONCLOCK"]),
        extra_flags=tuple(extra),
    )


@cache
def cases() -> tuple[DccCase, ...]:
    """Every test case of the corpus, in path order."""
    found = (read_case(path) for path in sorted(CORPUS.rglob("*.json")))
    return tuple(case for case in found if case is not None)


@cache
def known_issues() -> dict[tuple[str, str], str]:
    """``(case name, flag)`` → why the published expectation is wrong."""
    with KNOWN_ISSUES.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {(row["case"], row["flag"]): row["reason"] for row in rows}


@dataclass(frozen=True)
class Corpus:
    """The corpus as the tests see it (test modules do not import conftest)."""

    cases: tuple[DccCase, ...]
    known_issues: dict[tuple[str, str], str]
    flags: tuple[str, ...]
    ignored_flags: frozenset[str]
    inputs: dict[str, tuple[str, ...]]
    verifier_flags: frozenset[str]
    untestable: list[tuple[str, str]]


@pytest.fixture(scope="session")
def dcc_corpus() -> Corpus:
    """The whole corpus with its known issues."""
    return Corpus(
        cases(), known_issues(), FLAGS, IGNORED_FLAGS, INPUTS, VERIFIER_FLAGS, untestable()
    )


#: The raw fields a flag's check reads that cannot be derived from ``PREFIX``. The corpus
#: README: "if some of the EXPECTEDRESULT values are not present, the steps in the test run
#: can be skipped" — a case that sets a flag without its input tests nothing there.
INPUTS: dict[str, tuple[str, ...]] = {
    "EXPECTEDPICTUREDECODE": ("2DCODE",),
    "EXPECTEDVALIDJSON": ("JSON",),
    "EXPECTEDVALIDOBJECT": ("JSON",),
    "EXPECTEDENCODE": ("CBOR", "JSON"),
}
#: Flags a verifier is responsible for (the end-to-end mode checks these).
VERIFIER_FLAGS = frozenset(
    {
        "EXPECTEDUNPREFIX",
        "EXPECTEDB45DECODE",
        "EXPECTEDCOMPRESSION",
        "EXPECTEDVERIFY",
        "EXPECTEDDECODE",
        "EXPECTEDSCHEMAVALIDATION",
        "EXPECTEDEXPIRATIONCHECK",
        "EXPECTEDKEYUSAGE",
    }
)


def has_inputs(case: Any, flag: str) -> bool:
    """Whether ``case`` carries every raw field ``flag``'s check needs."""
    return all(case.fields.get(name) is not None for name in INPUTS.get(flag, ()))


def untestable() -> list[tuple[str, str]]:
    """The (case, flag) pairs whose flag is set without the input it needs."""
    return [
        (case.name, flag)
        for case in cases()
        for flag in FLAGS
        if flag in case.expected and not has_inputs(case, flag)
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``dcc_flag`` over every testable (case, flag), ``dcc_case`` over cases.

    Pairs without their input are not generated (``test_untestable_pairs_are_few_and_known``
    lists them), and only cases that assert a verifier stage run end to end.
    """
    if "dcc_flag" in metafunc.fixturenames:
        issues = known_issues()
        params = []
        for case in cases():
            for flag in FLAGS:
                if flag not in case.expected or not has_inputs(case, flag):
                    continue
                reason = issues.get((case.name, flag))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                params.append(pytest.param((case, flag), id=f"{case.name}-{flag}", marks=marks))
        metafunc.parametrize("dcc_flag", params)
    if "dcc_case" in metafunc.fixturenames:
        verifying = [c for c in cases() if VERIFIER_FLAGS & set(c.expected)]
        metafunc.parametrize("dcc_case", [pytest.param(c, id=c.name) for c in verifying])
