# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Backtracking in slab turbulence: KPM Figs. 1-4 and the running diffusion coefficients
#
# Test particles backtracked from the observer through slab turbulence (Kolmogorov, η = 0.5) with
# `crmix.simulate`, and what KPM Sec. 3.1-3.2 show of them:
#
# * **Fig. 1** -- trajectories, the sky map and its C_ℓ of one realisation at four backtracking times;
# * **Fig. 2** -- sky maps of several realisations before and after removing monopole and dipole
#   (smoothed 0.5°), with the dipole, B0 and the local mean field B_i (averaged over L_c/30) marked;
# * **Fig. 3** -- the ensemble-averaged sky map, and the same with monopole and dipole removed;
# * **Fig. 4** -- ⟨C_ℓ⟩^num, the shot noise N_ℓ, ⟨C_ℓ⟩^sub and the total powers Σ(2ℓ+1)C_ℓ against T;
# * the running diffusion coefficients K_zz(T), K_⊥(T) with errors, against QLT (`crmix.qlt`).
#
# Sky maps are relative intensities in **arrival** directions in the frame z = B0 (B0 at the
# centre of each map), under the one Liouville mapping of the run (KPM (3); K_zz from QLT, the
# gradient along B0 with |∇f̄/f̄| = 1/L_c).  Times are in 1/Ω (Ω = qB0/p).  Every run goes into a
# folder under `$CRMIX_NOTEBOOK_OUT/runs` named by its parameters and is resumed on a rerun.
#
# The parameter cell picks a preset: `"ci"` (seconds; what the tests run), `"cpu"` (N_side 32,
# λ_min = r_g/30, 16 realisations: about a quarter of an hour on two quiet cores, estimated from the
# 1.7e8 particle-steps/s of benchmarks/RESULTS.md), `"paper"` (KPM's N_side = 256, λ_min = r_g/150, 35
# realisations: 2e14 particle-steps, GPU-sized; it runs the CuPy backend).

# %%
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # healpy's OpenMP threads gain nothing on these maps and stall on busy cores

import hashlib
import json
import math
from pathlib import Path

import healpy as hp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy import special

from crmix.backend import namespace_by_name, to_numpy
from crmix.model import Spectrum, TurbulenceModel
from crmix.qlt import parallel_diffusion
from crmix.simulate import boris, kernels, skymap
from crmix.simulate.backtrack import BACKTRACK_CHARGE, healpix_directions
from crmix.simulate.boris import record_steps
from crmix.simulate.config import Analysis, SimulationConfig
from crmix.simulate.realisation import synthesize_field
from crmix.simulate.runner import run_ensemble
from crmix.simulate.store import finished_realisations, run_parameters, sky_maps
from crmix.simulate.tables import summary_lines

# %% tags=["parameters"]
PRESET = os.environ.get("CRMIX_NOTEBOOK_PRESET", "ci")  # "ci", "cpu" or "paper"
PRESETS = {
    # nside, r_g/lambda_min, realisations, Fig. 1/4 times, the four times of Fig. 1, T of Figs. 2-3, backend
    "ci": dict(nside=8, rg_over_lambda_min=10.0, realisations=4, times=(1, 3, 10, 30, 100, 300),
               fig1_times=(1, 10, 100, 300), map_time=500.0, backend="numba"),
    "cpu": dict(nside=32, rg_over_lambda_min=30.0, realisations=16, times=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
                fig1_times=(1, 10, 100, 1000), map_time=2000.0, backend="numba"),
    "paper": dict(nside=256, rg_over_lambda_min=150.0, realisations=35,
                  times=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000),
                  fig1_times=(1, 10, 100, 1000), map_time=2000.0, backend="cupy"),
}
ETA = 0.5  # KPM Figs. 1-4
RHO = 8.9e-3  # Figs. 1, 4 and the running diffusion (1 PV for B_rms = 4 muG, L_c = 30 pc)
MAP_RHO = 8.9e-4  # Figs. 2-3 (100 TV)
SEED = 0
N_TRAJECTORIES = 24  # particles drawn in Fig. 1
N_FIG2 = 4  # realisations shown in Fig. 2
SMOOTHING_DEG = 0.5  # Fig. 2, 3: Gaussian FWHM
OUT = Path(os.environ.get("CRMIX_NOTEBOOK_OUT", "crmix-out"))

