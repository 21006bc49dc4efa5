"""Metrics for the family justice boards."""
