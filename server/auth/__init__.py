"""Users, sessions, API tokens, the audit log."""
