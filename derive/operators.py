"""Angular-momentum operators on functions of the direction p^, in both seed conventions.

crmix uses MA19's Hermitian L = -i p x d_p (MA19 (2.2)); KPM (8) writes L = p x d_p with
[L_m, L_n] = eps_mnk L_k.  Here K = p x d_p denotes KPM's operator, K = i L.  The operators are
realised three ways, each checked against the others:

* as Cartesian differential operators on an arbitrary function F(p_x, p_y, p_z);
* as differential operators in (theta, phi), *derived* from the Cartesian form by the chain rule,
  acting on SymPy's spherical harmonics Y_l^m (Condon-Shortley phase);
* as (2l+1)-dimensional matrices built from the ladder coefficients sigma_+-, the representation
  on which operator identities (Hadamard lemma, KPM (42)-(43)) are proved exactly.  (Identities
  between non-commuting symbols are never decided by ``simplify(...) == 0``.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import sympy as sp

from crmix.derive.exact import matrix_vanishes, vanishes, vanishes_on_sphere
from crmix.derive.registry import Verdict, identity, verdict

__all__ = [
    "CONJUGATE_LADDER_SIGN",
    "LIOUVILLE_COEFFICIENT",
    "angular_momentum_matrices",
    "cartesian_L",
    "lam",
    "phi",
    "px",
    "py",
    "pz",
    "rotation_about_z",
    "sigma",
    "spherical_L",
    "theta",
    "ynm",
]

px, py, pz = sp.symbols("p_x p_y p_z", real=True)
theta = sp.Symbol("theta", positive=True)
phi = sp.Symbol("phi", real=True)
lam = sp.Symbol("lambda", real=True)

#: The Lorentz-force term of the Liouville operator is LIOUVILLE_COEFFICIENT Omega.L (``convention_map``).
LIOUVILLE_COEFFICIENT = -sp.I
#: On conjugate harmonics L_+- Y_l^m* = CONJUGATE_LADDER_SIGN sigma_-+ Y_l^(m-+1)* (``ladder_on_conjugate``).
CONJUGATE_LADDER_SIGN = -1

_P = (px, py, pz)
#: the ell values on which matrix identities are proved (integer l: functions on the sphere).
MATRIX_ELLS = (1, 2, 3, 4, 5)
#: the ell values on which differential-operator identities are checked on Y_l^m.
FUNCTION_ELLS = (0, 1, 2, 3)


def _eps(i: int, j: int, k: int) -> int:
    return int(sp.LeviCivita(i, j, k))


def cartesian_L(f: sp.Expr, convention: str = "MA19") -> list[sp.Expr]:
    """(L_x f, L_y f, L_z f) for a function f of p_x, p_y, p_z.

    convention "MA19": L_i = -i eps_ijk p_j d/dp_k (MA19 (2.2), crmix).
    convention "KPM":  K_i = eps_ijk p_j d/dp_k (KPM, text after (8)).
    """
    if convention not in ("MA19", "KPM"):
        raise ValueError(f"convention must be 'MA19' or 'KPM', got {convention!r}")
    factor = -sp.I if convention == "MA19" else sp.Integer(1)
    return [
        sp.expand(factor * sum(_eps(i, j, k) * _P[j] * sp.diff(f, _P[k]) for j in range(3) for k in range(3)))
        for i in range(3)
    ]


@cache
def _spherical_coefficients() -> tuple[tuple[sp.Expr, sp.Expr], ...]:
    """(A_i, B_i) with L_i = A_i d_theta + B_i d_phi, derived from the Cartesian L by the chain rule."""
    r = sp.Symbol("r", positive=True)
    cart = sp.Matrix([r * sp.sin(theta) * sp.cos(phi), r * sp.sin(theta) * sp.sin(phi), r * sp.cos(theta)])
    jac = cart.jacobian([r, theta, phi])
    inv = sp.simplify(jac.inv())  # inv[q, j] = d q / d x_j,  q in (r, theta, phi)
    coeffs = []
    for i in range(3):
        a = sum(-sp.I * _eps(i, j, k) * cart[j] * inv[1, k] for j in range(3) for k in range(3))
        b = sum(-sp.I * _eps(i, j, k) * cart[j] * inv[2, k] for j in range(3) for k in range(3))
        coeffs.append((sp.simplify(sp.trigsimp(a)), sp.simplify(sp.trigsimp(b))))
    return tuple(coeffs)


def spherical_L(f: sp.Expr) -> list[sp.Expr]:
    """(L_x f, L_y f, L_z f), MA19 convention, for f(theta, phi); coefficients from the chain rule."""
    return [a * sp.diff(f, theta) + b * sp.diff(f, phi) for a, b in _spherical_coefficients()]


@cache
def ynm(ell: int, m: int) -> sp.Expr:
    """Y_l^m(theta, phi) with the Condon-Shortley phase, as an explicit SymPy expression."""
    if ell < 0 or abs(m) > ell:
        raise ValueError(f"need l >= 0 and |m| <= l, got l={ell}, m={m}")
    return sp.expand_func(sp.Ynm(ell, m, theta, phi))


def sigma(ell: int, m: int, sign: int) -> sp.Expr:
    """Ladder coefficient sigma_+- = sqrt(l(l+1) - m(m +- 1)) (KPM, text after (45))."""
    return sp.sqrt(ell * (ell + 1) - m * (m + sign))


@cache
def angular_momentum_matrices(ell: int) -> dict[str, sp.Matrix]:
    """Exact matrices of L_x, L_y, L_z, L_+, L_-, L^2 on span{Y_l^m}, basis m = -l..l.

    Column m holds the expansion of L Y_l^m (so products of matrices compose operators).
    """
    if ell < 0:
        raise ValueError(f"ell must be >= 0, got {ell}")
    n = 2 * ell + 1
    lz = sp.diag(*[sp.Integer(m) for m in range(-ell, ell + 1)])
    lp, lm = sp.zeros(n, n), sp.zeros(n, n)
    for i, m in enumerate(range(-ell, ell + 1)):
        if m < ell:
            lp[i + 1, i] = sigma(ell, m, +1)
        if m > -ell:
            lm[i - 1, i] = sigma(ell, m, -1)
    lx = (lp + lm) / 2
    ly = (lp - lm) / (2 * sp.I)
    return {"x": lx, "y": ly, "z": lz, "+": lp, "-": lm, "L2": lx * lx + ly * ly + lz * lz}


def rotation_about_z(ell: int, angle: sp.Expr) -> sp.Matrix:
    """exp(i angle L_z) on span{Y_l^m}: diagonal, exp(i angle m)."""
    return sp.diag(*[sp.exp(sp.I * angle * m) for m in range(-ell, ell + 1)])


# ------------------------------------------------------------------------------------------------
# Item 1: algebra and the map between the conventions
# ------------------------------------------------------------------------------------------------
_F = sp.Function("F")(px, py, pz)


def _commutator_defect(convention: str, structure_constant: sp.Expr) -> list[sp.Expr]:
    ops = lambda g: cartesian_L(g, convention)  # noqa: E731
    defects = []
    for m, n in ((0, 1), (1, 2), (2, 0)):
        k = 3 - m - n
        lhs = ops(ops(_F)[n])[m] - ops(ops(_F)[m])[n]
        defects.append(sp.expand(lhs - structure_constant * _eps(m, n, k) * ops(_F)[k]))
    return defects


@identity("commutator_hermitian", "MA19", "(2.2)")
def commutator_hermitian(structure_constant: sp.Expr = sp.I) -> Verdict:
    """[L_m, L_n] = i eps_mnk L_k for MA19's L = -i p x d_p, on an arbitrary function of p."""
    defects = _commutator_defect("MA19", structure_constant)
    ok = all(d == 0 for d in defects)
    return verdict(ok, f"[L_m, L_n] - ({structure_constant}) eps_mnk L_k applied to F(p): {defects}")


