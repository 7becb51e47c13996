"""Metrics (Prometheus) and logs (level, text or JSON lines, per-message context): one place each."""
