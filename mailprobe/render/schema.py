"""The JSON Schema (draft 2020-12) of the report and of a `mailprobe scan` line.

The schema is generated from the models and the table in `mailprobe.render.json`
(`generate_schema`), committed as `report.schema.json` beside this module, shipped in the
package and printed by `mailprobe schema` (`load_schema_text`). The test suite checks that
the committed file equals the generated one; regenerate it with
`python -m mailprobe.render.schema --write` after changing a model or the table.

Layout: the top level is the report (`$defs/Report`, no other keys allowed);
`$defs/ScanLine` is a scan line (a report plus `input` and `exit_status`, or `input`,
`error` and `exit_status`). Every object lists all its keys as required: mailprobe always
writes every key, with null where there is no value.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import sys
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any

from mailprobe.models import Report
from mailprobe.render.json import SCAN_LINE_KEYS, SCHEMA_VERSION, SHAPES, Derived, Field, Inline

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FILE = "report.schema.json"

#: The report keys whose schema is the top level; other `$defs` are named by class.
REPORT_DEF = "Report"
SCAN_LINE_DEF = "ScanLine"


def _first_paragraph(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())


class _Builder:
    """Collects `$defs` while turning Python types into schemas."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}

    def ref(self, name: str) -> dict[str, Any]:
        return {"$ref": f"#/$defs/{name}"}

    def type_schema(self, tp: Any) -> dict[str, Any]:
        if tp is type(None):
            return {"type": "null"}
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = typing.get_args(tp)
            real = [a for a in args if a is not type(None)]
            inner = (
                self.type_schema(real[0])
                if len(real) == 1
                else {"anyOf": [self.type_schema(a) for a in real]}
            )
            if len(real) == len(args):
                return inner
            if set(inner) == {"type"} and isinstance(inner["type"], str):
                return {"type": [inner["type"], "null"]}
            return {"anyOf": [inner, {"type": "null"}]}
        if origin is typing.Literal:
            return {"enum": list(typing.get_args(tp))}
        if origin in (tuple, list):
            args = typing.get_args(tp)
            return {"type": "array", "items": self.type_schema(args[0])}
        if origin in (dict, Mapping):
            key_type, value_type = typing.get_args(tp)
            if isinstance(key_type, type) and issubclass(key_type, Enum):
                members = [str(m.value) for m in key_type]
                value = self.type_schema(value_type)
                return {
                    "type": "object",
                    "properties": {m: value for m in members},
                    "required": members,
                    "additionalProperties": False,
                }
            return {"type": "object", "additionalProperties": self.type_schema(value_type)}
        if tp is bool:
            return {"type": "boolean"}
        if tp is int:
            return {"type": "integer"}
        if tp is float:
            return {"type": "number"}
        if tp is str:
            return {"type": "string"}
        if tp is datetime:
            return {"type": "string", "format": "date-time", "pattern": r"^\d{4}-.*Z$"}
        if isinstance(tp, type) and issubclass(tp, Enum):
            if tp.__name__ not in self.defs:
                self.defs[tp.__name__] = {
                    "description": _first_paragraph(tp),
                    "type": "string",
                    "enum": [str(m.value) for m in tp],
                }
            return self.ref(tp.__name__)
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            if tp.__name__ not in self.defs:
                self.defs[tp.__name__] = {}  # reserve the name first: types may nest
                self.defs[tp.__name__] = self.object_schema(tp, closed=True)
            return self.ref(tp.__name__)
        raise TypeError(f"no JSON Schema for {tp!r}")

    def properties(self, cls: type) -> dict[str, dict[str, Any]]:
        """The JSON keys of `cls` in order, with their schemas (inlined objects merged)."""
        hints = typing.get_type_hints(cls)
        shape = SHAPES.get(cls)
        props: dict[str, dict[str, Any]] = {}
        covered: set[str] = set()
        omitted: Mapping[str, str] = {}
        if shape is not None:
            covered, omitted = shape.covered(), shape.omit
            for key in shape.keys:
                if isinstance(key, Inline):
                    props.update(self.properties(hints[key.name]))
                elif isinstance(key, Field):
                    props[key.json_key] = self.described(hints[key.name], key.doc)
                else:
                    props[key.key] = self.derived(key)
        for f in dataclasses.fields(cls):
            if f.name not in covered and f.name not in omitted:
                props[f.name] = self.type_schema(hints[f.name])
        return props

    def derived(self, key: Derived) -> dict[str, Any]:
        if key.schema is not None:
            return {"description": key.doc, **key.schema}
        return self.described(key.type, key.doc)

    def described(self, tp: Any, doc: str) -> dict[str, Any]:
        return {"description": doc, **self.type_schema(tp)}

    def object_schema(self, cls: type, *, closed: bool) -> dict[str, Any]:
        props = self.properties(cls)
        schema: dict[str, Any] = {
            "description": _first_paragraph(cls),
            "type": "object",
            "properties": props,
            "required": list(props),
        }
        if closed:
            schema["additionalProperties"] = False
        return schema


