"""Central transfer allocation: methods as data, exact constrained allocation, explanations.

    from compensation.allocation import allocate, load_method, list_methods, Constraints
"""

from .api import OBJECTIVES, AllocationResult, Constraints, allocate
from .params import Method, Parameter, list_methods, load_method, methods_markdown

__all__ = ["allocate", "load_method", "list_methods", "Constraints", "AllocationResult", "Method", "Parameter",
           "OBJECTIVES", "methods_markdown"]
