"""The filter and rule language: one compiler for list filters, sorts and API rules."""

from backroom.core.rules.compile import compile_filter, compile_sort
from backroom.core.rules.errors import FilterError
from backroom.core.rules.plan import FilterPlan, SortPlan

__all__ = ["FilterError", "FilterPlan", "SortPlan", "compile_filter", "compile_sort"]
