"""The mixing matrix M = 1 + 2 M^(1a) + M^(1c) (KPM (17), (22)-(25); MA19 (3.6)) in closed form: slab and isotropic.

A geometry carries its closed form (crmix.closed_forms.ClosedForm, ``geometry.closed_form(model)``;
slab on helices and straight lines, isotropic on straight lines); every other geometry and orbit
takes the generic path (crmix.solver.axisymmetric); crmix.solver.dispatch picks the one or the other.

The scalar weights come from ``crmix.generated.mixing_weights`` (generated from
``crmix.derive.mixing_weights``); Lambda_l and kappa_{lA lB} from ``crmix.solver.integrals``.

The m0 sum in closed form
-------------------------
Both geometries need, for each (l, l0), S_{lA lB} = sum_{m0} w(m0) T_{lA}(m0) T_{lB}(m0) with
T_{lA}(m0) = (l l0 lA; -m0 m0 0) and an even weight w = w_0 + w_2 m0^2 (KPM (47), MA19 (3.23)).
Instead of tabulating T for every m0 (10^7 numbers at l_max = 100), the Schulten-Gordon recursion in
lA with m3 = 0 is read as an eigen-relation for m0 (its B coefficient is 2 m0 lA(lA+1)(2lA+1)):

    m0 T_{lA} = alpha_{lA} T_{lA+1} + beta_{lA} T_{lA-1},
    alpha_A = -sqrt(((A+1)^2 - (l-l0)^2)((l+l0+1)^2 - (A+1)^2)) / (2(2A+1)),
    beta_A  = -sqrt((A^2 - (l-l0)^2)((l+l0+1)^2 - A^2)) / (2(2A+1)),

and with the orthogonality sum_{m0} T_A T_B = delta_AB/(2A+1):

    sum_{m0} m0^2 T_A T_A     = alpha_A^2/(2A+3) + beta_A^2/(2A-1),
    sum_{m0} m0^2 T_A T_{A+2} = alpha_A beta_{A+2}/(2A+3),         all other pairs 0.

S is therefore tridiagonal in the lA of one parity, and the (lA, lB) double sum touches only
kappa_{AA} and kappa_{A,A+2}: O(l_max^3) work in all, with the zero-m symbols (l l0 lA; 0 0 0) from
the vectorised recursion of :mod:`crmix.solver.wigner`.  The moments are derived in
``crmix.derive.threej`` (and checked there against exact sums of 3j symbols) and evaluated here as
the generated kernels ``m0_moment_*``; the tests check S against the m0 tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any, cast

import numpy as np
from tqdm.auto import tqdm

from crmix.backend import to_numpy
from crmix.closed_forms import ISOTROPIC_CLOSED_FORM, SLAB_CLOSED_FORM, ClosedForm
from crmix.generated import mixing_weights as kernels
from crmix.model import TurbulenceModel
from crmix.solver.wigner import zero_m_threej
from crmix.validation import integer, real

__all__ = ["CLOSED_FORMS", "ClosedForm", "MixingMatrix", "closed_form", "m0_weights", "m1a_diagonal", "m1a_kernel", "m1c0_kernel",
           "m1c_matrix", "mixing_matrix", "model_closed_form", "spectral_weight"]


#: The closed forms by name (a geometry carries the object itself: crmix.geometry, crmix.closed_forms).
CLOSED_FORMS: dict[str, ClosedForm] = {form.name: form for form in (SLAB_CLOSED_FORM, ISOTROPIC_CLOSED_FORM)}


def m1a_kernel(form: ClosedForm) -> Callable[..., Any]:
    """The generated M^(1a)_ll(l, Lambda_0, Lambda_2) of ``form`` (crmix.generated.mixing_weights)."""
    return cast(Callable[..., Any], getattr(kernels, form.m1a_kernel))


def m0_weights(form: ClosedForm, ell0: Any, xp: ModuleType = np) -> tuple[Any, Any]:
    """(w_0, w_2) of ``form``'s even m0 weight at l0 (generated)."""
    return getattr(kernels, f"{form.m0_weight}_c0")(ell0, xp=xp), getattr(kernels, f"{form.m0_weight}_c2")(ell0, xp=xp)


def m1c0_kernel(form: ClosedForm) -> Callable[..., Any] | None:
    """The generated extra diagonal term of MA19 (3.21), None where ``form`` has none (slab)."""
    return None if form.m1c0_kernel is None else cast(Callable[..., Any], getattr(kernels, form.m1c0_kernel))


def closed_form(key: str | ClosedForm) -> ClosedForm:
    """``key`` itself when it is a ClosedForm, else CLOSED_FORMS[key], or a ValueError naming the keys."""
    if isinstance(key, ClosedForm):
        return key
    if key not in CLOSED_FORMS:
        raise ValueError(f"geometry (closed form) must be one of {tuple(CLOSED_FORMS)}, got {key!r}")
    return CLOSED_FORMS[key]


