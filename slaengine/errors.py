"""The exception tree of the domain core.

Views map these onto HTTP answers: :class:`NotFound` → 404,
:class:`Conflict` → 409, :class:`InvalidInput` → 422.
"""


class SlaEngineError(Exception):
    """Base of every error the domain core raises on purpose."""


class InvalidInput(SlaEngineError, ValueError):
    """Input that names something unknown or malformed.

    :param message: what is wrong, in words an operator can act on.
    :param field: the name of the offending field, where there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ConfigError(SlaEngineError):
    """A setting, policy file or center file that cannot be used."""


class NotFound(SlaEngineError, LookupError):
    """A ticket, user or other record that does not exist."""


class Conflict(SlaEngineError):
    """A change that cannot be applied to the record as it now stands."""


class InvalidTransition(Conflict):
    """A status change the ticket's status machine does not allow."""

    def __init__(self, from_status: str, to_status: str) -> None:
        super().__init__(f"cannot change status from {from_status!r} to {to_status!r}")
        self.from_status = from_status
        self.to_status = to_status


class StaleVersion(Conflict):
    """An edit made from an out-of-date copy of a ticket."""

    def __init__(self, ticket_id: int, expected: int, actual: int) -> None:
        super().__init__(
            f"ticket #{ticket_id} was changed by someone else "
            f"(you edited version {expected}, it is now at version {actual})"
        )
        self.ticket_id = ticket_id
        self.expected = expected
        self.actual = actual
