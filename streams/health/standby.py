"""A worker that holds no partitions but is a settled member of its group is a healthy standby.

With more workers of a stage than the stage has partitions, some members get nothing: they are the
spare that takes over when a peer dies, and marking them unready would have Kubernetes hold a rolling
update or page somebody for a worker that does exactly its job. A member is settled when the group
coordinator gave it a member id and a generation (the join round trip completed) and no rejoin is
pending (a rebalance in progress is not ready: it may be about to receive partitions it has not
positioned). The join round trip alone is not enough: the member id and generation arrive with the
JoinGroup answer, before the SyncGroup that hands out the partitions, and a follower's SyncGroup can
wait for seconds (on Tansu, until a dead leader's session expires); only a finished sync settles it.
Whether the broker answers is /readyz's other half (streams/health/broker.py).
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_standby"]


def is_standby(app: Any) -> bool:
    """True when the app's consumer is a joined, settled group member (with or without partitions)."""
    try:
        coordinator = app.consumer._thread._consumer._coordinator  # faust thread -> aiokafka consumer
        subscriptions = coordinator._subscription
    except AttributeError:  # not started, or no group (embedded mode assigns every partition itself)
        return False
    if subscriptions.reassignment_in_progress:  # joining, or waiting for its SyncGroup
        return False
    rejoin = getattr(coordinator, "_rejoin_needed_fut", None)
    return bool(getattr(coordinator, "member_id", "")
                and getattr(coordinator, "generation", -1) >= 0  # Tansu's first generation is 0
                and rejoin is not None and not rejoin.done())