@dataclass(frozen=True)
class MixingMatrix:
    """M(dt) = 1 + 2 diag(m1a) + m1c, truncated at lmax (KPM (17); index [ell, ell0]).

    dt      Delta T in 1/Omega_ref.
    lmax    largest multipole of the truncation.
    m1a     (lmax+1,) diagonal of M^(1a) (= M^(1b)).
    m1c     (lmax+1, lmax+1) M^(1c)_{ell, ell0}.
    error   estimated maximum absolute error of the entries (from the integrals' error estimates).
    """

    dt: float
    lmax: int
    m1a: np.ndarray
    m1c: np.ndarray
    error: float

    @property
    def full(self) -> np.ndarray:
        """1 + 2 diag(m1a) + m1c (host arrays: see :meth:`on_host`)."""
        return np.eye(self.lmax + 1) + 2.0 * np.diag(self.m1a) + self.m1c

    def on_host(self) -> MixingMatrix:
        """The same matrix with NumPy arrays (CuPy's brought to host memory): what the steady state and closures solve."""
        return replace(self, m1a=to_numpy(self.m1a), m1c=to_numpy(self.m1c))


def _check_lmax(lmax: Any) -> int:
    return integer("lmax", lmax, ge=2)


def _broadcast(value: Any, shape: tuple[int, ...], xp: ModuleType) -> Any:
    """A generated kernel may return a scalar for a constant expression; give it the grid's shape."""
    return xp.broadcast_to(xp.asarray(value, dtype=float), shape)


def _m0_moments(lmax: int, xp: ModuleType) -> tuple[Any, Any, Any, Any, Any]:
    """Grid lA = |l - l0| + 2j, its mask j <= min(l, l0), and the m0 moments sum T_A^2, sum m0^2 T_A^2,
    sum m0^2 T_A T_{A+2}.

    The moments are generated kernels (``crmix.derive.threej``, module doc); entries with j > min(l, l0)
    are 0.
    """
    idx = xp.arange(lmax + 1, dtype=float)
    ell = idx[:, None, None]
    ell0 = idx[None, :, None]
    j = idx[None, None, :]
    a = xp.abs(ell - ell0) + 2.0 * j
    valid = (j <= xp.minimum(ell, ell0)) * 1.0
    shape = (lmax + 1, lmax + 1, lmax + 1)
    zeroth = _broadcast(kernels.m0_moment_0(a, xp=xp), shape, xp) * valid
    diag = kernels.m0_moment_2_diagonal(ell, ell0, a, xp=xp) * valid
    off = kernels.m0_moment_2_offdiagonal(ell, ell0, a, xp=xp)  # 0 where lA + 2 > l + l0, i.e. j + 1 > min(l, l0)
    return a, valid, zeroth, diag, off


def m1c_matrix(kappa: Any, lmax: int, geometry: str, *, kappa_error: Any | None = None,
               xp: ModuleType = np) -> tuple[Any, float]:
    """M^(1c)_{l l0} for l, l0 <= lmax from kappa_{lA lB} (lA, lB <= 2 lmax); and its error bound.

    Slab: KPM (47) in the form of docs/physics.md (weight G).  Isotropic: MA19 (3.21) + (3.23)
    (weight g, Omega = 0) with (3.23) in its m0-sum form (module doc; equal for l0 >= 1, 0 at l0 = 0).
    ``kappa_error`` (same shape) gives the error bound sum |coefficient| |kappa error|.
    """
    lmax = _check_lmax(lmax)
    form = closed_form(geometry)
    kappa = xp.asarray(kappa, dtype=float)
    need = 2 * lmax + 1
    if kappa.ndim != 2 or kappa.shape[0] < need or kappa.shape[1] < need:
        raise ValueError(f"kappa must be at least ({need}, {need}) for lmax = {lmax} (lA, lB up to 2 lmax), "
                         f"got shape {tuple(kappa.shape)}")
    shape = (lmax + 1, lmax + 1, lmax + 1)
    a, valid, zeroth, diag_m2, off_m2 = _m0_moments(lmax, xp)
    ell0 = xp.broadcast_to(xp.arange(lmax + 1, dtype=float)[None, :, None], shape)
    t0 = zero_m_threej(lmax, xp=xp)
    v = _broadcast(kernels.slab_m1c_index_weight(a, xp=xp), shape, xp) * t0
    l0w = _broadcast(kernels.slab_m1c_l0_weight(ell0, xp=xp), shape, xp)
    w0, w2 = m0_weights(form, ell0, xp=xp)
    w0, w2 = _broadcast(w0, shape, xp), _broadcast(w2, shape, xp)
    # sum_AB v_A v_B kappa_AB S_AB with S = w0 (zeroth moments) + w2 (m0^2 moments), tridiagonal in j
    c_diag = l0w * v * v * (w0 * zeroth + w2 * diag_m2)
    v_next = xp.concatenate([v[:, :, 1:], xp.zeros((lmax + 1, lmax + 1, 1))], axis=2)
    c_off = 2.0 * l0w * w2 * off_m2 * v * v_next
    m1c0 = m1c0_kernel(form)
    if m1c0 is not None:
        c_diag = c_diag + _broadcast(m1c0(ell0, a, xp=xp), shape, xp) * t0 * t0 * valid
    ia = (a * valid).astype(xp.int64)
    ia = xp.broadcast_to(ia, shape)
    ib = xp.minimum(ia + 2, 2 * lmax)

    def contract(k: Any, cd: Any, co: Any) -> Any:
        return xp.sum(cd * k[ia, ia] + co * k[ia, ib], axis=2)

    m1c = contract(kappa, c_diag, c_off)
    err = 0.0
    if kappa_error is not None:
        kerr = xp.abs(xp.asarray(kappa_error, dtype=float))
        err = float(xp.max(contract(kerr, xp.abs(c_diag), xp.abs(c_off))))
    return m1c, err


