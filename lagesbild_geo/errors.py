"""Errors raised by lagesbild_geo.

Every error subclasses :class:`LagesbildError` *and* the built-in exception it
resembles, so callers can catch either (``except ValueError`` keeps working).
A message names the input, what was expected, what arrived, and the fix.
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "ConflictError",
    "FetchError",
    "GeocodeError",
    "InputError",
    "LagesbildError",
    "NotFoundError",
    "PrivacyError",
    "PrivacyWarning",
    "SchemaError",
    "StoreError",
    "ValidationError",
]


class LagesbildError(Exception):
    """Base class of every error raised on purpose by lagesbild_geo."""


class InputError(LagesbildError, ValueError):
    """A file or table cannot be read as given (empty, corrupt, no usable columns...)."""


class SchemaError(InputError):
    """Columns are missing or ambiguous; the message lists the candidates."""


class CRSError(LagesbildError, ValueError):
    """Coordinates whose reference system cannot be recognised or is inconsistent."""


class GeocodeError(LagesbildError, ValueError):
    """A gazetteer or geocoder cannot be used as given."""


class ValidationError(LagesbildError, ValueError):
    """A value breaks a rule of the model (an area, a measure, a setting).

    ``problems`` lists every problem found as ``(field, message_en, message_sv)``
    so an app can show them all at once, in Swedish.
    """

    def __init__(self, problems: list[tuple[str, str, str]] | str) -> None:
        if isinstance(problems, str):
            problems = [("", problems, problems)]
        self.problems = list(problems)
        text = "; ".join(f"{f}: {en}" if f else en for f, en, _ in self.problems)
        super().__init__(text)

    @property
    def message_sv(self) -> str:
        """The problems in Swedish, one per line."""
        return "\n".join(f"{f}: {sv}" if f else sv for f, _, sv in self.problems)


class StoreError(LagesbildError, RuntimeError):
    """The measure store cannot be opened or written."""


class NotFoundError(StoreError, KeyError):
    """An id that does not exist (or was deleted) in the store."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it plain
        return str(self.args[0]) if self.args else ""


class ConflictError(StoreError):
    """A save based on a stale version: someone else saved first."""


class FetchError(LagesbildError, ConnectionError):
    """A web service (the police events API) could not be reached or answered wrongly;
    the message says why in Swedish and what to do."""


class PrivacyError(LagesbildError, ValueError):
    """An operation would publish data that the privacy rules forbid."""


class PrivacyWarning(UserWarning):
    """The publishing step could not protect every small count (the published figures still
    pin one); the picture says how many in ``metadata["published_notes"]["unprotected"]``."""
