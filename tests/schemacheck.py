"""Validation of JSON documents against the schema shipped in the package.

`conftest.py` wraps the JSON renderer for every test (so every report the suite renders is
checked), and CLI tests call `valid_report` / `valid_scan_line` on what the process printed.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from mailprobe.render.schema import load_schema, scan_line_schema


@cache
def _validators() -> tuple[Draft202012Validator, Draft202012Validator]:
    schema = load_schema()
    return Draft202012Validator(schema), Draft202012Validator(scan_line_schema(schema))


#: How many documents were validated in this session (a test checks the hook is live).
counts = {"report": 0, "scan_line": 0, "domain": 0}


def _load(doc: str | dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(doc) if isinstance(doc, str) else doc
    return loaded


def valid_report(doc: str | dict[str, Any]) -> dict[str, Any]:
    """The report (text or dict) after checking it against the schema; raises if invalid."""
    data = _load(doc)
    _validators()[0].validate(data)
    counts["report"] += 1
    return data


def valid_scan_line(doc: str | dict[str, Any]) -> dict[str, Any]:
    """One `mailprobe scan` line after checking it against `$defs/ScanLine`."""
    data = _load(doc)
    _validators()[1].validate(data)
    counts["scan_line"] += 1
    return data


@cache
def _domain_validator() -> Draft202012Validator:
    from mailprobe.inbound.schema import domain_schema

    return Draft202012Validator(domain_schema())


def valid_domain_report(doc: str | dict[str, Any]) -> dict[str, Any]:
    """A `mailprobe domain` report after checking it against `mailprobe schema --kind
    domain`; raises if invalid."""
    data = _load(doc)
    _domain_validator().validate(data)
    counts["domain"] += 1
    return data


def schema_errors(doc: dict[str, Any], *, scan_line: bool = False) -> list[str]:
    """Every validation error message for `doc` (empty when valid)."""
    validator = _validators()[1 if scan_line else 0]
    return [error.message for error in validator.iter_errors(doc)]
