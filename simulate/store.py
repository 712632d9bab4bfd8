"""The store of a run: its folder, run.json, the realisation files with their hashes, and resume.

Layout of an output folder::

    run.json                       what the realisations depend on (checked on resume)
    realisation_00003.fits         the six component maps (r, p-hat at t0) of realisation 3 at each T_k (columns RX_k, ...)
    realisation_00003.npz          its K- and gradient-independent observables (ensemble.RealisationResult)
    ensemble.npz                   the ensemble statistics (arrays) under the run's Liouville mapping, and the
                                   record of the reduction in the model's units (:func:`reduction_record`)
    ensemble_cl.ecsv               <C_l>^num, N_l, <C_l>^sub with errors, C_l/C_1 with errors, per T and l
    ensemble_transport.ecsv        K_zz, K_perp with errors, N_l and C_1 three ways per T
    ensemble_realisations.ecsv     C_l^sub of every realisation, T and l (for covariances: crmix fit)

The tables carry units (crmix.simulate.tables); run.json and ensemble.npz's record are the run's
own, in the model's units (c = 1, times in 1/Omega, lengths in c/Omega), as crmix reads them back.

A realisation is finished when its ``.npz`` exists (written last, by an atomic rename, so a kill
never leaves a partial one) and checks: readable (the zip's CRC-32 of every array), of these
parameters and this index, and the ``.fits`` beside it the one whose SHA-256 it records.  A
truncated, corrupt, foreign or unmatched file is recomputed, never used.  Realisation i depends on
(seed, i) and run.json alone, so a resumed run reproduces exactly what an uninterrupted one writes.

The realisation files hold no choice of the Liouville mapping KPM (3): the gradient, the ONE
diffusion tensor K used for every T, the noise estimator and the multipole range are the
:class:`Analysis` of the ensemble step, stated in the tables' metadata; changing them re-reduces
the same realisations.  Maps in the FITS files are indexed by ARRIVAL direction (pixel n-hat holds
the particle seen with momentum -n-hat) in the frame z = B0; the relative intensity is
``w . components`` (crmix.simulate.skymap), :func:`sky_maps` returns it.  Their headers hold every
column's unit (TUNITn: r in pc, p-hat dimensionless), the frame (COORDSYS = CRFRAME = B0: the local
frame of the regular field, which HEALPix's G, E and C cannot name), the backtracking times T_k
(CRTk in yr, CROMTk = Omega T_k), the run parameters -- physical (rigidity, B_rms, B0, L_c, r_g,
lambda_min, lambda_max, each with its unit in brackets in its comment) and in the model's units --
and the provenance (crmix.provenance: version, git commit, backend, precision).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import astropy.units as u
import healpy as hp
import numpy as np

from crmix.io import atomic_write, is_temporary, remove_stale_temporaries
from crmix.model import TurbulenceModel
from crmix.provenance import provenance
from crmix.simulate import skymap
from crmix.simulate.config import PARAMETER_OPTIONS, SimulationConfig
from crmix.simulate.ensemble import RealisationResult
from crmix.simulate.realisation import simulate_realisation
from crmix.units import ModelUnits, model_units

__all__ = [
    "check_folder",
    "compute_realisation",
    "finished_realisations",
    "folder_lock",
    "model_physical",
    "open_run",
    "prepare_folder",
    "read_finished_realisation",
    "recorded_parameters",
    "recorded_time",
    "reduction_record",
    "run_parameters",
    "sky_maps",
    "weighted_maps",
]


def _realisation_path(out: Path, index: int, suffix: str) -> Path:
    return out / f"realisation_{index:05d}{suffix}"


def _fits_header(params: dict[str, Any], index: int, units: ModelUnits) -> list[tuple[str, Any, str] | tuple[str, str]]:
    """The keywords of a realisation's FITS maps: the frame, the pixel convention, the run parameters, provenance.

    COORDSYS is not one of HEALPix's G, E, C: the maps are in the local frame of the regular field
    (z along B0, x and y fixed by the synthesis), which has no orientation on the sky until B0's
    direction is given.  The value B0 says so (healpy reads any value); G, E or C would claim an
    orientation the maps do not have.  A comment starts with the value's unit in brackets (the FITS
    convention); values in the model's units (c = 1, times in 1/Omega, lengths in c/Omega) are
    Omega T, Omega L/c, and stand beside the physical ones when the model has a physical scale.
    """
    model = params["model"]
    origin = provenance(params["backend"], params["dtype"])
    times = params["recorded_times"]
    header: list[tuple[str, Any, str] | tuple[str, str]] = [
        ("ORDERING", "RING", "HEALPix pixel ordering"),
        ("COORDSYS", "B0", "local frame of the regular field, not G/E/C"),
        ("CRFRAME", "B0", "local frame, z along the regular field B0"),
        ("PIXDIR", "ARRIVAL", "pixel n: particle seen with momentum -n"),
        ("CRSEED", params["seed"], "random seed of the run"),
        ("CRINDEX", index, "realisation index"),
        ("CRGEOM", model["geometry"], "turbulence geometry"),
        ("CRSPEC", model["spectrum_kind"], "turbulence spectrum"),
        ("CRSLOPE", model["spectrum_index"], "[] spectral index of the turbulence"),
        ("CRKMIN", model["kmin_Lc"], "[] k_min L_c"),
        ("CRKMAX", model["kmax_Lc"], "[] k_max L_c"),
        ("CRETA", model["eta"], "[] turbulence level dB^2/(B0^2+dB^2)"),
        ("CRRHO", model["rho"], "[] reduced rigidity r_g/L_c (r_g in B_rms)"),
        ("CROMLC", model["L_c"], "[] Omega L_c / c: L_c in the model's units"),
        ("CROMDT", params["dt"], "[] Omega dt: Boris step in the model's units"),
        ("CRFIELD", params["method"], "field synthesis: grid or waves"),
        ("CRNTIME", len(times), "number of backtracking times T"),
    ]
    header += [(f"CROMT{k}", t, f"[] Omega T of the columns *_{k}") for k, t in enumerate(times, 1)]
    if units.length is not None and units.time is not None:
        physical = model_physical(model, units)
        header += [
            ("CRUNITL", units.length.to_value(u.pc), "[pc] the model's unit of length c/Omega"),
            ("CRUNITT", units.time.to_value(u.yr), "[yr] the model's unit of time 1/Omega"),
            ("CRRIGID", physical["rigidity"].to_value(u.V), "[V] rigidity R = p c / (Z e)"),
            ("CRBRMS", physical["b_rms"].to_value(u.uG), "[uG] RMS field sqrt(B0^2 + dB^2)"),
            ("CRB0", physical["b_0"].to_value(u.uG), "[uG] regular field B0"),
            ("CRLC", physical["l_c"].to_value(u.pc), "[pc] correlation length L_c"),
            ("CRRG", physical["r_g"].to_value(u.pc), "[pc] gyroradius r_g = R / (c B_rms)"),
            ("CRLMIN", physical["lambda_min"].to_value(u.pc), "[pc] smallest wavelength 2 pi / k_max"),
            ("CRLMAX", physical["lambda_max"].to_value(u.pc), "[pc] largest wavelength 2 pi / k_min"),
            ("CRDT", units.physical(params["dt"], "time").to_value(u.yr), "[yr] Boris step dt"),
        ]
        header += [(f"CRT{k}", units.physical(t, "time").to_value(u.yr), f"[yr] backtracking time T of the columns *_{k}")
                   for k, t in enumerate(times, 1)]
    return header + [
        ("CRVERSN", origin["crmix"], "crmix version"),
        ("CRCOMMIT", origin["commit"], "git commit"),
        ("CRBACKND", origin["backend"], "pusher backend"),
        ("CRPREC", origin["precision"], "precision of the backtracking"),
        ("COMMENT", "column C_k: component C of (r, p-hat) at t0 = t - T_k,"),
        ("COMMENT", "r in pc (TUNITn; without a physical scale in c/Omega),"),
        ("COMMENT", "p-hat dimensionless; relative intensity = g.r - 3 (K g).p-hat"),
        ("COMMENT", "(KPM (3)); g and K: metadata of ensemble_cl.ecsv; frame B0"),
    ]


def model_physical(model: dict[str, Any], units: ModelUnits) -> dict[str, u.Quantity]:
    """The physical parameters of a run's model (its run.json record) that its files state: R, B_rms, B0, L_c, r_g,
    lambda_min and lambda_max (``units``: the model's, with a physical scale)."""
    b_rms = model["physical_b_rms_G"] * u.G
    eta = float(model["eta"])
    return {
        "rigidity": model["physical_rigidity_V"] * u.V,
        "b_rms": b_rms.to(u.uG),
        "b_0": (b_rms * math.sqrt(1.0 - eta)).to(u.uG),
        "l_c": units.physical(model["L_c"], "length"),
        "r_g": units.physical(model["r_g"], "length"),
        "lambda_min": units.physical(2.0 * math.pi / model["k_max"], "length"),
        "lambda_max": units.physical(2.0 * math.pi / model["k_min"], "length"),
    }


def _column_names(n_times: int) -> list[str]:
    """The FITS columns of a realisation: component (RX, RY, RZ, PX, PY, PZ) and time index k = 1..n_times."""
    return [f"{c.upper().replace('_', '')}_{k}" for k in range(1, n_times + 1) for c in skymap.COMPONENTS]


def _write_realisation(out: Path, result: RealisationResult, comps: np.ndarray, params: dict[str, Any], units: ModelUnits) -> None:
    order = skymap.arrival_order(params["nside"])
    names = _column_names(len(result.times))
    maps = comps[..., order].reshape(-1, comps.shape[-1])
    position = np.array([n.startswith("R") for n in names])
    length = None if units.length is None else units.length.to_value(u.pc)
    if length is not None:
        maps = np.where(position[:, None], maps * length, maps)

    def fits(tmp: Path) -> None:
        unit = "pc" if length is not None else "c/Omega"
        units_ = [unit if p else "" for p in position]
        dimensionless = [(f"TUNIT{k}", "", "p-hat component: dimensionless") for k, p in enumerate(position, 1) if not p]
        hp.write_map(str(tmp), list(maps), column_names=names, column_units=units_,
                     extra_header=_fits_header(params, result.index, units) + dimensionless, overwrite=True, dtype=np.float32)

    maps_file = atomic_write(_realisation_path(out, result.index, ".fits"), fits)
    digest = _sha256(maps_file)

    def npz(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, parameters=json.dumps(params, sort_keys=True), fits_sha256=digest, **result.arrays())

    atomic_write(_realisation_path(out, result.index, ".npz"), npz)


def _sha256(path: Path) -> str:
    """The SHA-256 of the file at ``path``, hexadecimal (read in blocks: a realisation's maps may be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_realisation(path: Path, params: dict[str, Any], index: int) -> RealisationResult | None:
    """The stored result, or None when the file is unreadable, truncated, corrupt, foreign or unmatched (module docstring)."""
    try:
        with np.load(path) as data:
            if json.loads(str(data["parameters"])) != params:
                return None
            fits_sha256 = str(data["fits_sha256"])
            result = RealisationResult.from_arrays({k: data[k] for k in data.files})
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # unreadable, truncated, corrupt, foreign
        return None
    n_t = len(params["recorded_times"])
    if result.index != index or result.cross.shape != (n_t, 3 * params["nside"], 6, 6) or not np.all(np.isfinite(result.cross)):
        return None
    try:  # the maps are hashed last: the largest read, done only for a result that passes the rest
        maps_sha256 = _sha256(path.with_suffix(".fits"))
    except OSError:
        return None
    return result if maps_sha256 == fits_sha256 else None


def _json_roundtrip(obj: Any) -> Any:
    return json.loads(json.dumps(obj, sort_keys=True))


#: the files crmix simulate writes into a run folder (anything else makes it a foreign folder)
_RUN_FILES = ("run.json", "realisation_*.npz", "realisation_*.fits", "ensemble.npz", "ensemble_*.ecsv", "simulate.png")


def _foreign_files(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if not is_temporary(p) and not any(p.match(g) for g in _RUN_FILES))


def _recorded_by_realisations(out: Path) -> dict[str, Any] | None:
    """The run parameters that the realisation files of ``out`` record (each .npz holds them), or None."""
    for path in sorted(out.glob("realisation_*.npz")):
        try:
            with np.load(path) as data:
                recorded = json.loads(str(data["parameters"]))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            continue
        if isinstance(recorded, dict):
            return recorded
    return None


def _run_record(out: Path) -> tuple[dict[str, Any] | None, str]:
    """(the parameters of ``out``'s run, where they come from): run.json, else the realisation files (run.json
    missing or unreadable: a write cut short, a truncated copy), else (None, why)."""
    run_file = out / "run.json"
    why = "holds no run.json"
    if run_file.exists():
        try:
            old = json.loads(run_file.read_text())
            if not isinstance(old, dict) or "model" not in old:
                raise ValueError("not a run record")
            old.pop("provenance", None)
            return old, "run.json"
        except (OSError, ValueError) as exc:
            why = f"run.json is unreadable ({exc})"
    recorded = _recorded_by_realisations(out)
    return (recorded, "its realisation files") if recorded is not None else (None, why)


def recorded_parameters(out: Path) -> dict[str, Any]:
    """The parameters of the run in ``out`` (run.json, else its realisation files); ValueError when it holds none."""
    params, why = _run_record(Path(out))
    if params is None:
        raise ValueError(f"run folder {str(out)!r} {why}")
    return params


def check_folder(out: Path, params: dict[str, Any]) -> None:
    """ValueError naming --out unless ``out`` is absent, empty, or a run folder of ``params`` (reads only)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} exists and is not a folder")
    if not out.exists():
        return
    old, source = _run_record(out)
    if old is None:
        foreign = _foreign_files(out)
        if foreign:
            raise ValueError(f"out folder {out} exists, is not empty and {source} (it holds {', '.join(foreign[:3])}); "
                             "choose another --out")
        return
    if old != params:
        diff = sorted(k for k in set(old) | set(params) if old.get(k) != params.get(k))
        named = [f"{k} ({PARAMETER_OPTIONS[k]})" if k in PARAMETER_OPTIONS else k for k in diff]
        raise ValueError(
            f"out folder {out} holds a run with other parameters (differing: {', '.join(named)}; read from {source}); "
            "choose another --out or remove it"
        )