def generate_schema() -> dict[str, Any]:
    """The schema of the report (top level) and of a scan line (`$defs/ScanLine`)."""
    builder = _Builder()
    report = builder.object_schema(Report, closed=False)
    scan_keys = {
        "input": {"description": SCAN_LINE_KEYS["input"], "type": "string"},
        "exit_status": {"description": SCAN_LINE_KEYS["exit_status"], "type": "integer"},
        "error": {"description": SCAN_LINE_KEYS["error"], "type": "string"},
    }
    scan_line = {
        "description": "One line of `mailprobe scan` output: the report of one input plus "
        "`input` and `exit_status`, or `input`, `error` and `exit_status` when the input "
        "could not be used.",
        "oneOf": [
            {
                "$ref": f"#/$defs/{REPORT_DEF}",
                "properties": {k: scan_keys[k] for k in ("input", "exit_status")},
                "required": ["input", "exit_status"],
                "unevaluatedProperties": False,
            },
            {
                "type": "object",
                "properties": {k: scan_keys[k] for k in ("input", "error", "exit_status")},
                "required": ["input", "error", "exit_status"],
                "additionalProperties": False,
            },
        ],
    }
    defs = {REPORT_DEF: report, SCAN_LINE_DEF: scan_line}
    defs.update(sorted(builder.defs.items()))
    return {
        "$schema": DIALECT,
        "$id": f"urn:mailprobe:report:{SCHEMA_VERSION}",
        "title": f"mailprobe JSON report, schema_version {SCHEMA_VERSION}",
        "description": "The report of `mailprobe check|discover|probe --json`. A scan line "
        "(`mailprobe scan`) is `$defs/ScanLine`. Described key by key in docs/json-report.md.",
        "$ref": f"#/$defs/{REPORT_DEF}",
        "unevaluatedProperties": False,
        "$defs": defs,
    }


def schema_text(schema: Mapping[str, Any]) -> str:
    """The schema as the committed file holds it (stable key order, trailing newline)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def load_schema_text() -> str:
    """The schema file shipped in the package, as text."""
    return resources.files("mailprobe.render").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """The shipped schema as a dict."""
    loaded: dict[str, Any] = json.loads(load_schema_text())
    return loaded


def scan_line_schema(schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A schema whose top level is `$defs/ScanLine` (to validate one scan line)."""
    base = schema if schema is not None else load_schema()
    return {"$schema": DIALECT, "$defs": base["$defs"], "$ref": f"#/$defs/{SCAN_LINE_DEF}"}


# --------------------------------------------------------------------------- field reference


def _type_words(schema: Mapping[str, Any]) -> str:
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        return " or ".join(_type_words(s) for s in schema["anyOf"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    kind = schema.get("type")
    if kind == "array":
        return f"list of {_type_words(schema['items'])}"
    if kind == "object" and "properties" in schema:
        keys = ", ".join(f"`{k}`" for k in schema["properties"])
        first = next(iter(schema["properties"].values()))
        return f"object with {keys}, each {_type_words(first)}"
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    return str(kind)


def fields_markdown(schema: Mapping[str, Any] | None = None) -> str:
    """A Markdown reference of every object and key of the schema (for docs/json-report.md)."""
    full = schema if schema is not None else generate_schema()
    defs: Mapping[str, Any] = full["$defs"]
    lines: list[str] = []
    for name, body in defs.items():
        if name == SCAN_LINE_DEF:
            continue
        lines += [f"### {name}", "", str(body.get("description", "")), ""]
        if "enum" in body:
            lines += ["Values: " + ", ".join(f"`{v}`" for v in body["enum"]) + ".", ""]
            continue
        lines += ["| key | type | meaning |", "|---|---|---|"]
        for key, prop in body["properties"].items():
            meaning = str(prop.get("description", "")).replace("|", "\\|")
            lines.append(f"| `{key}` | {_type_words(prop)} | {meaning} |")
        lines.append("")
    lines += [f"### {SCAN_LINE_DEF}", "", str(defs[SCAN_LINE_DEF]["description"]), ""]
    lines += ["| key | type | meaning |", "|---|---|---|"]
    for key, text in SCAN_LINE_KEYS.items():
        kind = "string" if key != "exit_status" else "integer"
        lines.append(f"| `{key}` | {kind} | {text} |")
    return "\n".join(lines).rstrip() + "\n"


def _main(argv: list[str]) -> int:
    """`python -m mailprobe.render.schema [--write]`: print or rewrite the committed file."""
    text = schema_text(generate_schema())
    if argv == ["--write"]:
        Path(__file__).with_name(SCHEMA_FILE).write_text(text, encoding="utf-8")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