@identity("commutator_kpm", "KPM", "text after (8)")
def commutator_kpm(structure_constant: sp.Expr = sp.Integer(-1)) -> Verdict:
    """[K_m, K_n] = -eps_mnk K_k for KPM's K = p x d_p (KPM prints +eps_mnk: an erratum)."""
    defects = _commutator_defect("KPM", structure_constant)
    ok = all(d == 0 for d in defects)
    return verdict(ok, f"[K_m, K_n] - ({structure_constant}) eps_mnk K_k applied to F(p): {defects}")


@identity("convention_map", "MA19+KPM", "MA19 (2.2), KPM (8)")
def convention_map(k_over_l: sp.Expr = sp.I, liouville_coefficient: sp.Expr = LIOUVILLE_COEFFICIENT) -> Verdict:
    """K = i L, and the Lorentz-force term (p x Omega).d_p F = -i Omega.L F (so Liouville op = -i Omega.L)."""
    L = cartesian_L(_F, "MA19")
    K = cartesian_L(_F, "KPM")
    map_defect = [sp.expand(K[i] - k_over_l * L[i]) for i in range(3)]
    om = sp.symbols("Omega_x Omega_y Omega_z", real=True)
    force = sp.Matrix(_P).cross(sp.Matrix(om))  # dp/dt = q v x B = p x Omega,  Omega = q B / p
    drift = sum(force[k] * sp.diff(_F, _P[k]) for k in range(3))
    liouville_defect = sp.expand(drift - liouville_coefficient * sum(om[i] * L[i] for i in range(3)))
    ok = all(d == 0 for d in map_defect) and liouville_defect == 0
    return verdict(
        ok,
        f"K - ({k_over_l}) L = {map_defect}; (p x Omega).dF - ({liouville_coefficient}) Omega.L F = {liouville_defect}",
    )


