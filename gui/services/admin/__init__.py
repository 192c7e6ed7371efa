"""The administration pages' work, Qt-free: each page's statements (the SQL a person could run by
hand, kept for "Show SQL") run through one SqlRunner over the FE's query port; what the HTTP SQL API
accepts falls back to it when the query port cannot be reached, the rest is refused naming the port.
"""

from .base import AdminSql, Ran, Table, quote_ident, quote_string
from .config import BeConfigItem, ConfigService, FeConfigItem
from .pipes import PipeFile, PipeRow, PipesService
from .schema import SchemaService, TableRow, TabletHealth
from .sessions import SessionRow, SessionsService
from .users import PasswordRules, UsersService

__all__ = [
    "AdminSql",
    "BeConfigItem",
    "ConfigService",
    "FeConfigItem",
    "PasswordRules",
    "PipeFile",
    "PipeRow",
    "PipesService",
    "Ran",
    "SchemaService",
    "SessionRow",
    "SessionsService",
    "Table",
    "TableRow",
    "TabletHealth",
    "UsersService",
    "quote_ident",
    "quote_string",
]
