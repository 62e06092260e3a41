"""The `ispdb` source: Thunderbird's online ISP database, `{--ispdb-url}{D}`.

The answer is a config-v1.1 file, fetched and parsed with the `autoconfig` helpers. It is
trusted when fetched over HTTPS with a verified chain. The address is never sent; only the
domain is part of the URL.
"""

from __future__ import annotations

from mailprobe.models import Address, SourceId, SourceOutcome
from mailprobe.net.http import HttpFetcher
from mailprobe.sources.autoconfig import ConfigFetch, fetch_config, outcome_for, request_timeout
from mailprobe.sources.base import SourceContext

SOURCE = SourceId.ISPDB


def ispdb_url(base: str, domain: str) -> str:
    """`base` followed by `domain`; a `/` is put between them when `base` lacks one."""
    if base and not base.endswith(("/", "=")):
        base += "/"
    return f"{base}{domain}"


async def fetch_ispdb(
    http: HttpFetcher,
    base: str,
    domain: str,
    address: Address,
    *,
    timeout: float,
    allow_http: bool,
) -> ConfigFetch:
    """Ask the ISPDB at `base` about `domain`.

    A base URL the user gave as `http://` is fetched (untrusted) even without
    `allow_http`; `allow_http` governs redirects to plain HTTP.
    """
    url = ispdb_url(base, domain)
    plain_base = base.lower().startswith("http:")
    return await fetch_config(
        http, url, address, timeout=timeout, allow_http=allow_http or plain_base
    )


async def run(ctx: SourceContext) -> SourceOutcome:
    """Look the address's domain up in the ISPDB."""
    fetch = await fetch_ispdb(
        ctx.http,
        ctx.options.ispdb_url,
        ctx.address.domain,
        ctx.address,
        timeout=request_timeout(ctx.options),
        allow_http=ctx.options.allow_http,
    )
    return outcome_for(SOURCE, (fetch,))
