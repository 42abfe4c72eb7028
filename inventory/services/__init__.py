"""Writes of the inventory app, split by subject: the catalog here, stock in its own modules."""

from .catalog import *  # noqa: F403  (the catalog's public functions, as before the split)
