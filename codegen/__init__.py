"""crmix.codegen: jinja2 templates turning derive's expressions into NumPy/CuPy kernels."""
