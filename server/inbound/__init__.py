"""Inbound: delivery plans (ASN), arrival check-in, receiving with tally, the receipt."""