# %%
P = PRESETS[PRESET]
NSIDE, REALISATIONS, BACKEND = P["nside"], P["realisations"], P["backend"]
TIMES, FIG1_TIMES = tuple(float(t) for t in P["times"]), tuple(float(t) for t in P["fig1_times"])
assert set(FIG1_TIMES) <= set(TIMES), "Fig. 1's times must be backtracking times of the Fig. 4 run"
OUT.mkdir(parents=True, exist_ok=True)


def slab_model(rho: float, eta: float) -> TurbulenceModel:
    """Kolmogorov slab turbulence, L_max = 5 L_c, lambda_min = r_g / rg_over_lambda_min (KPM Sec. 2.1.3)."""
    return TurbulenceModel(geometry="slab", spectrum=Spectrum.kolmogorov(kmax=2 * math.pi * P["rg_over_lambda_min"] / rho),
                           eta=eta, rho=rho)


def run_folder(label: str, config: SimulationConfig) -> Path:
    """The run's folder: named by what the realisations depend on, so a rerun resumes and a change starts afresh."""
    key = hashlib.sha1(json.dumps(run_parameters(config), sort_keys=True).encode()).hexdigest()[:10]
    return OUT / "runs" / f"{label}-{key}"


# %% [markdown]
# ## The two runs
#
# ρ = 8.9e-3 at many backtracking times (Figs. 1, 4, running diffusion; the tables keep every
# multipole the pixelisation resolves, ℓ ≤ 3 N_side − 1, for the total powers), and ρ = 8.9e-4 at
# one late time (Figs. 2, 3).

# %%
model = slab_model(RHO, ETA)
config = SimulationConfig(model=model, nside=NSIDE, times=TIMES, seed=SEED, backend=BACKEND)
run = run_folder(f"slab-rho{RHO:.2g}-eta{ETA:g}", config)
summary = run_ensemble(config, run, REALISATIONS, analysis=Analysis(lmax=3 * NSIDE - 1))
print("\n".join(summary_lines(summary)))

map_model = slab_model(MAP_RHO, ETA)
map_config = SimulationConfig(model=map_model, nside=NSIDE, times=(P["map_time"],), seed=SEED, backend=BACKEND)
map_run = run_folder(f"slab-rho{MAP_RHO:.2g}-eta{ETA:g}", map_config)
map_summary = run_ensemble(map_config, map_run, REALISATIONS)
print("\n".join(summary_lines(map_summary)))

# %% [markdown]
# ## Fig. 1: trajectories, sky map and C_ℓ of one realisation at four backtracking times
#
# A few of the map's particles are backtracked again through realisation 0's field with the same
# pusher, step and charge reversal as the run (`crmix.simulate.backtrack`), recording many times;
# the dots mark r(t0), coloured by the relative intensity they carry.  The recomputed end points
# reproduce the run's sky map exactly: the trajectories are those of the map.

# %%
xp = namespace_by_name("cupy" if BACKEND == "cupy" else "numpy")
field = synthesize_field(config, 0)
if BACKEND == "cupy":
    field = field.to(xp)
