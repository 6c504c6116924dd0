"""Billing the cargo owners: tariffs, charges derived from the floor's facts, periods and
statements (see docs/billing.md)."""
