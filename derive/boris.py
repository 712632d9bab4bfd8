"""The Boris step, defined once: the straight-line program every pusher backend emits, and its checks.

Equation of motion (c = 1, |v| = 1, times and lengths in 1/Omega_ref, docs/physics.md):

    dr/dt = v,    dv/dt = s v x W(r),    W = Omega0 z-hat + omega(r),

s = +1 for the particle's own charge, -1 for the reversed charge of backtracking.  One step is
drift-kick-drift (Boris 1970, the field taken at the half-step position):

    r' = r + v dt/2;   t = s W(r') dt/2,  q = v + v x t,  v+ = v + (2/(1+t^2)) q x t;   r+ = r' + v+ dt/2.

:data:`BORIS_STEP` is that step as a sequence of assignments over SymPy symbols, with the field
lookup omega(r') as the one opaque call between the drift and the kick; ``crmix codegen`` prints it
for NumPy/CuPy, numba and CUDA (``generated/pusher_*.py``), statement by statement in this order, so
every backend rounds alike.  The parameters are ``half = dt/2`` and ``half_kick = s dt/2``.

The checks below run on :data:`BORIS_STEP` itself: the kick is a rotation (|v| is conserved
exactly), the step is time-reversible, and in a uniform field it rotates v by 2 atan(Omega dt/2)
instead of Omega dt, a phase lag of (Omega dt)^3/12 + O(dt^5) per step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy as sp

from crmix.derive.exact import vanishes
from crmix.derive.registry import Verdict, identity, verdict

__all__ = ["BORIS_STEP", "StepProgram", "with_assignment"]

Assignment = tuple[sp.Symbol, sp.Expr]

_real = dict(real=True)
rx, ry, rz, vx, vy, vz = sp.symbols("rx ry rz vx vy vz", **_real)
omega0, half_kick, half = sp.symbols("omega0 half_kick half", **_real)
px, py, pz = sp.symbols("px py pz", **_real)
wx, wy, wz = sp.symbols("wx wy wz", **_real)
tx, ty, tz, qx, qy, qz, f = sp.symbols("tx ty tz qx qy qz f", **_real)
rx_new, ry_new, rz_new, vx_new, vy_new, vz_new = sp.symbols("rx_new ry_new rz_new vx_new vy_new vz_new", **_real)


@dataclass(frozen=True)
class StepProgram:
    """One pusher step as straight-line code: ``drift``, then ``field = omega(field_point)``, then ``kick``.

    state, new_state
        (rx, ry, rz, vx, vy, vz) before the step and the symbols holding them after it.
    parameters
        Scalars of the whole call: (omega0, half_kick, half).
    drift
        Assignments that only read the state and the parameters; they define ``field_point``.
    field
        The turbulent field omega at ``field_point`` (the lookup's result; W = omega + Omega0 z-hat).
    kick
        Assignments after the lookup, ending in every symbol of ``new_state``.
    """

    state: tuple[sp.Symbol, ...]
    new_state: tuple[sp.Symbol, ...]
    parameters: tuple[sp.Symbol, ...]
    drift: tuple[Assignment, ...]
    field_point: tuple[sp.Symbol, sp.Symbol, sp.Symbol]
    field: tuple[sp.Symbol, sp.Symbol, sp.Symbol]
    kick: tuple[Assignment, ...]

    def __post_init__(self) -> None:
        known = _run_block(self.drift, set(self.state) | set(self.parameters), self.field_point, "field_point", "drift")
        _run_block(self.kick, known | set(self.field), self.new_state, "new_state", "kick")

    @property
    def assignments(self) -> tuple[Assignment, ...]:
        return self.drift + self.kick

    def field_point_of(self) -> tuple[sp.Expr, ...]:
        """The field point as expressions of the state and parameters."""
        values: dict[sp.Symbol, sp.Expr] = {}
        for symbol, expr in self.drift:
            values[symbol] = expr.xreplace(values)
        return tuple(values[p] for p in self.field_point)

    def new_state_of(self) -> tuple[sp.Expr, ...]:
        """The new state as expressions of the state, the parameters and the field symbols."""
        values: dict[sp.Symbol, sp.Expr] = {}
        for symbol, expr in self.assignments:
            values[symbol] = expr.xreplace(values)
        return tuple(values[s] for s in self.new_state)


def _run_block(
    block: tuple[Assignment, ...], known: set[sp.Symbol], required: tuple[sp.Symbol, ...], required_name: str, block_name: str
) -> set[sp.Symbol]:
    """The symbols known after ``block``; a ValueError where an assignment reads an unknown one or ``required`` stays unassigned."""
    known = set(known)
    for symbol, expr in block:
        unknown = expr.free_symbols - known
        if unknown:
            raise ValueError(f"{symbol} = {expr} reads {sorted(map(str, unknown))} before they are assigned")
        known.add(symbol)
    missing = set(required) - known
    if missing:
        raise ValueError(f"{required_name} {sorted(map(str, missing))} is not assigned by the {block_name}")
    return known


def with_assignment(step: StepProgram, symbol: str, expr: sp.Expr) -> StepProgram:
    """``step`` with the assignment to ``symbol`` replaced by ``expr`` (a claimed variant for the checks)."""
    def swap(block: tuple[Assignment, ...]) -> tuple[Assignment, ...]:
        return tuple((s, expr if s.name == symbol else e) for s, e in block)

    names = [s.name for s, _ in step.assignments]
    if symbol not in names:
        raise ValueError(f"the step assigns no {symbol!r}; allowed: {names}")
    return replace(step, drift=swap(step.drift), kick=swap(step.kick))


#: The drift-kick-drift Boris step (module docstring), in the order the backends execute it.
BORIS_STEP = StepProgram(
    state=(rx, ry, rz, vx, vy, vz),
    new_state=(rx_new, ry_new, rz_new, vx_new, vy_new, vz_new),
    parameters=(omega0, half_kick, half),
    drift=((px, rx + half * vx), (py, ry + half * vy), (pz, rz + half * vz)),
    field_point=(px, py, pz),
    field=(wx, wy, wz),
    kick=(
        (tx, half_kick * wx),
        (ty, half_kick * wy),
        (tz, half_kick * (wz + omega0)),
        (qx, vx + (vy * tz - vz * ty)),
        (qy, vy + (vz * tx - vx * tz)),
        (qz, vz + (vx * ty - vy * tx)),
        (f, 2 / (1 + (tx * tx + ty * ty + tz * tz))),
        (vx_new, vx + f * (qy * tz - qz * ty)),
        (vy_new, vy + f * (qz * tx - qx * tz)),
        (vz_new, vz + f * (qx * ty - qy * tx)),
        (rx_new, px + half * vx_new),
        (ry_new, py + half * vy_new),
        (rz_new, pz + half * vz_new),
    ),
)


@identity("boris_kick_is_rotation", "KPM", "Sec. 2.1.1 (Boris 1970)")
def boris_kick_is_rotation(step: StepProgram = BORIS_STEP) -> Verdict:
    """The kick rotates v about t = s W dt/2: |v+| = |v| and v+ . t = v . t, for any field and step."""
    new = step.new_state_of()
    v, v_new = sp.Matrix(step.state[3:]), sp.Matrix(new[3:])
    axis = sp.Matrix([half_kick * wx, half_kick * wy, half_kick * (wz + omega0)])
    speed = sp.cancel(sp.together(v_new.dot(v_new) - v.dot(v)))
    along = sp.cancel(sp.together(v_new.dot(axis) - v.dot(axis)))
    ok = vanishes(speed) and vanishes(along)
    detail = f"|v+|^2 - |v|^2 {'=' if vanishes(speed) else '!='} 0, (v+ - v) . t {'=' if vanishes(along) else '!='} 0"
    return verdict(ok, detail)


@identity("boris_time_reversible", "KPM", "Sec. 2.1.1 (Boris 1970)")
def boris_time_reversible(step: StepProgram = BORIS_STEP) -> Verdict:
    """Stepping (r+, -v+) with the charge reversed returns exactly to (r, -v), for any field omega(r).

    The reversed drift must land on the forward step's field point, so that it reads the same
    omega there whatever the field; then the reversed kick must undo the forward one.
    """
    forward = step.new_state_of()
    start = dict(zip(step.state, forward[:3] + tuple(-c for c in forward[3:])))
    start[half_kick] = -half_kick
    point = step.field_point_of()
    off_point = [str(p) for p, a in zip(step.field_point, point) if not vanishes(sp.cancel(sp.together(a.xreplace(start) - a)))]
    if off_point:
        return verdict(False, f"the reversed step reads the field at another point ({off_point} differ)")
    backward = [e.xreplace(start) for e in step.new_state_of()]
    expected = step.state[:3] + tuple(-c for c in step.state[3:])
    off = [str(s) for s, b, e in zip(step.state, backward, expected) if not vanishes(sp.cancel(sp.together(b - e)))]
    return verdict(not off, "returns to (r, -v) through the same field point" if not off else f"components that do not return: {off}")


@identity("boris_gyration_phase", "KPM", "Sec. 2.1.1 (Boris 1970)")
def boris_gyration_phase(step: StepProgram = BORIS_STEP, coefficient: sp.Expr = sp.Rational(1, 12)) -> Verdict:
    """In W = Omega z-hat a step rotates v_perp by -2 atan(Omega dt/2): a lag of (Omega dt)^3/12 + O(dt^5)."""
    w_dt = sp.Symbol("Omega_dt", positive=True)  # Omega dt, with s = +1
    uniform = {wx: 0, wy: 0, wz: 0, omega0: w_dt, half_kick: sp.Rational(1, 2), half: sp.Rational(1, 2)}
    new = [e.xreplace(uniform) for e in step.new_state_of()]
    perp = {vx: 1, vy: 0, vz: 0}
    cos_a, sin_a = (sp.cancel(new[3].xreplace(perp)), sp.cancel(-new[4].xreplace(perp)))  # clockwise: -v_y
    unit = vanishes(sp.cancel(cos_a**2 + sin_a**2 - 1)) and vanishes(new[5].xreplace(perp))
    # half-angle: tan(alpha/2) = sin alpha / (1 + cos alpha); it is Omega dt/2 exactly for the Boris rotation
    half_tan = sp.cancel(sin_a / (1 + cos_a))
    rotation = vanishes(sp.cancel(half_tan - w_dt / 2))
    lag = sp.series(w_dt - 2 * sp.atan(half_tan), w_dt, 0, 5).removeO()
    phase = vanishes(sp.expand(lag - coefficient * w_dt**3))
    ok = unit and rotation and phase
    detail = f"rotation angle 2 atan({half_tan}), lag per step {lag} + O(dt^5)"
    return verdict(ok, detail if ok else f"{detail}; claimed {coefficient} (Omega dt)^3; |v| kept: {unit}")
