"""The backends of ``crmix codegen``, laid out as SymForce lays out its own: ``backends/<name>/{printer, config, templates}``.

* :mod:`~crmix.codegen.backends.kernels` -- derive's ``KERNELS`` as NumPy/CuPy array functions (the
  time kernels, the mixing weights, the axisymmetric coupling weights);
* :mod:`~crmix.codegen.backends.numpy`, :mod:`~crmix.codegen.backends.numba`,
  :mod:`~crmix.codegen.backends.cuda` -- the Boris pusher and the field lookups, from the one
  backend-neutral description of :mod:`~crmix.codegen.backends.pusher`.

Each backend is an object (crmix.codegen.backend.Backend) whose ``render(target)`` gives the text of a
generated module; every printer derives from the one base crmix.codegen.printer.FunctionTable and
every module carries the one digest of crmix.codegen.digest.
"""
