"""Tables as they come: ``TabularModel`` (a schema plus a ``Network``) and the column
schema it learns (``ColumnSchema``)."""

from ._columns import ColumnSchema, read_table
from .model import TabularModel

__all__ = ["ColumnSchema", "TabularModel", "read_table"]
