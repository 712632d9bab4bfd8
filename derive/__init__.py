"""crmix.derive: the mathematics of both seed papers in SymPy, as named checks."""
