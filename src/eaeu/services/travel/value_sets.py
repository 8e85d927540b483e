"""EU DCC value sets, compressed into the ``valueSets`` parameter of business rules.

A value-set document (``ehn-dcc-development/eu-dcc-valuesets``, gateway ``/valuesets``) is
``{"valueSetId": …, "valueSetDate": …, "valueSetValues": {code: {display, lang, active,
system, version}}}``. Rules see only the codes: ``{valueSetId: [code, …]}``, the
"compressed" form that ``dgc-business-rules-testdata/valuesets`` builds.

:func:`default_value_sets` returns the value sets shipped with the platform
(``value_sets.json``: the compressed EU DCC value sets of ``eu-dcc-valuesets`` release 2.x
as ``dgc-business-rules-testdata`` publishes them, Apache-2.0, eHealth Network).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from eaeu.services.travel.errors import TravelError

__all__ = ["InvalidValueSet", "compress_value_sets", "default_value_sets", "load_value_sets"]


class InvalidValueSet(TravelError):
    """A value-set document that is neither a value set nor compressed value sets."""

    reason = "valuesets.invalid"


def _codes(document: Mapping[str, Any], *, active_only: bool) -> tuple[str, list[str]]:
    identifier = document.get("valueSetId")
    values = document.get("valueSetValues")
    if not isinstance(identifier, str) or not identifier or not isinstance(values, Mapping):
        raise InvalidValueSet("a value set needs a valueSetId and valueSetValues")
    codes = []
    for code, entry in values.items():
        if not isinstance(entry, Mapping):
            raise InvalidValueSet(f"value set {identifier}: entry {code} is not an object")
        if not active_only or entry.get("active") is True:
            codes.append(code)
    return identifier, codes


def compress_value_sets(
    documents: Iterable[Mapping[str, Any]], *, active_only: bool = False
) -> dict[str, list[str]]:
    """Turn value-set documents into ``{valueSetId: [code, …]}``.

    Args:
        documents: parsed value-set documents.
        active_only: keep only codes marked ``"active": true``. The EU compression keeps
            every code, so rules written against it expect that (the default).

    Returns:
        The compressed value sets, codes in document order.

    Raises:
        InvalidValueSet: a document is not a value set, or two share an id.
    """
    compressed: dict[str, list[str]] = {}
    for document in documents:
        identifier, codes = _codes(document, active_only=active_only)
        if identifier in compressed:
            raise InvalidValueSet(f"value set {identifier} given twice")
        compressed[identifier] = codes
    return compressed


def load_value_sets(text: str | bytes, *, active_only: bool = False) -> dict[str, list[str]]:
    """Parse value sets from JSON in any of the three forms in use.

    Accepts one value-set document, a JSON array of them, or already compressed value
    sets (an object of arrays of strings).

    Args:
        text: the JSON.
        active_only: as for :func:`compress_value_sets`.

    Returns:
        The compressed value sets.

    Raises:
        InvalidValueSet: the JSON is none of the three forms.
    """
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InvalidValueSet("value sets must be JSON") from exc
    if isinstance(document, list):
        return compress_value_sets(document, active_only=active_only)
    if not isinstance(document, dict):
        raise InvalidValueSet("value sets must be a JSON object or array")
    if "valueSetId" in document:
        return compress_value_sets([document], active_only=active_only)
    if all(
        isinstance(codes, list) and all(isinstance(code, str) for code in codes)
        for codes in document.values()
    ):
        return {identifier: list(codes) for identifier, codes in document.items()}
    raise InvalidValueSet("not a value set, a list of value sets or compressed value sets")


@functools.cache
def default_value_sets() -> dict[str, list[str]]:
    """Return the compressed EU DCC value sets shipped with the platform.

    Read once and shared; callers must not change the result.

    Raises:
        InvalidValueSet: the shipped file is not valid (a packaging defect).
    """
    text = resources.files(__package__ or "eaeu.services.travel").joinpath("value_sets.json")
    return load_value_sets(text.read_bytes())