@identity("spherical_form", "MA19", "(2.2) in (theta, phi)")
def spherical_form(ladder_theta_sign: int = 1) -> Verdict:
    """Chain rule gives L_z = -i d_phi and L_+- = e^{+-i phi}(+-d_theta + i cot(theta) d_phi)."""
    f = sp.Function("f")(theta, phi)
    lx, ly, lz = spherical_L(f)
    claims = {
        "z": (lz, -sp.I * sp.diff(f, phi)),
        "+": (lx + sp.I * ly, sp.exp(sp.I * phi) * (ladder_theta_sign * sp.diff(f, theta) + sp.I * sp.cot(theta) * sp.diff(f, phi))),
        "-": (lx - sp.I * ly, sp.exp(-sp.I * phi) * (-ladder_theta_sign * sp.diff(f, theta) + sp.I * sp.cot(theta) * sp.diff(f, phi))),
    }
    bad = [k for k, (derived, claimed) in claims.items() if not vanishes(derived - claimed)]
    return verdict(not bad, "derived spherical L_z, L_+, L_- match" if not bad else f"mismatch in L_{bad}")


# ------------------------------------------------------------------------------------------------
# Item 3: ladder action on Y_l^m, and the ladder form of two-particle products (KPM (44)-(45))
# ------------------------------------------------------------------------------------------------
SigmaFn = Callable[[int, int, int], sp.Expr]


@cache
def _ynm_action(ell: int, m: int) -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr]:
    """(L_x, L_y, L_z, L^2) applied to Y_l^m by the derived differential operators."""
    lx, ly, lz = spherical_L(ynm(ell, m))
    l2 = sum(spherical_L(c)[i] for i, c in enumerate((lx, ly, lz)))
    return lx, ly, lz, l2