PUSHERS = {  # the run's pusher for its backend, as crmix.simulate.backtrack calls it
    "numba": kernels.advance_numba,
    "cupy": kernels.advance_cupy,
    "numpy": lambda *args: boris.advance(*args, np),
}
p_obs = healpix_directions(NSIDE)
chosen = np.linspace(0, p_obs.shape[1] - 1, N_TRAJECTORIES).astype(int)  # momentum pixels
end_steps = record_steps(FIG1_TIMES, config.dt)
steps = np.unique(np.concatenate([np.geomspace(1, end_steps[-1], 300).astype(np.int64), end_steps]))
x = xp.zeros((3, chosen.size))
v = xp.ascontiguousarray(xp.asarray(-p_obs[:, chosen]))
path, done = [np.zeros((3, chosen.size))], 0
ends = {}
for target in steps:
    PUSHERS[BACKEND](field, model.Omega, x, v, BACKTRACK_CHARGE, config.dt, int(target - done))
    done = int(target)
    path.append(to_numpy(x).copy())
    if target in end_steps:
        ends[target] = (to_numpy(x).copy(), -to_numpy(v))  # r(t0), p-hat(t0)
path = np.stack(path)  # (n_record + 1, 3, N)
path_steps = np.concatenate([[0], steps])

w = skymap.liouville_weights(np.asarray(summary.mapping["gradient"]), np.asarray(summary.mapping["K_liouville"]))
arrival = skymap.arrival_order(NSIDE)  # an involution: momentum pixel i sits at arrival pixel arrival[i]
fig1_maps = {}
for t, s in zip(FIG1_TIMES, end_steps):
    maps, _ = sky_maps(run, time=s * config.dt)
    fig1_maps[t] = maps[0]
    r0, p0 = ends[s]
    delta = w @ np.concatenate([r0, p0])
    scale = np.max(np.abs(maps[0]))
    assert np.allclose(delta, maps[0][arrival[chosen]], rtol=0, atol=1e-5 * scale), "trajectories must end where the map's particles are"

# %%
Z = np.array([0.0, 0.0, 1.0])  # B0
MOLLWEIDE = hp.projector.MollweideProj(rot=(0, 90, 0), xsize=600)  # B0 at the centre (healpy's projector, flip "astro")


def sky(ax: plt.Axes, m: np.ndarray, title: str, marks: tuple = ()) -> None:
    """A RING map in Mollweide projection on ``ax`` with a colour bar; marks: (vector, marker, colour, label)."""
    nside = hp.npix2nside(m.size)
    image = MOLLWEIDE.projmap(m, lambda x, y, z: hp.vec2pix(nside, x, y, z))
    im = ax.imshow(image, origin="lower", extent=MOLLWEIDE.get_extent(), cmap="coolwarm")
    for vec, marker, color, label in marks:
        x, y = MOLLWEIDE.vec2xy(np.asarray(vec, dtype=float))
        ax.scatter(x, y, marker=marker, s=80, color=color, facecolors="none" if marker == "o" else color, linewidths=1.5,
                   label=label, zorder=3)
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)
    ax.figure.colorbar(im, ax=ax, orientation="horizontal", shrink=0.6, pad=0.02, label="relative intensity δ")


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return math.degrees(math.acos(np.clip(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)), -1.0, 1.0)))


lmax_table = summary.lmax
ell = np.arange(lmax_table + 1)
fig, axes = plt.subplots(len(FIG1_TIMES), 3, figsize=(14, 3.4 * len(FIG1_TIMES)), gridspec_kw={"width_ratios": [1, 1.4, 1]})
for row, (t, s) in enumerate(zip(FIG1_TIMES, end_steps)):
    k = int(np.argmin(np.abs(summary.times - s * config.dt)))
    upto = path_steps <= s
    ax = axes[row, 0]
    ax.plot(path[upto, 2], path[upto, 0], lw=0.6, color="0.5")
    r0, p0 = ends[s]
    sc = ax.scatter(r0[2], r0[0], c=w @ np.concatenate([r0, p0]), cmap="coolwarm", s=14, zorder=3)
    ax.set(xlabel=r"$z$ (along $B_0$) [$1/\Omega$]", ylabel=r"$x$ [$1/\Omega$]", title=f"T = {t:g}/Ω: trajectories")
    fig.colorbar(sc, ax=ax, label="δ at r(t0)")
    sky(axes[row, 1], fig1_maps[t], f"T = {t:g}/Ω: sky map (arrival directions, B0 at the centre)")
    ax = axes[row, 2]
    cl_num = skymap.angular_power(fig1_maps[t], lmax_table)
    noise = cl_num - summary.cl_sub_realisations[0, k]
    ax.loglog(ell[1:], cl_num[1:], "o-", ms=3, label=r"$C_\ell$ (this realisation)")
    ax.loglog(ell[1:], noise[1:], "k--", label=r"shot noise $\mathcal{N}_\ell$")
    ax.set(xlabel=r"$\ell$", ylabel=r"$C_\ell$", title=f"T = {t:g}/Ω: angular power")
    ax.legend(fontsize=7)
