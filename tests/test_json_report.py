"""The JSON report cannot drift from the models, and the shipped schema is the generated one."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import jsonschema
import pytest

import schemacheck
from mailprobe.models import (
    Candidate,
    LoginResult,
    LoginStatus,
    ProbedCandidate,
    ProbeResult,
    ProbeStatus,
    Protocol,
    Provenance,
    Recommendation,
    Report,
    Security,
    ServerSetting,
    SourceId,
)
from mailprobe.pipeline import recommend
from mailprobe.render import json as json_render
from mailprobe.render.json import SHAPES, Derived, Field, Inline, Shape, to_jsonable
from mailprobe.render.schema import (
    generate_schema,
    load_schema,
    load_schema_text,
    scan_line_schema,
    schema_text,
)
from schemacheck import schema_errors, valid_report

REGENERATE = "run `python tools/regenerate.py` and commit the result"

# --------------------------------------------------------------------------- the table


def _emitted_types(cls: type, shape: Shape | None) -> list[Any]:
    """The Python types of the values `cls` puts into JSON."""
    hints = typing.get_type_hints(cls)
    covered = shape.covered() if shape else set()
    omitted = shape.omit if shape else {}
    types: list[Any] = []
    for key in shape.keys if shape else ():
        if isinstance(key, Field | Inline):
            if key.name in hints:  # a name that is no field is reported by table_problems
                types.append(hints[key.name])
        else:
            types.append(key.type)
    types += [
        hints[f.name] for f in dataclasses.fields(cls) if f.name not in covered | set(omitted)
    ]
    return types


def _dataclasses_in(tp: Any) -> list[type]:
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return [tp]
    return [c for arg in typing.get_args(tp) for c in _dataclasses_in(arg)]


def reachable_models(shapes: Mapping[type, Shape], root: type) -> list[type]:
    """Every model class whose objects end up in the JSON of `root`."""
    seen: list[type] = []
    todo = [root]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.append(cls)
        for tp in _emitted_types(cls, shapes.get(cls)):
            todo += _dataclasses_in(tp)
    return seen


def table_problems(shapes: Mapping[type, Shape], root: type) -> list[str]:
    """Why the table does not account for every model field (empty when it does)."""
    problems: list[str] = []
    for cls in reachable_models(shapes, root):
        name = cls.__name__
        shape = shapes.get(cls)
        fields = [f.name for f in dataclasses.fields(cls)]
        if shape is None:
            problems.append(f"{name} is in the report but has no entry in SHAPES")
            continue
        named = [k.name for k in shape.keys if isinstance(k, Field | Inline)]
        named += [k.covers for k in shape.keys if isinstance(k, Derived) and k.covers]
        for field in fields:
            if field not in named and field not in shape.omit:
                problems.append(f"{name}.{field} is neither emitted nor listed as omitted")
            if field in named and field in shape.omit:
                problems.append(f"{name}.{field} is both emitted and omitted")
            if named.count(field) > 1:
                problems.append(f"{name}.{field} is emitted twice")
        for field in [*named, *shape.omit]:
            if field not in fields:
                problems.append(f"{name} has no field {field!r} (named in SHAPES)")
        problems += [
            f"{name}.{field} is omitted without a reason"
            for field, why in shape.omit.items()
            if not why.strip()
        ]
        problems += [
            f"{name}.{key.name} has no description"
            for key in shape.keys
            if isinstance(key, Field) and not key.doc.strip()
        ]
    return problems


def test_every_model_field_is_emitted_or_deliberately_omitted() -> None:
    assert table_problems(SHAPES, Report) == []


@dataclass(frozen=True)
class Inner:
    """A model with a field the table forgot."""

    kept: str
    forgotten: int


@dataclass(frozen=True)
class Outer:
    """A model with a field omitted without a reason."""

    inner: Inner
    dropped: str


def test_the_table_check_catches_a_field_nobody_listed() -> None:
    shapes = {
        Outer: Shape((Field("inner", "the inner object"),), omit={"dropped": ""}),
        Inner: Shape((Field("kept", "kept"), Field("gone", "a field that no longer exists"))),
    }
    assert table_problems(shapes, Outer) == [
        "Outer.dropped is omitted without a reason",
        "Inner.forgotten is neither emitted nor listed as omitted",
        "Inner has no field 'gone' (named in SHAPES)",
    ]
    assert table_problems({}, Outer) == [
        "Outer is in the report but has no entry in SHAPES",
        "Inner is in the report but has no entry in SHAPES",
    ]


def test_a_field_missing_from_the_table_is_still_emitted() -> None:
    assert to_jsonable(Inner("x", 3)) == {"kept": "x", "forgotten": 3}


def test_keys_of_every_object_are_unique_after_inlining() -> None:
    def keys(cls: type) -> list[str]:
        hints = typing.get_type_hints(cls)
        out: list[str] = []
        for key in SHAPES[cls].keys:
            if isinstance(key, Inline):
                out += keys(hints[key.name])
            else:
                out.append(key.json_key if isinstance(key, Field) else key.key)
        return out

    for cls in SHAPES:
        names = keys(cls)
        assert len(names) == len(set(names)), (cls.__name__, names)


# --------------------------------------------------------------------------- a full report

WHEN = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def example(tp: Any, path: str = "") -> Any:
    """A value of type `tp` with every field set; strings name their field."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return example(next(a for a in args if a is not type(None)), path)
    if origin is tuple:
        return (example(args[0], path),)
    if origin in (dict, Mapping):
        return {k: example(args[1], path) for k in args[0]}
    if tp is bool:
        return True
    if tp is int:
        return 7
    if tp is float:
        return 2.5
    if tp is str:
        return f"<{path}>"
    if tp is datetime:
        return WHEN
    if isinstance(tp, type) and issubclass(tp, Enum):
        return list(tp)[-1]
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        values = {
            f.name: example(hints[f.name], f"{tp.__name__}.{f.name}")
            for f in dataclasses.fields(tp)
        }
        return tp(**values)
    raise TypeError(tp)


