"""Dovecot: IMAP (143 STARTTLS, 993 TLS) and POP3 (110 STLS, 995 TLS) on 127.0.0.1 and
127.0.0.2, one passwd-file user, an auth socket for Postfix SASL; all state in DIR/dovecot.

`disable_plaintext_auth = yes`: a client on 127.0.0.1 talking to 127.0.0.1 counts as
secured, one talking to 127.0.0.2 does not (LOGINDISABLED before TLS). Failed logins are
not delayed (`auth_failure_delay = 0`, anvil auth penalty disabled) so tests stay fast.
"""

from __future__ import annotations

import base64
import hashlib
import os
import pwd
import secrets
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from testbed import zones
from testbed.certs import CertPair
from testbed.proc import BedError, run, spawn

DH_FILE = Path("/usr/share/dovecot/dh.pem")
MAIL_USER = "nobody"


def ssha512(password: str) -> str:
    """Dovecot's {SSHA512} scheme: base64(sha512(password + salt) + salt)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.sha512(password.encode() + salt).digest()
    return "{SSHA512}" + base64.b64encode(digest + salt).decode()


def _local_names(certs: Mapping[str, CertPair]) -> str:
    blocks = []
    for domain, kind in zones.BAD_CERT_DOMAINS.items():
        pair = certs[kind]
        for label in ("imap", "pop"):
            blocks.append(
                f"local_name {label}.{domain} {{\n"
                f"  ssl_cert = <{pair.cert}\n  ssl_key = <{pair.key}\n}}\n"
            )
    return "".join(blocks)


def write_config(
    root: Path,
    ports: Mapping[str, int],
    certs: Mapping[str, CertPair],
    user: str,
    password: str,
    sasl_socket: Path,
) -> Path:
    """Write dovecot.conf and the user file under `root`; returns the config path."""
    run_dir = root / "run"
    shutil.rmtree(run_dir, ignore_errors=True)  # stale anvil/auth sockets from a past run
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    nobody = pwd.getpwnam(MAIL_USER)
    os.chown(root / "mail", nobody.pw_uid, nobody.pw_gid)
    sasl_socket.parent.mkdir(parents=True, exist_ok=True)
    users = root / "users"
    fd = os.open(users, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w") as out:
        out.write(f"{user}:{ssha512(password)}::::::\n")
    shutil.chown(users, group="dovecot")
    leaf = certs["leaf"]
    dh = f"ssl_dh = <{DH_FILE}\n" if DH_FILE.exists() else ""
    conf = root / "dovecot.conf"
    conf.write_text(
        f"""# mailprobe test bed: generated, private instance
instance_name = mailprobe-bed
base_dir = {run_dir}
state_dir = {root / "state"}
protocols = imap pop3
listen = 127.0.0.1, {zones.ALT_IP}
log_path = {root / "dovecot.log"}
info_log_path = {root / "dovecot.log"}
ssl = yes
ssl_cert = <{leaf.cert}
ssl_key = <{leaf.key}
{dh}ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
auth_verbose = yes
mail_max_userip_connections = 100
login_greeting = mailprobe test bed ready.
mail_location = maildir:{root / "mail"}/%u
first_valid_uid = 1
last_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=SSHA512 {users}
}}
userdb {{
  driver = static
  args = uid={nobody.pw_uid} gid={nobody.pw_gid} home={root / "mail"}/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {ports["imap"]}
  }}
  inet_listener imaps {{
    port = {ports["imaps"]}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {ports["pop3"]}
  }}
  inet_listener pop3s {{
    port = {ports["pop3s"]}
    ssl = yes
  }}
}}
service auth {{
  unix_listener {sasl_socket} {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
protocol pop3 {{
  pop3_uidl_format = %08Xu%08Xv
}}
{_local_names(certs)}"""
    )
    return conf


def start(root: Path, conf: Path) -> subprocess.Popen[bytes]:
    """Check the config, then start Dovecot in the foreground (its master PID is ours)."""
    log = root / "dovecot.out"
    if run(["doveconf", "-c", str(conf), "-n"], log) != 0:
        raise BedError(f"doveconf rejected {conf}: see {log}")
    return spawn(["dovecot", "-c", str(conf), "-F"], log)
