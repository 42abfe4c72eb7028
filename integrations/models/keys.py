"""API keys and staff access/refresh tokens (only hashes stored)."""
