"""The owner's API key pages of the back office."""