def m1a_diagonal(lambda0: float, lambda2: float, lmax: int, geometry: str, *,
                 lambda_error: tuple[float, float] = (0.0, 0.0), xp: ModuleType = np) -> tuple[Any, float]:
    """Diagonal M^(1a)_{ll}, l <= lmax: slab KPM (38) with G; isotropic MA19 (3.15) with g."""
    lmax = _check_lmax(lmax)
    kernel = m1a_kernel(closed_form(geometry))
    ell = xp.arange(lmax + 1, dtype=float)
    m1a = kernel(ell, lambda0, lambda2, xp=xp)
    e0, e2 = (abs(float(e)) for e in lambda_error)
    err = xp.abs(kernel(ell, e0, 0.0, xp=xp)) + xp.abs(kernel(ell, 0.0, e2, xp=xp))
    return m1a, float(xp.max(err))


def model_closed_form(model: TurbulenceModel) -> ClosedForm:
    """The closed form of the model's geometry on its orbit, or a ValueError that names the generic path."""
    form = model.turbulence.closed_form(model)
    if form is None:
        raise ValueError(f"no closed-form mixing matrix for {model.geometry} turbulence on {model.turbulence.orbit(model)} "
                         f"orbits (eta = {model.eta}): use crmix.solver.dispatch.model_mixing_matrix (the generic path)")
    return form


def spectral_weight(model: TurbulenceModel):
    """W(k, xp) of the model's closed form: G = E/2 for slab (docs/physics.md), g = E/(8 pi) for isotropic (MA19 (3.12))."""
    divisor = model_closed_form(model).weight_divisor
    return lambda k, xp=np: model.power(k, xp) / divisor


def mixing_matrix(model: TurbulenceModel, dt: float, lmax: int, *, rtol: float = 1e-10,
                  xp: ModuleType = np, progress: bool = False) -> MixingMatrix:
    """M(dt) for ``model`` truncated at ``lmax``: Lambda_0, Lambda_2 and kappa up to 2 lmax, contracted.

    Slab: helical orbits with Omega = model.Omega, weight G = E/2 (KPM (38), (47); docs/physics.md).
    Isotropic: straight lines (MA19), which needs model.Omega = 0 (eta = 1), weight g = E/(8 pi).
    Geometries without a closed form on the model's orbit raise a ValueError (the generic path is
    crmix.solver.axisymmetric).
    """
    lmax = _check_lmax(lmax)
    dt = real("dt", dt, gt=0, unit="1/Omega_ref")
    rtol = real("rtol", rtol, gt=0, lt=1)
    form = model_closed_form(model)
    from crmix.solver.integrals import kappa, lambda_l

    weight = spectral_weight(model)
    steps = tqdm(total=3, desc="mixing matrix", unit="step", disable=not progress)
    steps.set_postfix_str("Lambda_l")
    lam = lambda_l(weight, model.k_min, model.k_max, dt, model.Omega, 2, rtol=rtol, xp=xp)
    steps.update()
    steps.set_postfix_str(f"kappa up to l = {2 * lmax}")
    kap = kappa(weight, model.k_min, model.k_max, dt, model.Omega, 2 * lmax, rtol=rtol, xp=xp)
    steps.update()
    steps.set_postfix_str("contraction")
    lam_v, lam_e = xp.asarray(lam.value), xp.asarray(lam.error)
    m1a, err_a = m1a_diagonal(float(lam_v[0]), float(lam_v[2]), lmax, form.name,
                              lambda_error=(float(lam_e[0]), float(lam_e[2])), xp=xp)
    m1c, err_c = m1c_matrix(kap.value, lmax, form.name, kappa_error=kap.error, xp=xp)
    steps.update()
    steps.close()
    return MixingMatrix(dt=dt, lmax=lmax, m1a=to_numpy(m1a), m1c=to_numpy(m1c), error=2.0 * err_a + err_c)
