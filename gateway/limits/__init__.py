"""Per-key limits and load shedding: requests per minute, queries in flight, daily model cost."""

from gateway.limits.admission import Admission, admit, admitted_query_id

__all__ = ["Admission", "admit", "admitted_query_id"]
