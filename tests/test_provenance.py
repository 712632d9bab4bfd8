"""The provenance record every result carries (crmix.provenance): versions, backend, precision."""

from __future__ import annotations

import platform

import numpy

from crmix import __version__
from crmix.provenance import LIBRARIES, provenance


def test_provenance_names_the_versions_backend_and_precision() -> None:
    record = provenance("numba", "float32")
    assert record["crmix"] == record["versions"]["crmix"] == __version__
    assert (record["backend"], record["precision"]) == ("numba", "float32")
    assert set(record["versions"]) == {"crmix", "python", *LIBRARIES}
    assert record["versions"]["numpy"] == numpy.__version__ and record["versions"]["python"] == platform.python_version()
