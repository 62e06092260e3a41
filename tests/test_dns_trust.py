"""The DNSSEC AD bit is believed only over a trusted channel (loopback or --trust-ad).

Both sides are tested: a validating answer from a loopback resolver (the project's own
FaultDns) makes SRV candidates trusted; the same answer carried from a resolver elsewhere
does not, unless the user vouches for that resolver with --trust-ad.
"""

from __future__ import annotations

import dns.asyncresolver
import dns.flags
import dns.message
import dns.resolver
import dns.rrset
import pytest

from dnsfaults import FaultDns, Records, source_context
from mailprobe.cli.options import net_options
from mailprobe.models import Nameserver
from mailprobe.net.dns import DnsClient, ad_trusted
from mailprobe.sources import srv

DOMAIN = "example.test"


@pytest.mark.parametrize(
    ("nameserver", "trust_ad", "believed"),
    [
        ("127.0.0.1", False, True),
        ("127.0.0.53", False, True),  # systemd-resolved's stub
        ("::1", False, True),
        ("[::1]", False, True),
        ("192.0.2.53", False, False),
        ("10.0.0.1", False, False),
        ("2001:db8::53", False, False),
        (None, False, False),
        ("not an address", False, False),
        ("192.0.2.53", True, True),
        ("2001:db8::53", True, True),
    ],
)
def test_ad_bit_is_believed_only_from_loopback_or_when_vouched_for(
    nameserver: str | None, trust_ad: bool, believed: bool
) -> None:
    assert ad_trusted(nameserver, trust_ad=trust_ad) is believed


async def test_ad_answer_from_a_loopback_resolver_makes_srv_candidates_trusted() -> None:
    rules = {
        f"_imaps._tcp.{DOMAIN}": Records("SRV", ("0 1 993 imap.elsewhere.test.",), True),
        f"_submission._tcp.{DOMAIN}": Records("SRV", ("0 1 587 smtp.example.test.",)),
    }
    async with FaultDns(rules) as server:
        outcome = await srv.run(source_context(f"alice@{DOMAIN}", [server.nameserver]))
    trust = {c.setting.port: c.trusted for c in outcome.candidates}
    assert trust == {993: True, 587: False}


class _RemoteResolver(dns.asyncresolver.Resolver):
    """Answers from a canned message as if the resolver at 192.0.2.53 had sent it.

    No packet leaves the machine: this stands in for a resolver on another host, whose
    AD bit anyone on the path could have set.
    """

    def __init__(self, response: dns.message.QueryMessage) -> None:
        super().__init__(configure=False)
        self.nameservers = ["192.0.2.53"]
        self._response = response

    async def resolve(self, qname, rdtype, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        question = self._response.question[0]
        return dns.resolver.Answer(
            question.name,
            question.rdtype,
            question.rdclass,
            self._response,
            nameserver="192.0.2.53",
            port=53,
        )


def _srv_response_with_ad() -> dns.message.QueryMessage:
    query = dns.message.make_query(f"_imaps._tcp.{DOMAIN}.", "SRV")
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AD
    response.answer.append(
        dns.rrset.from_text(
            f"_imaps._tcp.{DOMAIN}.", 300, "IN", "SRV", "0 1 993 imap.attacker.test."
        )
    )
    arrived = dns.message.from_wire(response.to_wire())  # as it would arrive
    assert isinstance(arrived, dns.message.QueryMessage)
    return arrived


@pytest.mark.parametrize(("trust_ad", "believed"), [(False, False), (True, True)])
async def test_ad_answer_from_a_remote_resolver_needs_trust_ad(
    trust_ad: bool, believed: bool
) -> None:
    client = DnsClient([Nameserver("192.0.2.53")], timeout=1.0, trust_ad=trust_ad)
    client._resolver = _RemoteResolver(_srv_response_with_ad())
    answer = await client.query(f"_imaps._tcp.{DOMAIN}", "SRV")
    assert answer.records  # the answer itself is used either way
    assert answer.authenticated is believed


def test_trust_ad_option_reaches_the_network_options() -> None:
    assert net_options(5.0, ["192.0.2.53"], None, None, trust_ad=True).trust_ad is True
    assert net_options(5.0, ["192.0.2.53"], None, None).trust_ad is False
