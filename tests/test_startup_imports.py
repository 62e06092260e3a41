"""Start-up guard: the offline lookup and the probe command import no heavy module.

Start-up time is a measured property (see `benchmarks/bench_startup.py`); these tests
keep it from eroding silently. They read `python -X importtime` of a real run and fail
when a module that the command does not need is imported again.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from testbed import BedInfo

ROOT = Path(__file__).resolve().parent.parent

#: Never needed without the network.
NOT_OFFLINE = (
    "asyncio",
    "ssl",
    "httpx",
    "httpcore",
    "dns",
    "cryptography",
    "idna",
    "publicsuffixlist",
    "tomllib",
    "concurrent.futures",
    "mailprobe.cli.db",
    "mailprobe.net.dns",
    "mailprobe.net.http",
    "mailprobe.net.connect",
    "mailprobe.probes.session",
    "mailprobe.probes.scheduler",
)

#: Not needed to probe one endpoint aimed at an address with --connect-to, whose
#: certificate verifies (the common case reads it from `ssl` itself).
NOT_FOR_PROBE = (
    "httpx",
    "httpcore",
    "dns",
    "cryptography",
    "idna",
    "publicsuffixlist",
    "tomllib",
    "mailprobe.providers",
    "mailprobe.cli.db",
    "mailprobe.net.http",
)


def _imported(args: list[str], env: dict[str, str] | None = None) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mailprobe", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":
                names.add(name)
    assert "mailprobe.cli.app" in names  # the measurement itself worked
    return names


def _heavy(names: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))


def test_the_offline_lookup_imports_nothing_heavy(tmp_path: Path) -> None:
    env = {**os.environ, "MAILPROBE_CACHE_DIR": str(tmp_path)}
    args = ["discover", "you@gmail.com", "--offline", "--json"]
    _imported(args, env)  # the first run writes the provider index
    names = _imported(args, env)
    assert _heavy(names, NOT_OFFLINE) == []
    # ...and the second run read the compact index, not the TOML files.
    assert "mailprobe.providers.cache" in names


def test_probing_one_endpoint_imports_nothing_heavy(bed: BedInfo) -> None:
    port = bed.ports["submission"]
    names = _imported(
        [
            "probe",
            "smtp.mailprobe.test:587",
            "--protocol",
            "smtp",
            "--security",
            "starttls",
            "--connect-to",
            f"smtp.mailprobe.test:587:127.0.0.1:{port}",
            "--ca-file",
            str(bed.ca_file),
            "--json",
        ]
    )
    assert _heavy(names, NOT_FOR_PROBE) == []
    assert "mailprobe.probes.smtp" in names


def test_the_guard_would_notice() -> None:
    # The same reading does see a heavy module where the run needs one.
    names = _imported(["db", "validate", str(ROOT / "provider_db")])
    assert "tomllib" in _heavy(names, ("tomllib",))
