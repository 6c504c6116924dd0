"""Stock queries: what is where, by customer."""
