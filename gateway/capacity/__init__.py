"""Capacity-based admission: refuse (429, Retry-After in ms) a query that would not finish by its deadline."""

from gateway.capacity.gate import CapacityGate, check_capacity

__all__ = ["CapacityGate", "check_capacity"]
