"""Trace: the history of a SKU, lot, location, order, parcel or user, and where stock went."""
