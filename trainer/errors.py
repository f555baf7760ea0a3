"""The project's own errors: the CLI turns each into one line on stderr and an exit code."""

from __future__ import annotations


class TrainerError(Exception):
    """Anything the user can fix; its message is the one line they see."""

    exit_code = 1


class DeckError(TrainerError):
    """A deck or import file is malformed; the message starts with `FILE:LINE:`."""

    exit_code = 2


class RegistryError(DeckError):
    """A port registry file (IANA CSV, services, nmap-services) has a malformed line."""


class StoreError(TrainerError):
    """The database cannot be opened, is too new, or refuses a write."""


def located(path: object, line: int | None, message: str) -> str:
    """Format `FILE:LINE: message` (or `FILE: message`) the way compilers do, so editors can jump."""
    return f"{path}:{line}: {message}" if line else f"{path}: {message}"