@identity("ladder_action", "KPM", "text after (45)")
def ladder_action(sigma_fn: SigmaFn = sigma, lz_eigenvalue: Callable[[int], int] = lambda m: m) -> Verdict:
    """L_z Y = m Y, L^2 Y = l(l+1) Y, L_+- Y_l^m = sigma_+- Y_l^(m+-1), as differential operators."""
    failures = []
    for ell in FUNCTION_ELLS:
        for m in range(-ell, ell + 1):
            y = ynm(ell, m)
            lx, ly, lz, l2 = _ynm_action(ell, m)
            tests = {"Lz": lz - lz_eigenvalue(m) * y, "L2": l2 - ell * (ell + 1) * y}
            for s, name in ((1, "L+"), (-1, "L-")):
                target = sigma_fn(ell, m, s) * ynm(ell, m + s) if abs(m + s) <= ell else 0
                tests[name] = lx + s * sp.I * ly - target
            failures += [f"{k}(l={ell},m={m})" for k, v in tests.items() if not on_sphere_zero(v)]
    return verdict(not failures, f"l <= {max(FUNCTION_ELLS)}: all hold" if not failures else f"fails: {failures[:6]}")


@identity("ladder_on_conjugate", "KPM", "text after (45)")
def ladder_on_conjugate(sign: int = CONJUGATE_LADDER_SIGN) -> Verdict:
    """L_+- Y_l^m* = -sigma_-+ Y_l^(m-+1)* (KPM prints the sign +: an erratum)."""
    failures = []
    for ell in FUNCTION_ELLS:
        for m in range(-ell, ell + 1):
            yc = sp.conjugate(ynm(ell, m))
            lx, ly, _ = spherical_L(yc)
            for s in (1, -1):
                target = sign * sigma(ell, m, -s) * sp.conjugate(ynm(ell, m - s)) if abs(m - s) <= ell else 0
                if not on_sphere_zero(lx + s * sp.I * ly - target):
                    failures.append(f"L{'+' if s > 0 else '-'}(l={ell},m={m})")
    return verdict(not failures, f"sign {sign}: " + ("holds for l <= 3" if not failures else f"fails: {failures[:6]}"))


@identity("ladder_products", "KPM", "(44)-(45)")
def ladder_products(sym_coeff: sp.Expr = sp.Rational(1, 2), antisym_coeff: sp.Expr = 1 / (2 * sp.I)) -> Verdict:
    """L^A_x L^B_x + L^A_y L^B_y = (L^A_+ L^B_- + L^A_- L^B_+)/2 and the antisymmetric form (45)."""
    failures = []
    for la, lb in ((1, 1), (1, 2), (2, 3)):
        A, B = angular_momentum_matrices(la), angular_momentum_matrices(lb)
        kron = lambda a, b: sp.kronecker_product(a, b)  # noqa: E731
        sym = kron(A["x"], B["x"]) + kron(A["y"], B["y"]) - sym_coeff * (kron(A["+"], B["-"]) + kron(A["-"], B["+"]))
        anti = kron(A["x"], B["y"]) - kron(A["y"], B["x"]) - antisym_coeff * (kron(A["-"], B["+"]) - kron(A["+"], B["-"]))
        failures += [f"(44) lA={la},lB={lb}"] * (not matrix_vanishes(sym))
        failures += [f"(45) lA={la},lB={lb}"] * (not matrix_vanishes(anti))
    return verdict(not failures, "exact on lA, lB <= 3" if not failures else f"fails: {failures}")


# ------------------------------------------------------------------------------------------------
# Item 2: Hadamard lemma (KPM (42)-(43)) and its use in (30)/(B29)/(A22)
# ------------------------------------------------------------------------------------------------
HADAMARD_42 = (sp.cos(lam), -sp.sin(lam))  # e^{i lam Lz} L_x e^{-i lam Lz} = cos L_x - sin L_y
HADAMARD_43 = (sp.sin(lam), sp.cos(lam))  # e^{i lam Lz} L_y e^{-i lam Lz} = sin L_x + cos L_y


