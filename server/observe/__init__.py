"""Observability: one log format, the access log, Prometheus metrics and readiness."""
