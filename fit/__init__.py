"""crmix.fit: theory meets simulation -- the mixing time fitted to simulated C_l/C_1, and its scaling with tau_s.

The calls a notebook makes: :func:`read_shape` (a ``crmix simulate`` run's C_l/C_1 with its
covariance), :func:`fit_run` (the fit at each l_max), :func:`scaling_relation` (Omega dT against
Omega tau_s over several fits).
"""

from crmix.fit.data import read_shape
from crmix.fit.relation import scaling_relation
from crmix.fit.shape import fit_run

__all__ = ["fit_run", "read_shape", "scaling_relation"]