def expected_strings(obj: Any) -> set[str]:
    """Every string the JSON of `obj` must contain: the values of all emitted fields."""
    if isinstance(obj, str):
        return {obj}
    if isinstance(obj, datetime):
        return {"2026-01-02T03:04:05.678Z"}
    if isinstance(obj, tuple):
        return {s for item in obj for s in expected_strings(item)}
    if isinstance(obj, Mapping):
        return {s for v in obj.values() for s in expected_strings(v)}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        shape = SHAPES[type(obj)]
        names = [k.name for k in shape.keys if isinstance(k, Field | Inline)]
        return {s for name in names for s in expected_strings(getattr(obj, name))}
    return set()


def test_every_field_of_a_full_report_reaches_the_json() -> None:
    report = example(Report)
    doc = valid_report(report.to_json())
    text = json.dumps(doc)
    missing = sorted(s for s in expected_strings(report) if json.dumps(s) not in text)
    assert missing == []
    assert len(expected_strings(report)) > 40
    assert doc["generated_at"] == "2026-01-02T03:04:05.678Z"
    assert doc["duration_ms"] == 2.5
    assert doc["provider"]["domains"] == ["<ProviderInfo.domains>"]
    assert doc["candidates"][0]["probe"]["plaintext_user_before_tls"] is True
    assert doc["probed"] is True
    imap = doc["recommended"]["imap"]
    assert imap["login"] == doc["candidates"][0]["probe"]["login"]
    assert imap["sources"] == ["user"]
    assert imap["provenance"] == doc["candidates"][0]["sources"]


def test_report_to_json_is_the_table_rendering() -> None:
    report = example(Report)
    assert report.to_json() == json_render.report_to_json(report)
    assert json.loads(json_render.dumps(report)) == report.to_json()


# --------------------------------------------------------------------------- the schema


def test_the_committed_schema_is_the_generated_one() -> None:
    assert load_schema_text() == schema_text(generate_schema()), REGENERATE


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(load_schema())
    jsonschema.Draft202012Validator.check_schema(scan_line_schema())


def test_the_schema_rejects_unknown_keys_wrong_types_and_missing_keys() -> None:
    doc = example(Report).to_json()
    assert schema_errors(doc) == []
    assert schema_errors({**doc, "surprise": 1})
    assert schema_errors({**doc, "duration_ms": "fast"})
    assert schema_errors({k: v for k, v in doc.items() if k != "generated_at"})
    deep = json.loads(json.dumps(doc))
    deep["candidates"][0]["probe"]["tls"]["cert"]["days_left"] = "soon"
    assert schema_errors(deep)
    deep = json.loads(json.dumps(doc))
    deep["recommended"]["imap"]["probe_status"] = "fine"
    assert schema_errors(deep)


