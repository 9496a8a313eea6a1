"""Every Redis key autoassign uses is built here.

Keys of one inbox share a hash tag, so a Lua script over them works on Redis Cluster.
"""

from __future__ import annotations


class Keys:
    def __init__(self, prefix: str = "aa") -> None:
        self.prefix = prefix

    def _inbox(self, inbox_id: int) -> str:
        return f"{self.prefix}:{{inbox:{inbox_id}}}"

    def window(self, inbox_id: int, agent_id: int) -> str:
        """ZSET: conversation id → assigned at (ms); the agent's fair-distribution window."""
        return f"{self._inbox(inbox_id)}:win:{agent_id}"

    def rotation(self, inbox_id: int) -> str:
        """ZSET: agent id → rotation sequence (larger = assigned more recently)."""
        return f"{self._inbox(inbox_id)}:rr"

    def hydrated(self, inbox_id: int) -> str:
        """STRING: the window (s) the inbox's state was rebuilt with; gone after a flush."""
        return f"{self._inbox(inbox_id)}:hydrated"

    def presence(self, account_id: int) -> str:
        """ZSET: agent id → heartbeat expiry (ms)."""
        return f"{self.prefix}:{{account:{account_id}}}:presence"

    def gate(self, name: str) -> str:
        """STRING "1" with an expiry: a run is queued or running."""
        return f"{self.prefix}:{{gate:{name}}}:held"

    def again(self, name: str) -> str:
        """STRING "1": triggers arrived while the run held the gate."""
        return f"{self.prefix}:{{gate:{name}}}:again"
