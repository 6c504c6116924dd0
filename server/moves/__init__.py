"""Moves by scan: from a location to another, under the same segregation rules as put-away."""
