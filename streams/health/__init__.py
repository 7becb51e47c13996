"""Broker health as the components see it: reachability and the topics the broker actually has."""

from streams.health.broker import BrokerProbe, ProbeResult, fetch_topics
from streams.health.guard import TopicGuard

__all__ = ["BrokerProbe", "ProbeResult", "TopicGuard", "fetch_topics"]