def test_scan_lines_are_report_plus_input_or_an_error() -> None:
    report = example(Report)
    line = json_render.scan_line("alice@example.org", report, 0)
    assert next(iter(line)) == "input"
    assert list(line)[-1] == "exit_status"
    assert schema_errors(line, scan_line=True) == []
    assert schema_errors({**line, "surprise": 1}, scan_line=True)
    assert schema_errors({k: v for k, v in line.items() if k != "input"}, scan_line=True)
    error = json_render.scan_error_line("bad@@x", "not an address", 2)
    assert schema_errors(error, scan_line=True) == []
    assert schema_errors({**error, "address": None}, scan_line=True)
    assert schema_errors(line)  # a scan line is not a bare report


def test_every_rendered_report_is_validated_by_the_suite_hook() -> None:
    before = schemacheck.counts["report"]
    json_render.dumps(example(Report))
    assert schemacheck.counts["report"] == before + 1
    broken = dataclasses.replace(example(Report), duration_ms="slow")
    with pytest.raises(jsonschema.ValidationError):
        json_render.dumps(broken)


def test_the_generator_knows_literals_optionals_and_enum_keyed_maps() -> None:
    from mailprobe.render.schema import _Builder

    builder = _Builder()
    assert builder.type_schema(typing.Literal["c", "s"]) == {"enum": ["c", "s"]}
    assert builder.type_schema(int | None) == {"type": ["integer", "null"]}
    assert builder.type_schema(tuple[str, ...]) == {"type": "array", "items": {"type": "string"}}
    by_protocol = builder.type_schema(dict[Protocol, bool])
    assert by_protocol["required"] == ["imap", "pop3", "smtp"]
    with pytest.raises(TypeError):
        builder.type_schema(bytes)


def test_enum_values_in_the_schema_follow_the_models() -> None:
    defs = load_schema()["$defs"]
    assert defs["ProbeStatus"]["enum"] == [s.value for s in ProbeStatus]
    assert defs["LoginStatus"]["enum"] == [s.value for s in LoginStatus]
    assert defs["SourceId"]["enum"] == [s.value for s in SourceId]


# --------------------------------------------------------------------------- recommended


def _pc(port: int, status: ProbeStatus, login: LoginStatus | None) -> ProbedCandidate:
    security = Security.TLS if port == 993 else Security.STARTTLS
    setting = ServerSetting(Protocol.IMAP, "imap.example.org", port, security, "a@example.org")
    candidate = Candidate(setting, (Provenance(SourceId.SRV, "_imaps._tcp.example.org", True),))
    result = LoginResult(login, "server said no", "PLAIN") if login else None
    return ProbedCandidate(candidate, ProbeResult(status, "", login=result))


def test_a_rejected_password_is_never_verified_and_the_entry_says_why() -> None:
    rejected = _pc(993, ProbeStatus.AUTH_FAILED, LoginStatus.WRONG_CREDENTIALS)
    rec = recommend(Protocol.IMAP, [rejected], was_probed=True)
    assert rec == Recommendation(rejected.candidate, verified=False, probe=rejected.probe)
    entry = to_jsonable(rec)
    assert entry["verified"] is False
    assert entry["probe_status"] == "auth_failed"
    assert entry["login"] == {
        "status": "wrong_credentials",
        "detail": "server said no",
        "mechanism": "PLAIN",
        "sender_ok": None,
    }


def test_an_endpoint_that_accepted_the_login_wins_over_one_that_rejected_it() -> None:
    rejected = _pc(993, ProbeStatus.AUTH_FAILED, LoginStatus.ACCOUNT_DISABLED)
    accepted = _pc(143, ProbeStatus.OK, LoginStatus.OK)
    rec = recommend(Protocol.IMAP, [rejected, accepted], was_probed=True)
    assert rec is not None
    assert rec.candidate is accepted.candidate
    assert rec.verified is True
    assert to_jsonable(rec)["login"]["status"] == "ok"


def test_without_a_login_test_the_entry_has_a_null_login() -> None:
    ok = _pc(993, ProbeStatus.OK, None)
    entry = to_jsonable(recommend(Protocol.IMAP, [ok], was_probed=True))
    assert (entry["verified"], entry["probe_status"], entry["login"]) == (True, "ok", None)
    unprobed = ProbedCandidate(ok.candidate, None)
    entry = to_jsonable(recommend(Protocol.IMAP, [unprobed], was_probed=False))
    assert (entry["verified"], entry["probe_status"], entry["login"]) == (None, None, None)


def test_when_nothing_answered_the_first_candidate_carries_its_failure() -> None:
    refused = _pc(993, ProbeStatus.REFUSED, None)
    rec = recommend(Protocol.IMAP, [refused, _pc(143, ProbeStatus.TIMEOUT, None)], was_probed=True)
    assert rec is not None
    assert rec.verified is False
    assert to_jsonable(rec)["probe_status"] == "refused"
