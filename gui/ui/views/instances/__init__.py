"""The StarRocks instances view: TaurusDB instances with their StarRocks instances, details and
nodes, and the changes of an instance followed until it settles."""

from .view import InstancesView

__all__ = ["InstancesView"]
