"""StarRocks Console: a desktop admin console for StarRocks."""

__version__ = "0.1.0"
