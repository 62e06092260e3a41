"""Postfix from a private config dir: port 25 (STARTTLS, no AUTH), submission (STARTTLS
required, AUTH only after TLS) and submissions (implicit TLS), SASL through Dovecot.

Nothing is ever delivered or relayed: every transport is `error`. Chroot is off, queue and
data directories live in DIR/postfix. TLS protocol defaults are left alone, so Postfix still
offers TLS 1.0/1.1 (a "weak TLS" target next to Dovecot's TLS 1.2 minimum).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from pathlib import Path

from testbed.certs import CertPair
from testbed.proc import BedError, run

NO_MAIL = "error:the mailprobe test bed delivers no mail"

_INTERNAL = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


#: Queue subdirectories as postfix-files declares them: (name, owner, group, mode).
_QUEUE_DIRS = (
    *(
        (name, "postfix", None, 0o700)
        for name in (
            "active",
            "bounce",
            "corrupt",
            "defer",
            "deferred",
            "flush",
            "hold",
            "incoming",
            "private",
            "saved",
            "trace",
        )
    ),
    ("maildrop", "postfix", "postdrop", 0o730),
    ("public", "postfix", "postdrop", 0o710),
    ("pid", "root", None, 0o755),
)


def _make_queue(queue: Path) -> None:
    """Create the queue tree and a `quick-start` marker: `postfix start` then skips its
    multi-second integrity check (which would only create these same directories)."""
    queue.chmod(0o755)
    for name, owner, group, mode in _QUEUE_DIRS:
        path = queue / name
        path.mkdir(exist_ok=True)
        shutil.chown(path, user=owner, group=group)
        path.chmod(mode)
    (queue / "quick-start").touch()


def write_config(
    root: Path,
    ports: Mapping[str, int],
    certs: Mapping[str, CertPair],
    sasl_socket: Path,
    extra_listeners: str = "",
) -> Path:
    """Write main.cf and master.cf into `root`/conf; returns the config directory.

    `extra_listeners` are further master.cf service lines (the inbound port-25 stand-ins).
    """
    conf = root / "conf"
    queue = root / "queue"
    data = root / "data"
    for directory in (conf, queue, data):
        directory.mkdir(parents=True, exist_ok=True)
    shutil.chown(data, user="postfix", group="postfix")
    data.chmod(0o700)
    _make_queue(queue)
    leaf = certs["leaf"]
    (conf / "main.cf").write_text(
        f"""# mailprobe test bed: generated, private instance
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.mailprobe.test
mydomain = mailprobe.test
myorigin = $myhostname
mydestination =
relay_domains =
relayhost =
mynetworks = 127.0.0.1/32
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
default_transport = {NO_MAIL}
relay_transport = {NO_MAIL}
local_transport = {NO_MAIL}
virtual_transport = {NO_MAIL}
alias_maps =
alias_database =
local_recipient_maps =
biff = no
append_dot_mydomain = no
readme_directory = no
smtpd_banner = $myhostname ESMTP mailprobe test bed
smtpd_peername_lookup = no
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = reject
smtpd_tls_cert_file = {leaf.cert}
smtpd_tls_key_file = {leaf.key}
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {sasl_socket}
smtpd_sasl_auth_enable = no
maillog_file = {root / "postfix.log"}
maillog_file_prefixes = {root}
"""
    )
    listeners = f"""\
127.0.0.1:{ports["smtp"]} inet n - n - - smtpd
127.0.0.1:{ports["submission"]} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
127.0.0.1:{ports["submissions"]} inet n - n - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
"""
    (conf / "master.cf").write_text(listeners + extra_listeners + _INTERNAL)
    return conf


def pid_file(root: Path) -> Path:
    """Where the Postfix master writes its PID."""
    return root / "queue" / "pid" / "master.pid"


def start(root: Path, conf: Path, *, timeout: float = 15.0) -> int:
    """Start the master daemon and return its PID. On failure, `postfix check` runs under a
    pseudo-terminal (its errors are silent otherwise) and its output joins the log."""
    log = root / "postfix.out"
    if run(["postfix", "-c", str(conf), "start"], log) != 0:
        run(["script", "-qec", f"postfix -c {conf} check", "/dev/null"], log)
        raise BedError(f"postfix start failed: see {log} and {root / 'postfix.log'}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return int(pid_file(root).read_text().strip())
        except (OSError, ValueError):
            time.sleep(0.05)
    raise BedError(f"postfix master wrote no PID to {pid_file(root)}")
