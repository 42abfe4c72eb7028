from .catalog import *  # noqa: F403