fig.suptitle(f"KPM Fig. 1: slab, η = {ETA:g}, ρ = {RHO:g}, N_side = {NSIDE}, realisation 0")
fig.tight_layout(rect=(0, 0, 1, 0.97))
fig.savefig(OUT / "kpm_fig1.png", dpi=100)
plt.close(fig)

# %% [markdown]
# ## Fig. 2: sky maps of several realisations at ρ = 8.9e-4, before and after removing monopole and dipole
#
# Markers: × B0, ○ the local mean field B_i (mean of B0 + δB over a cube of side L_c/30 around the
# observer, `crmix.simulate.ensemble.local_mean_field`), ◇ the fitted dipole of the map.  KPM: the
# dipole follows B_i rather than B0.

# %%
maps, _ = sky_maps(map_run)
stored = finished_realisations(map_run, run_parameters(map_config), REALISATIONS)
fwhm = math.radians(SMOOTHING_DEG)
n_show = min(N_FIG2, REALISATIONS)
fig, axes = plt.subplots(n_show, 2, figsize=(10, 3.2 * n_show), squeeze=False)
print(f"{'realisation':>11} {'angle(dipole, B_i)':>19} {'angle(dipole, B0)':>18} {'angle(B_i, B0)':>15}")
for i in range(n_show):
    smooth = hp.smoothing(maps[i], fwhm=fwhm)
    residual, _, dipole = hp.remove_dipole(smooth, fitval=True)
    b_local = stored[i].local_field
    print(f"{i:>11} {angle_deg(dipole, b_local):19.1f} {angle_deg(dipole, Z):18.1f} {angle_deg(b_local, Z):15.1f}")
    marks = ((Z, "x", "k", "B0"), (b_local, "o", "lime", "local mean field B_i"), (dipole, "D", "m", "dipole"))
    sky(axes[i, 0], smooth, f"realisation {i}", marks)
    sky(axes[i, 1], residual, f"realisation {i}: monopole and dipole removed", marks)
axes[0, 0].legend(loc="upper left", fontsize=7, bbox_to_anchor=(-0.05, 1.0))
fig.suptitle(f"KPM Fig. 2: slab, η = {ETA:g}, ρ = {MAP_RHO:g}, ΩT = {map_summary.times[-1]:.4g}, N_side = {NSIDE}, "
             f"smoothed {SMOOTHING_DEG:g}° FWHM")
fig.tight_layout(rect=(0, 0, 1, 0.97))
fig.savefig(OUT / "kpm_fig2.png", dpi=100)
plt.close(fig)

# %% [markdown]
# ## Fig. 3: the ensemble-averaged sky map
#
# KPM: ⟨Φ⟩ (KPM (53)) points along B0, as QLT expects; with monopole and dipole removed the mean map
# has much less structure than one realisation.

# %%
mean_map = hp.smoothing(maps.mean(axis=0), fwhm=fwhm)
mean_residual, _, mean_dipole = hp.remove_dipole(mean_map, fitval=True)
print(f"<Phi> of the mean map: {angle_deg(mean_dipole, Z):.1f} deg from B0 ({REALISATIONS} realisations); "
      f"<C_1>^sub / <C_1>^QLT = {map_summary.cl_sub[-1, 1] / map_summary.c1_qlt[-1]:.3g}, <cos alpha> = {map_summary.cos_alpha:.3f}")