@identity("hadamard_matrix", "KPM", "(42)-(43)")
def hadamard_matrix(
    rotated_x: Sequence[sp.Expr] = HADAMARD_42, rotated_y: Sequence[sp.Expr] = HADAMARD_43
) -> Verdict:
    """e^{i lam L_z} L_(x,y) e^{-i lam L_z} = claimed combination of L_x, L_y, exactly on l = 1..5."""
    failures = []
    for ell in MATRIX_ELLS:
        M = angular_momentum_matrices(ell)
        R, Rinv = rotation_about_z(ell, lam), rotation_about_z(ell, -lam)
        for name, claim in (("x", rotated_x), ("y", rotated_y)):
            if not matrix_vanishes(R * M[name] * Rinv - (claim[0] * M["x"] + claim[1] * M["y"])):
                failures.append(f"L_{name}, l={ell}")
    return verdict(not failures, "exact for l = 1..5" if not failures else f"fails: {failures}")


def on_sphere_zero(expr: sp.Expr) -> bool:
    """True when a function of (theta, phi) vanishes identically (exact, see :mod:`exact`)."""
    return vanishes_on_sphere(expr, theta, phi)


def _rotate_phi(expr: sp.Expr, angle: sp.Expr) -> sp.Expr:
    """exp(i angle L_z) F(theta, phi) = F(theta, phi + angle) (L_z = -i d_phi generates phi shifts)."""
    return expr.subs(phi, phi + angle)


@identity("hadamard_differential", "KPM", "(42)-(43)")
def hadamard_differential(
    rotated_x: Sequence[sp.Expr] = HADAMARD_42, rotated_y: Sequence[sp.Expr] = HADAMARD_43
) -> Verdict:
    """(42)-(43) as differential operators acting on every Y_l^m, l <= 3.

    exp(i lam L_z) acts as the shift phi -> phi + lam: L_z = -i d_phi (``spherical_form``), so on
    Y_l^m, proportional to e^{i m phi}, both give e^{i m lam} (``ladder_action``).
    """
    failures = []
    for ell in FUNCTION_ELLS[1:]:
        for m in range(-ell, ell + 1):
            y = ynm(ell, m)
            for idx, (name, claim) in enumerate((("x", rotated_x), ("y", rotated_y))):
                lhs = _rotate_phi(spherical_L(_rotate_phi(y, -lam))[idx], lam)
                lx, ly, _ = spherical_L(y)
                if not vanishes_on_sphere(lhs - (claim[0] * lx + claim[1] * ly), theta, phi, lam):
                    failures.append(f"L_{name} Y_{ell}^{m}")
    return verdict(not failures, "holds on Y_l^m, l <= 3" if not failures else f"fails: {failures[:6]}")


@identity("hadamard_sandwich", "KPM", "(30), (B29)")
def hadamard_sandwich(
    rotation_sign: int = 1, l2_coeff: sp.Expr = 1, sin_coeff: sp.Expr = -1, lz2_coeff: sp.Expr = -1
) -> Verdict:
    """sum_{i=x,y} L_i e^{s i lam L_z} L_i = e^{s i lam L_z}[a cos L^2 + b i sin L_z + c cos L_z^2].

    Proved: s = +1 (crmix's U^(0)) gives a = 1, b = -1, c = -1; with KPM's s = -1 ((26)) it is
    a = 1, b = +1, c = -1 as in (B29); KPM (30) prints a = 0 (L_z^2 twice).
    """
    failures = []
    for ell in MATRIX_ELLS:
        M = angular_momentum_matrices(ell)
        R = rotation_about_z(ell, rotation_sign * lam)
        lhs = M["x"] * R * M["x"] + M["y"] * R * M["y"]
        rhs = R * (l2_coeff * sp.cos(lam) * M["L2"] + sin_coeff * sp.I * sp.sin(lam) * M["z"] + lz2_coeff * sp.cos(lam) * M["z"] ** 2)
        if not matrix_vanishes(lhs - rhs):
            failures.append(ell)
    outcome = "exact, l = 1..5" if not failures else f"fails for l = {failures}"
    return verdict(not failures, f"s={rotation_sign}, a={l2_coeff}, b={sin_coeff}, c={lz2_coeff}: {outcome}")
