"""The options several commands share, each defined once with one default.

* the model: ``--geometry`` (every registered geometry, crmix.geometry) with one option per
  geometry parameter (``--slab-fraction``), ``--spectrum``, ``--eta``, ``--rigidity``, ``--brms``,
  ``--lc``, ``--rg-over-lambda-min``, ``--gradient-length``;
* the outputs: ``--out``, ``--no-progress``, ``--yes``;
* the engine of an ensemble: ``--scheduler``, ``--cluster``, ``--cluster-config``, ``--workers``.

Parsing here is only what argparse cannot do (a geometry with its parameters); every check of a
value lives in the constructor of the request the command builds (crmix.requests,
crmix.simulate.config, crmix.fit.request, crmix.observe.request).  Building a parser imports no
SciPy, SymPy, numba, healpy, astropy tables, matplotlib or Dask (``crmix --help`` is fast).
"""

from __future__ import annotations

import argparse
from typing import Any

from crmix.geometry import GEOMETRIES, Geometry, geometry_for
from crmix.model import NAMED_SPECTRA, RG_OVER_LAMBDA_MIN
from crmix.resources import HOURS_WITHOUT_CONFIRMATION
from crmix.simulate.cluster import CLUSTERS, DEFAULT_SLURM_WORKERS, Engine

__all__ = [
    "DEFAULT_BRMS",
    "DEFAULT_GRADIENT_LENGTH",
    "DEFAULT_LC",
    "DEFAULT_SPECTRUM",
    "add_engine_options",
    "add_geometry_options",
    "add_model_options",
    "add_output_options",
    "engine_from_options",
    "geometry_from_options",
    "given",
]

DEFAULT_SPECTRUM = "kolmogorov"
DEFAULT_BRMS = "4uG"
DEFAULT_LC = "30pc"
DEFAULT_GRADIENT_LENGTH = "1kpc"


def flag(parameter: str) -> str:
    """The option of a parameter: ``slab_fraction`` -> ``--slab-fraction``."""
    return "--" + parameter.replace("_", "-")


def given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The options among ``names`` that were given (not None), by their attribute names."""
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def add_geometry_options(parser: argparse.ArgumentParser) -> None:
    """--geometry (the registered names) and one option per geometry parameter (e.g. --slab-fraction)."""
    parser.add_argument("--geometry", choices=tuple(GEOMETRIES), default="slab",
                        help="turbulence geometry (default: slab; crmix.geometry.GEOMETRIES)")
    defaults: dict[str, list[str]] = {}
    for g in GEOMETRIES.values():
        for key, value in g.parameters().items():
            defaults.setdefault(key, []).append(f"{g.name}: {value:g}")
    for key, texts in sorted(defaults.items()):
        parser.add_argument(flag(key), type=float, default=None,
                            help=f"{key.replace('_', ' ')} of the power (0 < value < 1; default {', '.join(texts)}; "
                                 "refused for geometries without it)")


def geometry_from_options(args: argparse.Namespace) -> Geometry:
    """The geometry of --geometry with its parameter options; ValueError naming the option when it does not apply."""
    base = geometry_for(args.geometry)
    names = sorted({k for g in GEOMETRIES.values() for k in g.parameters()})
    values = given(args, *names)
    for key in values:
        if key not in base.parameters():
            takers = " or ".join(g.name for g in GEOMETRIES.values() if key in g.parameters())
            raise ValueError(f"{flag(key)} applies to --geometry {takers} only, not to --geometry {base.name}")
    try:
        return base.with_parameters(**values)
    except ValueError as exc:
        text = str(exc)
        for key in values:
            text = text.replace(key, flag(key))
        raise ValueError(text) from exc


def add_model_options(parser: argparse.ArgumentParser, *, rigidity: str, several_rigidities: bool = False,
                      several_eta: bool = False) -> None:
    """The turbulence model's options.  ``rigidity``: the command's default (a simulation is priced by it);
    ``several_rigidities``, ``several_eta``: the option takes several values (one model, or one ensemble, each)."""
    add_geometry_options(parser)
    parser.add_argument("--spectrum", choices=tuple(NAMED_SPECTRA), default=DEFAULT_SPECTRUM,
                        help=f"turbulence spectrum on [2 pi/L_max, 2 pi (r_g/lambda_min)/r_g], L_max = 5 L_c (default: {DEFAULT_SPECTRUM})")
    each = "; several values: one each"
    parser.add_argument("--eta", type=float, default=None, metavar="ETA", nargs="+" if several_eta else None,
                        help="turbulence level dB^2/(B0^2+dB^2): 0 < eta < 1 (isotropic: <= 1; MA19's eta = 1, no regular "
                        f"field, is the isotropic default, 0.5 the others'){each if several_eta else ''}")
    parser.add_argument("--rigidity", default=[rigidity] if several_rigidities else rigidity, metavar="R",
                        nargs="+" if several_rigidities else None,
                        help=f"particle rigidity with units, e.g. 10TV or 1PV{each if several_rigidities else ''} (default: {rigidity})")
    parser.add_argument("--brms", default=DEFAULT_BRMS, help=f"RMS field sqrt(B0^2 + dB^2) (default: {DEFAULT_BRMS})")
    parser.add_argument("--lc", default=DEFAULT_LC, help=f"correlation length L_c (default: {DEFAULT_LC})")
    parser.add_argument("--rg-over-lambda-min", type=float, default=None,
                        help=f"r_g / smallest wavelength (default: {RG_OVER_LAMBDA_MIN:g}, KPM Sec. 2.1.2); the cost of the "
                        "generic path and of a simulation grows with it")
    parser.add_argument("--gradient-length", default=DEFAULT_GRADIENT_LENGTH,
                        help=f"fbar/|d_z fbar| along B0, sets the absolute C_l (scale as its inverse square) (default: {DEFAULT_GRADIENT_LENGTH})")


def add_output_options(parser: argparse.ArgumentParser, default_out: str, *, confirm: bool = True, extra: str = "") -> None:
    """--out, --no-progress and (``confirm``) --yes."""
    parser.add_argument("--out", default=default_out, help=f"output folder (default: ./{default_out}){extra}")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    if confirm:
        parser.add_argument("--yes", action="store_true", help=f"start even when the estimate exceeds {HOURS_WITHOUT_CONFIRMATION:g} hours")


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """--scheduler, --cluster, --cluster-config, --workers (crmix simulate and crmix scan; crmix.simulate.cluster)."""
    parser.add_argument("--scheduler", default="auto",
                        help="where the realisations run: auto (a local Dask cluster when more than one worker helps, "
                        "else serial), serial, local (a Dask LocalCluster on this machine), or tcp://HOST:PORT (an "
                        "existing Dask scheduler whose workers see --out) (default: auto)")
    parser.add_argument("--cluster", choices=CLUSTERS, default=None,
                        help="start a batch cluster with dask-jobqueue (needs --cluster-config)")
    parser.add_argument("--cluster-config", default=None, metavar="FILE",
                        help="dask-jobqueue configuration with a 'jobqueue: slurm:' section (examples/slurm-jobqueue.yaml)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes of the cluster crmix starts (local: default one per core, numba threads "
                        f"= cores / workers; slurm: default {DEFAULT_SLURM_WORKERS})")


def engine_from_options(args: argparse.Namespace) -> Engine:
    """The :class:`crmix.simulate.cluster.Engine` of the engine options (checked in its constructor)."""
    return Engine(scheduler=args.scheduler, cluster=args.cluster, cluster_config=args.cluster_config, workers=args.workers)
