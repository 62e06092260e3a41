"""The loopback test bed: real NSD, nginx, Dovecot and Postfix, plus throwaway certificates.

`python -m testbed start --dir DIR` / `stop --dir DIR`, or `with Bed() as info: ...`;
tests read a running bed's DIR/bed.json with `load_bed`.
"""

from testbed.bed import Bed, missing_binaries, stop_bed
from testbed.info import BedInfo, BedUser, DnsServer, load_bed
from testbed.proc import BedError

__all__ = [
    "Bed",
    "BedError",
    "BedInfo",
    "BedUser",
    "DnsServer",
    "load_bed",
    "missing_binaries",
    "stop_bed",
]
