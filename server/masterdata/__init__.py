"""Customers, SKUs with barcodes, locations."""
