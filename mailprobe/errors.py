"""The exceptions mailprobe raises on purpose: input the caller must fix.

Expected failures (a server that refuses, a DNS timeout, a broken XML file) are data:
statuses and reasons inside `SourceOutcome` and `ProbeResult`. Exceptions are for input
the caller must fix; a programming error surfaces as an ordinary Python exception.

    MailprobeError
    ├── InvalidInputError          the caller gave something unusable (exit code 2)
    │   ├── InvalidAddressError    not a usable user@domain address
    │   ├── InvalidOptionError     an option value that cannot be parsed or makes no sense
    │   │   └── InvalidArgumentError   a library keyword argument, named in `.argument`
    │   ├── ProviderDbError        a provider database file that fails validation
    │   ├── PolicyError            a policy file that fails validation (file, key, line)
    │   └── BaselineError          a baseline report that cannot be compared

Bugs are not wrapped in a class of their own: any other exception reaching the command line
is reported as an internal error (exit code 70, see docs/exit-codes.md).
"""

from __future__ import annotations


class MailprobeError(Exception):
    """Base class of every exception mailprobe raises on purpose."""


class InvalidInputError(MailprobeError):
    """The caller supplied input that cannot be used; the message says what to fix."""


class InvalidAddressError(InvalidInputError):
    """The text is not a usable e-mail address (raised by `parse_address`)."""


class InvalidOptionError(InvalidInputError):
    """An option value (nameserver, connect-to rule, timeout, ...) is malformed."""


class ProviderDbError(InvalidInputError):
    """A provider database file fails validation; the message names the file and field."""


class InvalidArgumentError(InvalidOptionError):
    """A keyword argument of `mailprobe.check`/`discover`/`probe` is unusable.

    `argument` is the keyword's name (e.g. ``"protocol"``); the message starts with it.
    """

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument


class PolicyError(InvalidInputError):
    """A `--policy` file is not valid TOML or has an unknown key or a wrong type."""


class BaselineError(InvalidInputError):
    """A `--baseline` report cannot be read or compared (wrong schema or address)."""
