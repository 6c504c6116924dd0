"""Stock reconciliation with the OMS: snapshots at a journal point, and differences."""
