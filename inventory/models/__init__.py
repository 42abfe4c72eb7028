"""The catalog (what is sold) and stock (what is on the shelves, and every movement of it)."""

from .catalog import *  # noqa: F403
from .catalog import FTS_CONFIG, product_name_vector  # noqa: F401
from .stock import *  # noqa: F403