fig, axes = plt.subplots(2, 1, figsize=(6.5, 7.5))
marks = ((Z, "x", "k", "B0"), (mean_dipole, "D", "m", r"$\langle\Phi\rangle$"))
sky(axes[0], mean_map, "ensemble average", marks)
sky(axes[1], mean_residual, "ensemble average, monopole and dipole removed", marks)
axes[0].legend(loc="upper left", fontsize=8, bbox_to_anchor=(-0.05, 1.0))
fig.suptitle(f"KPM Fig. 3: slab, η = {ETA:g}, ρ = {MAP_RHO:g}, {REALISATIONS} realisations, ΩT = {map_summary.times[-1]:.4g}")
fig.tight_layout(rect=(0, 0, 1, 0.97))
fig.savefig(OUT / "kpm_fig3.png", dpi=100)
plt.close(fig)

# %% [markdown]
# ## Fig. 4: ⟨C_ℓ⟩ against backtracking time at ρ = 8.9e-3
#
# Solid: ⟨C_ℓ⟩^num for a few ℓ; dashed: N_ℓ (flat in ℓ, KPM (7)); dotted: ⟨C_ℓ⟩^sub with its error.
# Totals: 4πσ² = Σ(2ℓ+1)⟨C_ℓ⟩^num (black), the noise Σ(2ℓ+1)N_ℓ (orange dash-dot), both over every
# ℓ ≤ 3 N_side − 1, and the noise-subtracted Σ(2ℓ+1)⟨C_ℓ⟩^sub (green dotted) summed as KPM do: directly
# for ℓ < 5, as A ℓ^{-2.7} for ℓ ≥ 5 with A from ℓ = 5…10 (KPM Sec. 3.2).

# %%
def total_sub_kpm(cl_sub: np.ndarray, slope: float = -2.7, anchor: tuple[int, int] = (5, 10)) -> float:
    """sum_l (2l+1) C_l: l < 5 directly, l >= 5 as A l^slope (Hurwitz zeta), A the mean of C_l l^-slope over the anchor."""
    lo, hi = anchor[0], min(anchor[1], len(cl_sub) - 1)
    ells = np.arange(lo, hi + 1)
    amplitude = float(np.mean(cl_sub[ells] * ells ** (-slope)))
    tail = 2.0 * special.zeta(-slope - 1.0, lo) + special.zeta(-slope, lo)  # sum_{l>=lo} (2l+1) l^slope
    return float(np.sum((2 * np.arange(lo) + 1) * cl_sub[:lo]) + amplitude * tail)


weights = 2 * ell + 1
total_num = summary.cl_num @ weights
total_noise = summary.noise @ weights
total_sub = np.array([total_sub_kpm(c) for c in summary.cl_sub])
fig, ax = plt.subplots(figsize=(10, 5))
colors = plt.cm.viridis(np.linspace(0, 0.9, 5))
for c, ell_k in zip(colors, (1, 2, 3, 5, 10)):
    if ell_k > lmax_table:
        continue
    ax.loglog(summary.times, summary.cl_num[:, ell_k], "-", color=c, label=rf"$\langle C_{{{ell_k}}}\rangle^{{num}}$")
    ok = summary.cl_sub[:, ell_k] > 0
    ax.errorbar(summary.times[ok], summary.cl_sub[ok, ell_k], yerr=summary.cl_sub_error[ok, ell_k], fmt=":", color=c, capsize=2)
