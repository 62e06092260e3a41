"""JUnit XML as Jenkins and GitLab read it: one testsuite per address, one testcase per
service (classname imap|pop3|smtp), one per policy rule, and one each for discovery and
for the changes since a baseline when there is something to say.

A finding or change that fails the run (`--fail-on`, `--fail-on-id`) becomes the
`<failure>` of its test case: the summary is the `message`, the advice the text. A test
case takes one `<failure>` element (the JUnit schema allows one); further failing items
are listed in its text. `time` attributes are in seconds.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

from mailprobe.exit_status import FailRule
from mailprobe.models import Change, Finding, Protocol, Report
from mailprobe.render.verdict import PROTOCOL_LABELS, endpoint_name, service_verdicts, who

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    """Text without characters XML 1.0 cannot carry."""
    return _CONTROL.sub("?", text)


@dataclass
class Case:
    """One `<testcase>`: what failed in it (findings or changes), or why it was skipped."""

    classname: str
    name: str
    seconds: float = 0.0
    failing: list[Finding | Change] = field(default_factory=list)
    skipped: str | None = None
    output: list[str] = field(default_factory=list)


def _services(report: Report, rule: FailRule) -> list[Case]:
    verdicts = {v.protocol: v for v in service_verdicts(report)}
    cases = []
    for protocol in Protocol:
        endpoints = [pc for pc in report.candidates if pc.candidate.protocol is protocol]
        verdict = verdicts.get(protocol)
        if verdict is None and not endpoints:
            continue
        label = PROTOCOL_LABELS[protocol]
        name = f"{label} {verdict.where}" if verdict and verdict.where else label
        case = Case(str(protocol), name)
        for pc in endpoints:
            if pc.probe is not None:
                case.seconds += (pc.probe.timings.total or 0.0) / 1000
                case.output.append(f"{endpoint_name(pc)}: {pc.probe.status}")
        case.failing = [
            f
            for f in report.findings
            if f.protocol is protocol and f.policy is None and rule.fails(f.id, f.severity)
        ]
        if verdict is not None and verdict.state == "missing" and not case.failing:
            case.skipped = f"no {label} setting found"
        cases.append(case)
    return cases


def _discovery(report: Report, rule: FailRule) -> list[Case]:
    if not report.sources:
        return []
    case = Case("discovery", "sources")
    case.seconds = max((o.elapsed_ms for o in report.sources), default=0.0) / 1000
    case.output = [f"{o.source}: {o.status}" for o in report.sources]
    case.failing = [
        f
        for f in report.findings
        if f.protocol is None and f.policy is None and rule.fails(f.id, f.severity)
    ]
    return [case]


def policy_cases(rules: Sequence[str], findings: Sequence[Finding], rule: FailRule) -> list[Case]:
    """One test case per policy rule that was evaluated, failing with its violations."""
    cases = []
    for key in rules:
        case = Case("policy", key)
        case.failing = [f for f in findings if f.policy == key and rule.fails(f.id, f.severity)]
        cases.append(case)
    return cases


def changes_cases(changes: Sequence[Change], rule: FailRule) -> list[Case]:
    """The `baseline` test case listing the changes (none without changes)."""
    if not changes:
        return []
    case = Case("baseline", "changes")
    case.failing = [c for c in changes if rule.fails(c.id, c.severity)]
    case.output = [f"{c.id}: {c.summary}" for c in changes]
    return [case]


def _failure_text(items: Sequence[Finding | Change]) -> str:
    lines = []
    for item in items:
        lines.append(f"[{item.severity}] {item.id}: {item.summary}")
        advice = item.advice if isinstance(item, Finding) else ""
        if advice:
            lines.append(f"    {advice}")
    return "\n".join(lines)


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def build(report: Report, rule: FailRule | None = None) -> ET.Element:
    """The `<testsuites>` element for `report`."""
    rule = rule or FailRule()
    cases = [
        *_discovery(report, rule),
        *_services(report, rule),
        *policy_cases(report.policy_rules, report.findings, rule),
        *changes_cases(report.changes, rule),
    ]
    return document(who(report), cases)


def document(suite: str, cases: Sequence[Case]) -> ET.Element:
    """`<testsuites>` with one `<testsuite>` named `suite` holding `cases`."""
    failures = sum(1 for c in cases if c.failing)
    skipped = sum(1 for c in cases if c.skipped)
    total = sum(c.seconds for c in cases)
    counts = {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
        "time": _seconds(total),
    }
    root = ET.Element("testsuites", {"name": "mailprobe", **counts})
    parent = ET.SubElement(root, "testsuite", {"name": _clean(suite), **counts})
    for case in cases:
        element = ET.SubElement(
            parent,
            "testcase",
            {
                "classname": case.classname,
                "name": _clean(case.name),
                "time": _seconds(case.seconds),
            },
        )
        if case.failing:
            first = case.failing[0]
            message = first.summary
            if len(case.failing) > 1:
                message += f" (and {len(case.failing) - 1} more)"
            failure = ET.SubElement(
                element, "failure", {"message": _clean(message), "type": first.id}
            )
            failure.text = _clean(_failure_text(case.failing))
        elif case.skipped:
            ET.SubElement(element, "skipped", {"message": case.skipped})
        if case.output:
            out = ET.SubElement(element, "system-out")
            out.text = _clean("\n".join(case.output))
    ET.indent(root)
    return root


def write_document(root: ET.Element, stream: IO[str]) -> None:
    """Write `root` as an XML document (declaration first) to `stream`."""
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(root, encoding="unicode"))
    stream.write("\n")


def write(report: Report, stream: IO[str], rule: FailRule | None = None) -> None:
    """Write the JUnit XML document to `stream`."""
    write_document(build(report, rule), stream)