def prepare_folder(out: Path, params: dict[str, Any]) -> None:
    """Create ``out`` with run.json, or check that an existing one holds the same parameters; a missing or unreadable
    run.json is written again from the parameters its realisation files record (when they are ``params``)."""
    out = Path(out)
    check_folder(out, params)
    out.mkdir(parents=True, exist_ok=True)
    if _run_record(out)[1] == "run.json":
        return
    text = json.dumps({**params, "provenance": provenance(params["backend"], params["dtype"])}, indent=1, sort_keys=True)
    atomic_write(out / "run.json", lambda tmp: tmp.write_text(text))


@contextlib.contextmanager
def folder_lock(out: Path) -> Iterator[None]:
    """Hold ``out`` (an existing folder) for this process; ValueError naming --out when another process holds it.

    An advisory lock (flock) on the folder itself: nothing is written, and the lock ends with the process,
    however it ends.  On a file system without flock the folder is used unlocked.
    """
    fd = os.open(out, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValueError(f"--out {str(out)!r} is in use by another crmix process: wait until it ends (this command then "
                             "resumes its run), or choose another --out") from None
        except OSError:  # pragma: no cover - no flock on this file system
            pass
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def open_run(out: Path, params: dict[str, Any]) -> Iterator[None]:
    """The run folder ``out`` of ``params``, created (or resumed) and held by this process (:func:`folder_lock`);
    the temporary files of killed writes are removed first."""
    out = Path(out)
    check_folder(out, params)
    out.mkdir(parents=True, exist_ok=True)
    with folder_lock(out):
        remove_stale_temporaries(out)
        prepare_folder(out, params)
        yield


def run_parameters(config: SimulationConfig) -> dict[str, Any]:
    """run.json's parameters, as JSON reads them back."""
    return _json_roundtrip(config.parameters())


def read_finished_realisation(out: Path, params: dict[str, Any], index: int) -> RealisationResult | None:
    """Realisation ``index`` when ``out`` holds it and it passes the checks (module docstring), else None."""
    path = _realisation_path(out, index, ".npz")
    return _read_realisation(path, params, index) if path.exists() else None


def finished_realisations(out: Path, params: dict[str, Any], realisations: int) -> dict[int, RealisationResult]:
    """The realisations 0..realisations-1 already in ``out`` that pass the checks (module docstring)."""
    stored = {i: read_finished_realisation(out, params, i) for i in range(realisations)}
    return {i: r for i, r in stored.items() if r is not None}


def compute_realisation(config: SimulationConfig, out: Path, index: int, *, progress: Any = None) -> RealisationResult:
    """Simulate realisation ``index`` and write its files atomically (the unit of work of a run)."""
    result, comps, _ = simulate_realisation(config, index, progress=progress)
    _write_realisation(Path(out), result, comps, run_parameters(config), model_units(config.model))
    return result


def recorded_time(params: dict[str, Any], time: float | None = None) -> float:
    """The recorded backtracking time of a run (its run.json ``params``) nearest ``time`` (default: the largest).

    ValueError when ``time`` is farther than one step dt from every recorded time.
    """
    times = params["recorded_times"]
    t = times[-1] if time is None else min(times, key=lambda x: abs(x - time))
    if time is not None and abs(t - time) > params["dt"]:  # requested times are rounded to steps
        raise ValueError(f"time {time} is not a backtracking time of the run; recorded: {times}")
    return t


def reduction_record(out: str | os.PathLike[str]) -> dict[str, Any]:
    """The record of a reduced run in the model's units: ensemble.npz's ``metadata`` (run.json's parameters; the
    analysis: gradient in Omega/c and K_liouville in c^2/Omega, noise estimator, l_max; the realisations)."""
    path = Path(out) / "ensemble.npz"
    if not path.is_file():
        raise ValueError(f"run folder {str(Path(out))!r} holds no ensemble.npz: give the --out folder of a finished crmix simulate run")
    with np.load(path) as data:
        return dict(json.loads(str(data["metadata"])))


def _components(header: Any, data: Any, k: int, t: float, length_pc: float | None) -> np.ndarray:
    """The six component maps at the k-th recorded time T = t, r in the model's units (TUNITn says the unit: pc, or
    c/Omega; a file written before the maps were indexed by k names its columns by T in 1/Omega, 'RX_T24.9986')."""
    indexed = "CROMT1" in header
    names = [f"{c.upper().replace('_', '')}_{k + 1 if indexed else f'T{t:.6g}'}" for c in skymap.COMPONENTS]
    columns = data.columns
    out = []
    for name in names:
        values = np.asarray(data[name], dtype=float).ravel()
        out.append(values / length_pc if columns[name].unit == "pc" and length_pc is not None else values)
    return np.stack(out)


def weighted_maps(out: str | os.PathLike[str], parameters: dict[str, Any], mapping: dict[str, Any], time: float,
                  realisations: Sequence[int]) -> np.ndarray:
    """Relative-intensity maps (N_real, N_pix) of ``realisations`` at the recorded time ``time`` (Omega T) of the run of
    ``parameters`` (its run.json record) under the Liouville ``mapping`` (its ``gradient`` and ``K_liouville``, KPM (3));
    each FITS file is used only when it is the one whose SHA-256 its realisation's .npz records (ValueError naming the
    file otherwise)."""
    from astropy.io import fits

    out = Path(out)
    k = int(np.argmin(np.abs(np.asarray(parameters["recorded_times"], dtype=float) - time)))
    w = skymap.liouville_weights(np.asarray(mapping["gradient"], dtype=float), np.asarray(mapping["K_liouville"], dtype=float))
    length = model_units(TurbulenceModel.from_description(parameters["model"], parameters["spectrum"])).length
    length_pc = None if length is None else float(length.to_value(u.pc))
    maps = []
    for i in realisations:
        maps_path, record = _realisation_path(out, i, ".fits"), _realisation_path(out, i, ".npz")
        try:
            with np.load(record) as data:
                recorded = str(data["fits_sha256"])
            actual = _sha256(maps_path)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"realisation {i} of {str(out)!r} cannot be read ({exc}); rerun crmix simulate on the folder to "
                             "recompute it") from exc
        if actual != recorded:
            raise ValueError(f"{str(maps_path)!r} is not the file whose SHA-256 {record.name} records: the maps were changed "
                             "after the run; rerun crmix simulate on the folder to recompute them")
        with fits.open(maps_path) as hdul:
            try:
                components = _components(hdul[1].header, hdul[1].data, k, time, length_pc)
            except KeyError as exc:
                raise ValueError(f"{str(maps_path)!r} has no column {exc}") from None
            maps.append(w @ components)
    return np.stack(maps)


def sky_maps(out: str | os.PathLike[str], time: float | None = None, *,
             realisations: Sequence[int] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Relative-intensity maps (N_real, N_pix) of a reduced run at backtracking time ``time`` (Omega T; default: the largest).

    Pixels are ARRIVAL directions (RING) in the frame z = B0; the mapping (g, K) is the one the run
    was reduced with; the run's tables are checked first (crmix.simulate.reduced) and every map file
    against the SHA-256 recorded with it (:func:`weighted_maps`).  ``realisations``: the indices whose
    maps are read (default: every realisation of the run).  Returns the maps and the run's record
    (:func:`reduction_record`).
    """
    from crmix.simulate.reduced import read_reduced_run

    read_reduced_run(out)
    record = reduction_record(out)
    params = record["parameters"]
    t = recorded_time(params, time)
    chosen = range(int(record["realisations"])) if realisations is None else realisations
    return weighted_maps(out, params, record["analysis"], t, chosen), record
