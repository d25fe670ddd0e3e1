"""Beholder extension: byte/packet counters and TCP health counters of a connection flow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from beholder.flows.wire import JSONDict, as_int, compact


@dataclass(slots=True)
class Counters:
    """Sent/received from the point of view of the flow's owner.

    The owner is the local process: the source side for EGRESS flows and the
    destination side for INGRESS flows. ``sent`` is what that process wrote to
    the network, ``received`` what it read -- so a download shows a large
    ``received`` whichever side initiated.
    """

    sent: int = 0
    received: int = 0

    def to_dict(self) -> JSONDict:
        # Both keys always present: "0 sent" is information, not absence.
        return {"sent": self.sent, "received": self.received}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Counters:
        return cls(sent=as_int(d.get("sent")), received=as_int(d.get("received")))


@dataclass(slots=True)
class TCPStats:
    """Health counters from the kernel's tcp_sock at close (or at the last update)."""

    retransmits: int = 0  # segments retransmitted by the owner (total_retrans)
    resets: int = 0  # RSTs sent or received on this connection

    def to_dict(self) -> JSONDict:
        return compact({"retransmits": self.retransmits, "resets": self.resets})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TCPStats:
        return cls(retransmits=as_int(d.get("retransmits")), resets=as_int(d.get("resets")))
