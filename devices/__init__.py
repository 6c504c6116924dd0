"""bondfloor devices: scanners, printers, discovery and the station agent.

A library of its own: it never imports `server/` and talks to the server over HTTP.
"""
