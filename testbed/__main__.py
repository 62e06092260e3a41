"""`python -m testbed start|stop|status|args --dir DIR`: run the loopback test bed.

`args` prints the mailprobe options that aim it at the bed (`--dns-routing`: ports only,
addresses from the bed's DNS; `--inbound`: the options for `mailprobe domain`), e.g.
`mailprobe alice@mailprobe.test $(python -m testbed args --dir DIR)`.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from testbed.bed import Bed, stop_bed
from testbed.info import BED_JSON, load_bed
from testbed.proc import BedError, alive


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m testbed", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status", "args"])
    parser.add_argument("--dir", type=Path, required=True, help="state directory of the bed")
    parser.add_argument("--dns-routing", action="store_true", help="args: ports-only rules")
    parser.add_argument(
        "--inbound", action="store_true", help="args: the options for `mailprobe domain`"
    )
    args = parser.parse_args(argv)
    if args.command == "start":
        try:
            info = Bed(args.dir).start()
        except BedError as exc:
            print(f"testbed: {exc}", file=sys.stderr)
            return 1
        print(f"testbed: running, see {info.dir / BED_JSON}")
        return 0
    if args.command == "stop":
        stopped = stop_bed(args.dir)
        print(f"testbed: stopped {', '.join(stopped) or 'nothing'}")
        return 0
    if args.command == "args" and args.inbound:
        from testbed.inbound import INBOUND_JSON, load_inbound

        try:
            print(shlex.join(load_inbound(args.dir).cli_args()))
        except (OSError, ValueError, KeyError) as exc:
            print(f"testbed: cannot read {args.dir / INBOUND_JSON}: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.command == "args":
        try:
            info = load_bed(args.dir)
        except (OSError, ValueError, KeyError) as exc:
            print(f"testbed: cannot read {args.dir / BED_JSON}: {exc}", file=sys.stderr)
            return 1
        print(shlex.join(info.cli_args(dns_routing=args.dns_routing)))
        return 0
    try:
        pids = json.loads((args.dir / BED_JSON).read_text())["pids"]
    except (OSError, ValueError, KeyError):
        print("testbed: no bed.json", file=sys.stderr)
        return 1
    down = [name for name, pid in pids.items() if not alive(int(pid))]
    print(f"testbed: {'down: ' + ', '.join(down) if down else 'all running'}")
    return 1 if down else 0


if __name__ == "__main__":
    sys.exit(main())
