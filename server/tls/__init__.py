"""HTTPS on the site: its own CA and server certificate, their checks, the CA for handhelds."""
