"""Turn discovery and probe results into findings: stable id, severity, summary, advice.

    diagnose_discovery(result)          what the sources said (nothing found, disagreement,
                                        untrusted foreign hosts, provider status, ...)
    diagnose_probe(candidate, probe)    one endpoint: why it failed, TLS, certificate,
                                        capabilities, login
    diagnose_service(protocol, probed)  the verdict over all endpoints of one protocol
    sort_findings(findings)             the deterministic order every report uses

Every id, its default severity, when it is raised and its words live in
`catalogue.RULES`; `FindingId` lists the ids.
"""

from __future__ import annotations

from mailprobe.diagnose.catalogue import RULES, FindingId, Rule
from mailprobe.diagnose.discovery import diagnose_discovery
from mailprobe.diagnose.endpoint import DEFAULT_EXPIRY_WARNING_DAYS, diagnose_probe
from mailprobe.diagnose.order import sort_findings
from mailprobe.diagnose.service import diagnose_service

__all__ = [
    "DEFAULT_EXPIRY_WARNING_DAYS",
    "RULES",
    "FindingId",
    "Rule",
    "diagnose_discovery",
    "diagnose_probe",
    "diagnose_service",
    "sort_findings",
]
