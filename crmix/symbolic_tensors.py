"""The SymPy side of the geometries: each component's polarisation at azimuth 0 as a matrix in c = cos theta_k.

crmix.derive (``axisymmetric_tensor_normalisation``) and the tests check these against the numeric
polarisations of crmix.spectral_tensors; crmix.geometry attaches them to the built-in geometries.
SymPy is imported when a polarisation is built, not with this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sympy as sp

__all__ = ["SymbolicComponent", "isotropic_symbolic", "slab_symbolic", "two_d_symbolic"]


@dataclass(frozen=True)
class SymbolicComponent:
    """One component of a geometry's tensor in SymPy: P_ij at azimuth 0 = E(k) fraction pol(c) on ``support``.

    ``polarisation`` is a 3x3 matrix in the symbol ``c`` = cos theta_k (k^ = (sqrt(1 - c^2), 0, c));
    its trace summed or integrated over the support is 1 (crmix.spectral_tensors).
    """

    name: str
    support: str
    fraction: float
    polarisation: sp.Matrix



def slab_symbolic(c: Any) -> Any:
    """KPM (28): diag(1, 1, 0)/4 on the slab support (c = +-1, unit trace summed over both)."""
    import sympy as sp

    return sp.diag(1, 1, 0) / 4


def isotropic_symbolic(c: Any) -> Any:
    """MA19 (3.12): (1 - k^ k^T)/4, unit trace integrated over c in [-1, 1]."""
    import sympy as sp

    kh = sp.Matrix([sp.sqrt(1 - c**2), 0, c])
    return (sp.eye(3) - kh * kh.T) / 4


def two_d_symbolic(c: Any) -> Any:
    """2D: omega along k x B0 = y at azimuth 0, on c = 0."""
    import sympy as sp

    return sp.diag(0, 1, 0)
