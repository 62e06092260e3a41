"""The JSON Schema (draft 2020-12) of the `mailprobe domain --json` report.

Every object lists all of its keys as required and allows no others, so a key added to
`report.py` without the schema (or the other way round) fails the suite's validation.
"""

from __future__ import annotations

from typing import Any

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_STR = {"type": "string"}
_INT = {"type": "integer"}
_NUM = {"type": "number"}
_BOOL = {"type": "boolean"}
_STR_OR_NULL = {"type": ["string", "null"]}
_BOOL_OR_NULL = {"type": ["boolean", "null"]}
_STRS = {"type": "array", "items": _STR}
_DNSSEC = {"enum": ["secure", "insecure", "bogus", "unverified"]}
_SEVERITY = {"enum": ["error", "warning", "info"]}
_DNS_STATUS = {"enum": ["ok", "nxdomain", "nodata", "servfail", "timeout", "error"]}


def _obj(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _nullable(ref: str) -> dict[str, Any]:
    return {"oneOf": [{"type": "null"}, {"$ref": f"#/$defs/{ref}"}]}


_DEFS: dict[str, Any] = {
    "Cert": _obj(
        {
            "subject": _STR,
            "san": _STRS,
            "issuer": _STR,
            "not_after": _STR,
            "days_left": _INT,
            "self_signed": _BOOL,
        }
    ),
    "Tls": _obj(
        {
            "version": _STR,
            "cipher": _STR,
            "verified": _BOOL,
            "verify_error": _STR_OR_NULL,
            "chain_length": _INT,
            "chain_complete": _BOOL,
            "cert": _nullable("Cert"),
        }
    ),
    "Smtp": _obj(
        {
            "status": {
                "enum": [
                    "ok",
                    "refused",
                    "timeout",
                    "dns_error",
                    "tls_error",
                    "protocol_error",
                    "rate_limited",
                    "auth_failed",
                    "skipped",
                ]
            },
            "starttls": _BOOL_OR_NULL,
            "banner": _STR_OR_NULL,
            "ehlo_name": _STR_OR_NULL,
            "connected_to": _STR_OR_NULL,
            "detail": _STR_OR_NULL,
            "elapsed_ms": _NUM,
            "tls": _nullable("Tls"),
            "cert": _nullable("Cert"),
        }
    ),
    "TlsaRecord": _obj(
        {
            "usage": _INT,
            "selector": _INT,
            "matching": _INT,
            "data": _STR,
            "usable": _BOOL,
            "matched": _BOOL_OR_NULL,
            "note": _STR_OR_NULL,
        }
    ),
    "Address": _obj(
        {
            "ip": _STR,
            "dnssec": _DNSSEC,
            "smtp": {"$ref": "#/$defs/Smtp"},
            "dane": _obj(
                {
                    "matched": _BOOL_OR_NULL,
                    "reason": _STR_OR_NULL,
                    "records": {"type": "array", "items": {"$ref": "#/$defs/TlsaRecord"}},
                }
            ),
        }
    ),
    "Mx": _obj(
        {
            "host": _STR,
            "preference": _INT,
            "canonical": _STR,
            "verdict": {"enum": ["pass", "warning", "fail"]},
            "dnssec": _DNSSEC,
            "address_status": _DNS_STATUS,
            "addresses": {"type": "array", "items": {"$ref": "#/$defs/Address"}},
            "tlsa_name": _STR_OR_NULL,
            "tlsa_dnssec": {"oneOf": [{"type": "null"}, _DNSSEC]},
            "tlsa_status": {"oneOf": [{"type": "null"}, _DNS_STATUS]},
            "dane": _obj(
                {
                    "status": {
                        "enum": [
                            "ok",
                            "fail",
                            "unusable",
                            "none",
                            "not_applicable",
                            "bogus",
                            "error",
                            "unverified",
                            "untested",
                        ]
                    },
                    "detail": _STR_OR_NULL,
                }
            ),
            "mta_sts_match": _BOOL_OR_NULL,
        }
    ),
    "Finding": _obj(
        {
            "id": {
                "type": "string",
                "pattern": "^(mx|dnssec|starttls|dane|mta_sts|tls_rpt|spf|dmarc|policy)\\.",
            },
            "severity": _SEVERITY,
            "protocol": {"type": "null"},
            "host": _STR_OR_NULL,
            "port": {"type": ["integer", "null"]},
            "summary": _STR,
            "advice": _STR,
            "policy": _STR_OR_NULL,
        }
    ),
    "Change": _obj(
        {
            "id": {"type": "string", "pattern": "^change\\."},
            "severity": _SEVERITY,
            "protocol": {"type": "null"},
            "host": _STR_OR_NULL,
            "port": {"type": ["integer", "null"]},
            "before": _STR_OR_NULL,
            "after": _STR_OR_NULL,
            "summary": _STR,
        }
    ),
}

_RECORD_STATUS = {"enum": ["ok", "absent", "invalid", "dns_error"]}


def domain_schema() -> dict[str, Any]:
    """The schema of one `mailprobe domain --json` report."""
    top = _obj(
        {
            "schema_version": {"const": 1},
            "mailprobe_version": _STR,
            "generated_at": _STR,
            "duration_ms": _NUM,
            "kind": {"const": "domain"},
            "domain": _STR,
            "verdict": {"enum": ["pass", "warning", "fail"]},
            "dnssec": _obj(
                {
                    "resolver": _STR,
                    "trusted": _BOOL,
                    "validates": _BOOL,
                    "probe": _STR,
                    "detail": _STR,
                    "mx": _DNSSEC,
                }
            ),
            "null_mx": _BOOL,
            "mx_status": _DNS_STATUS,
            "mx": {"type": "array", "items": {"$ref": "#/$defs/Mx"}},
            "mx_skipped": _STRS,
            "mta_sts": _obj(
                {
                    "status": {
                        "enum": [
                            "ok",
                            "absent",
                            "txt_invalid",
                            "fetch_failed",
                            "policy_invalid",
                            "dns_error",
                        ]
                    },
                    "id": _STR_OR_NULL,
                    "mode": _STR_OR_NULL,
                    "mx": _STRS,
                    "max_age": {"type": ["integer", "null"]},
                    "url": _STR,
                    "detail": _STR_OR_NULL,
                }
            ),
            "tls_rpt": _obj(
                {
                    "status": _RECORD_STATUS,
                    "record": _STR_OR_NULL,
                    "rua": _STRS,
                    "detail": _STR_OR_NULL,
                }
            ),
            "spf": _obj({"status": _RECORD_STATUS, "record": _STR_OR_NULL, "detail": _STR_OR_NULL}),
            "dmarc": _obj(
                {
                    "status": _RECORD_STATUS,
                    "record": _STR_OR_NULL,
                    "policy": _STR_OR_NULL,
                    "location": _STR_OR_NULL,
                    "detail": _STR_OR_NULL,
                }
            ),
            "findings": {"type": "array", "items": {"$ref": "#/$defs/Finding"}},
            "policy_rules": _STRS,
            "changes": {"type": "array", "items": {"$ref": "#/$defs/Change"}},
        }
    )
    return {
        "$schema": DIALECT,
        "$id": "urn:mailprobe:domain-report:1",
        "title": "mailprobe domain report",
        **top,
        "$defs": _DEFS,
    }
