from .view import AdminView

__all__ = ["AdminView"]
