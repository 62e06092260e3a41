"""nginx: HTTP and HTTPS autoconfig, ISPDB and Autodiscover sites, chosen by Host / SNI.

Site content comes from testbed/files (our own fixtures), rendered into DIR/nginx/www.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from testbed import zones
from testbed.certs import CertPair
from testbed.proc import BedError, run, spawn

FILES = Path(__file__).with_name("files")
CONFIG_PATH = "/mail/config-v1.1.xml"
WELL_KNOWN_PATH = "/.well-known/autoconfig/mail/config-v1.1.xml"
BIG_SIZE = 5 * 1024 * 1024
M = zones.MAIN


@dataclass(frozen=True)
class Site:
    """One server block: names, scheme, certificate and the locations it serves."""

    names: tuple[str, ...]
    https: bool
    locations: str
    cert: str = "leaf"


def _render(template: str, domain: str, imap: str, pop: str, smtp: str) -> str:
    text = (FILES / template).read_text()
    for marker, value in (("@DOMAIN@", domain), ("@IMAP@", imap), ("@POP@", pop)):
        text = text.replace(marker, value)
    return text.replace("@SMTP@", smtp)


def _own(domain: str, template: str = "generic.xml.in") -> str:
    return _render(template, domain, f"imap.{domain}", f"pop.{domain}", f"smtp.{domain}")


def write_www(www: Path) -> None:
    """Render every served document into `www`."""
    www.mkdir(parents=True, exist_ok=True)
    docs: dict[str, str] = {
        "mailprobe.test.xml": (FILES / "mailprobe.test.xml").read_text(),
        "hoster.test.xml": _render(
            "generic.xml.in", zones.HOSTER, f"imap.{M}", f"pop.{M}", f"smtp.{M}"
        ),
        "html.html": (FILES / "html.html").read_text(),
        "truncated.xml": (FILES / "truncated.xml").read_text(),
        "laughs.xml": (FILES / "laughs.xml").read_text(),
    }
    for domain in zones.CONFIG_DOMAINS:
        docs[f"{domain}.xml"] = _own(domain)
    for name, text in docs.items():
        (www / name).write_text(text)
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">\n<!-- '
    tail = b" -->\n</clientConfig>\n"
    (www / "big.xml").write_bytes(head + b"x" * (BIG_SIZE - len(head) - len(tail)) + tail)


def _file(path: str, www: Path, name: str, mime: str = "text/xml") -> str:
    return f"location = {path} {{ default_type {mime}; types {{ }} alias {www / name}; }}\n"


def _redirect(path: str, target: str, code: int = 302) -> str:
    return f"location = {path} {{ return {code} {target}; }}\n"


def _autodiscover(text: str) -> str:
    quoted = text.replace("\\", "\\\\").replace("'", "\\'")
    if "$" in quoted:
        raise BedError("autodiscover response must not contain '$' (nginx variables)")
    body = f"{{ default_type text/xml; return 200 '{quoted}'; }}\n"
    return (
        f"location = /autodiscover/autodiscover.xml {body}"
        f"location = /Autodiscover/Autodiscover.xml {body}"
    )


def sites(www: Path) -> list[Site]:
    """Every server block of the bed, HTTP and HTTPS."""
    main_cfg = _file(CONFIG_PATH, www, "mailprobe.test.xml")
    result = [
        Site((f"autoconfig.{M}",), True, main_cfg),
        Site((f"autoconfig.{M}",), False, main_cfg),
        Site((f"autoconfig.{zones.HOSTER}",), True, _file(CONFIG_PATH, www, "hoster.test.xml")),
        Site((f"autoconfig.{zones.HOSTER}",), False, _file(CONFIG_PATH, www, "hoster.test.xml")),
        Site(
            (f"ispdb.{M}",),
            True,
            _file(f"/v1.1/{M}", www, "mailprobe.test.xml")
            + _file(f"/v1.1/ispdbonly.{M}", www, f"ispdbonly.{M}.xml"),
        ),
        Site(
            (f"autodiscover.{M}",),
            True,
            _autodiscover(_render("autodiscover.xml.in", M, f"imap.{M}", f"pop.{M}", f"smtp.{M}")),
        ),
        Site(
            (f"autodiscover.exchange.{M}",),
            True,
            _autodiscover(_own(f"exchange.{M}", "autodiscover.xml.in")),
        ),
        Site((f"wellknown.{M}",), True, _file(WELL_KNOWN_PATH, www, f"wellknown.{M}.xml")),
        Site((f"autoconfig.httponly.{M}",), False, _file(CONFIG_PATH, www, f"httponly.{M}.xml")),
        Site((f"autoconfig.httponly.{M}",), True, ""),
        Site(
            (f"autoconfig.downgrade.{M}",),
            True,
            _redirect(CONFIG_PATH, f"http://autoconfig.downgrade.{M}{CONFIG_PATH}", 301),
        ),
        Site((f"autoconfig.downgrade.{M}",), False, _file(CONFIG_PATH, www, f"downgrade.{M}.xml")),
    ]
    loop_host = f"https://autoconfig.loop.{M}"
    loop = (
        _redirect(CONFIG_PATH, f"{loop_host}/loop/a")
        + _redirect("/loop/a", f"{loop_host}/loop/b")
        + _redirect("/loop/b", f"{loop_host}{CONFIG_PATH}")
    )
    faults = {
        "html": _file(CONFIG_PATH, www, "html.html", "text/html"),
        "truncated": _file(CONFIG_PATH, www, "truncated.xml"),
        "laughs": _file(CONFIG_PATH, www, "laughs.xml"),
        "big": _file(CONFIG_PATH, www, "big.xml"),
        "loop": loop,
    }
    for fault, locations in faults.items():
        for https in (True, False):
            result.append(Site((f"autoconfig.{fault}.{M}",), https, locations))
    for domain, kind in zones.BAD_CERT_DOMAINS.items():
        result.append(
            Site((f"autoconfig.{domain}",), True, _file(CONFIG_PATH, www, f"{domain}.xml"), kind)
        )
    return result


def write_config(
    root: Path,
    http_port: int,
    https_port: int,
    certs: Mapping[str, CertPair],
    extra_sites: Sequence[Site] = (),
) -> Path:
    """Write nginx.conf and the site documents under `root`; returns the config path.

    `extra_sites` are further server blocks (the MTA-STS policy hosts).
    """
    www = root / "www"
    write_www(www)
    tmp = root / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    leaf = certs["leaf"]
    blocks = [
        f"server {{ listen 127.0.0.1:{http_port} default_server; "
        f"listen 127.0.0.1:{https_port} ssl default_server; server_name _; "
        f"location / {{ return 404; }} }}"
    ]
    for site in [*sites(www), *extra_sites]:
        listen = f"127.0.0.1:{https_port} ssl" if site.https else f"127.0.0.1:{http_port}"
        tls = ""
        if site.https:
            pair = certs[site.cert]
            tls = f"    ssl_certificate {pair.cert};\n    ssl_certificate_key {pair.key};\n"
        blocks.append(
            f"server {{\n    listen {listen};\n    server_name {' '.join(site.names)};\n"
            f"{tls}{site.locations}    location / {{ return 404; }}\n}}"
        )
    temp_paths = "".join(
        f"    {kind}_temp_path {tmp / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Not re-indented: Autodiscover bodies are quoted strings inside the blocks.
    server_blocks = "\n".join(blocks)
    conf = root / "nginx.conf"
    conf.write_text(
        f"""user www-data;
worker_processes 1;
daemon off;
pid {root / "nginx.pid"};
error_log {root / "error.log"} info;
events {{ worker_connections 256; }}
http {{
    access_log {root / "access.log"};
{temp_paths}    types {{ text/xml xml; text/html html; }}
    default_type application/octet-stream;
    server_tokens off;
    sendfile on;
    server_names_hash_bucket_size 128;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate {leaf.cert};
    ssl_certificate_key {leaf.key};
{server_blocks}
}}
"""
    )
    return conf


def start(root: Path, conf: Path) -> subprocess.Popen[bytes]:
    """Test the config, then start nginx in the foreground (its master PID is ours)."""
    log = root / "nginx.out"
    base = ["nginx", "-e", str(root / "error.log"), "-p", str(root), "-c", str(conf)]
    if run([*base, "-t", "-q"], log) != 0:
        raise BedError(f"nginx -t rejected {conf}: see {log}")
    return spawn(base, log)
