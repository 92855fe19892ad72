"""Tables as they come: ``TabularModel`` (a schema plus a ``Network``), the column
schema it learns (``ColumnSchema``), and reading and splitting tables."""

from ._columns import ColumnSchema, read_table, split_table
from .model import TabularModel

__all__ = ["ColumnSchema", "TabularModel", "read_table", "split_table"]