ax.loglog(summary.times, summary.noise[:, 1], "k--", label=r"$\mathcal{N}_\ell$")
ax.loglog(summary.times, total_num, "k-", lw=2, label=r"$4\pi\sigma^2=\sum(2\ell+1)\langle C_\ell\rangle^{num}$")
ax.loglog(summary.times, total_noise, "-.", color="tab:orange", lw=2, label=r"$\sum(2\ell+1)\mathcal{N}_\ell$")
ax.loglog(summary.times, np.where(total_sub > 0, total_sub, np.nan), ":", color="tab:green", lw=2.5,
          label=r"$\sum(2\ell+1)\langle C_\ell\rangle^{sub}$ ($\ell^{-2.7}$ for $\ell\geq5$)")
ax.axvline(3 * parallel_diffusion(model), color="0.6", lw=0.8, label=r"$\Omega\tau_s^{QLT}$")
ax.set(xlabel=r"backtracking time $\Omega T$", ylabel=r"$C_\ell$",
       title=f"KPM Fig. 4: slab, η = {ETA:g}, ρ = {RHO:g}, N_side = {NSIDE}, {REALISATIONS} realisations\n"
       r"(dotted with error bars: $\langle C_\ell\rangle^{sub}$)")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
fig.tight_layout()
fig.savefig(OUT / "kpm_fig4.png", dpi=110)
plt.close(fig)
assert np.all(np.diff(summary.noise[:, 1]) > 0), "the shot noise grows with T (KPM (5), (7))"
assert np.all(np.diff(total_num) > 0), "the sky-map variance grows with T"

# %% [markdown]
# ## The running diffusion coefficients against QLT
#
# K_zz(T) = ⟨z²⟩/(2T), K_⊥(T) = ⟨x² + y²⟩/(4T) (mean and standard error over realisations), the fit
# K_∞[1 − (τ/T)(1 − e^{−T/τ})] of `crmix.simulate.ensemble.running_diffusion` and the QLT K_zz =
# vλ∥/3 (slab QLT has no perpendicular diffusion).  Ωτ_s = 3K_zz (docs/physics.md).

# %%
k_qlt = parallel_diffusion(model)
t_fine = np.geomspace(summary.times[0], summary.times[-1], 200)
fig, ax = plt.subplots(figsize=(6.5, 4.5))
ax.errorbar(summary.times, summary.K_zz.value, yerr=summary.K_zz.error, fmt="o", capsize=2, label=r"$K_{zz}(T)$")
ax.errorbar(summary.times, summary.K_perp.value, yerr=summary.K_perp.error, fmt="s", capsize=2, label=r"$K_\perp(T)$")
if math.isfinite(summary.K_zz.K_inf):
    fit = summary.K_zz.K_inf * (1 - summary.K_zz.tau / t_fine * -np.expm1(-t_fine / summary.K_zz.tau))
    state = "converged" if summary.K_zz.converged else "NOT converged"
    ax.plot(t_fine, fit, "C0:", label=rf"fit: $K_\infty$ = {summary.K_zz.K_inf:.3g} ({state} at $T_{{max}}$)")
ax.axhline(k_qlt, color="k", ls="--", label=rf"QLT $K_{{zz}} = v\lambda_\parallel/3$ = {k_qlt:.3g}")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set(xlabel=r"backtracking time $\Omega T$", ylabel=r"running diffusion coefficient [$c^2/\Omega$]",
       title=f"slab, η = {ETA:g}, ρ = {RHO:g}: 3K_zz(T_max) = {summary.omega_tau_s:.3g} ± {summary.omega_tau_s_error:.2g}, "
       rf"$\lambda_\parallel^{{QLT}}$ = {3 * k_qlt:.3g}")
ax.title.set_fontsize(9)
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(OUT / "kpm_running_diffusion.png", dpi=110)
plt.close(fig)
print(f"K_zz(T_max) / K_zz^QLT = {summary.K_zz.value[-1] / k_qlt:.3f} +- {summary.K_zz.error[-1] / k_qlt:.2g}")
assert np.all(summary.K_zz.value > 0) and np.all(summary.K_perp.value > 0)
