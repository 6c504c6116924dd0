"""Health and the settings a browser client needs."""
