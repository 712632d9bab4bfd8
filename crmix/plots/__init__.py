"""The pictures crmix writes: one shared style (:mod:`crmix.plots.style`) and one module per picture.

* :mod:`crmix.plots.spectrum` -- ``crmix spectrum``: C_l/C_1 with the range the l_max truncation affects;
* :mod:`crmix.plots.skymap`   -- ``crmix simulate``: a sky map, the ensemble's C_l and K(T);
* :mod:`crmix.plots.fit`      -- ``crmix fit``: simulated C_l/C_1 against the best-fit theory;
* :mod:`crmix.plots.compare`  -- ``crmix compare``: measured pseudo-C~_l against the model through the detector.

The modules take numbers and results, never compute physics, and import no layer of crmix (only
:mod:`crmix.io` to write atomically), so every layer may call them.  matplotlib draws off screen
(the Agg canvas of :class:`matplotlib.figure.Figure`, no pyplot state), except healpy's map
projections, which need pyplot and run under the Agg backend.
"""
