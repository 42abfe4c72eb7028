"""Reads of the inventory app, split by subject: the catalog here, stock in its own modules."""

from .catalog import *  # noqa: F403
