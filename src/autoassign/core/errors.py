"""Every error autoassign raises on purpose, as one tree.

AutoassignError
├── InvalidInput                 bad input from a caller (API, CLI, embedding code)
│   ├── InvalidPolicy            a policy field is out of range
│   ├── InvalidValue             an unknown enum value or malformed field
│   └── InvalidLimit             a batch limit that is not a positive integer
├── NotFound                     an id that does not exist (or belongs to another account)
│   ├── AccountNotFound
│   ├── AgentNotFound
│   ├── InboxNotFound
│   ├── TeamNotFound
│   ├── ConversationNotFound
│   ├── PolicyNotFound           an assignment policy
│   ├── InboxPolicyNotFound      an inbox without a linked assignment policy
│   ├── CapacityPolicyNotFound
│   ├── InboxLimitNotFound       a per-inbox limit of a capacity policy
│   ├── WebhookNotFound
│   ├── DeliveryNotFound         a delivery of a webhook
│   └── TokenNotFound            an API token of the account
├── NotAuthenticated             no valid API token
├── Conflict                     a uniqueness or reference rule would be broken
├── WebhookError                 a webhook delivery that must not happen or be trusted
│   ├── WebhookTargetRefused     the target is not public and not allow-listed
│   └── InvalidSignature         a received delivery's signature does not verify
└── BackendUnavailable           infrastructure is down; the operation changed nothing
    ├── StoreUnavailable         the SQL database
    └── StateStoreUnavailable    the state store (Redis)
"""

from __future__ import annotations


class AutoassignError(Exception):
    """Something autoassign refused or could not do."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (self.__doc__ or type(self).__name__).strip()
        super().__init__(self.message)


class InvalidInput(AutoassignError):
    """The input is not valid."""

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class InvalidPolicy(InvalidInput):
    """The policy is not valid."""


class InvalidValue(InvalidInput):
    """A value is not one of the allowed ones."""


class InvalidLimit(InvalidInput):
    """The batch limit must be a positive integer."""


class NotFound(AutoassignError):
    """The object does not exist."""

    kind = "object"

    def __init__(self, object_id: int | str) -> None:
        self.object_id = object_id
        super().__init__(f"{self.kind} {object_id} not found")


class AccountNotFound(NotFound):
    kind = "account"


class AgentNotFound(NotFound):
    kind = "agent"


class InboxNotFound(NotFound):
    kind = "inbox"


class TeamNotFound(NotFound):
    kind = "team"


class InboxMemberNotFound(NotFound):
    """The agent is not a member of the inbox."""

    kind = "member of the inbox: agent"


class ConversationNotFound(NotFound):
    kind = "conversation"


class PolicyNotFound(NotFound):
    kind = "assignment policy"


class InboxPolicyNotFound(NotFound):
    """The inbox has no assignment policy linked."""

    kind = "assignment policy of inbox"


class CapacityPolicyNotFound(NotFound):
    kind = "capacity policy"


class InboxLimitNotFound(NotFound):
    kind = "inbox limit"


class WebhookNotFound(NotFound):
    kind = "webhook"


class DeliveryNotFound(NotFound):
    """A delivery id that is not one of this webhook's deliveries."""

    kind = "webhook delivery"


class TimeOffNotFound(NotFound):
    """A time-off id that is not one of this agent's."""

    kind = "time off"


class TokenNotFound(NotFound):
    """An API token id that is not one of the account's."""

    kind = "api token"


class NotAuthenticated(AutoassignError):
    """A valid api_access_token header is required."""


class Conflict(AutoassignError):
    """The change conflicts with an existing object."""


class WebhookError(AutoassignError):
    """A webhook delivery that must not happen, or must not be trusted."""


class WebhookTargetRefused(WebhookError):
    """The webhook's host is not public and not allow-listed."""


class InvalidSignature(WebhookError):
    """The delivery's signature does not verify: forged, altered, replayed or malformed."""


class BackendUnavailable(AutoassignError):
    """A backend could not be reached; nothing was changed."""


class StoreUnavailable(BackendUnavailable):
    """The SQL database could not be reached; nothing was changed."""


class StateStoreUnavailable(BackendUnavailable):
    """The state store could not be reached; nothing was changed."""
