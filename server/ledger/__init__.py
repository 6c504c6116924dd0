"""The stock ledger: movements, balances, events."""
