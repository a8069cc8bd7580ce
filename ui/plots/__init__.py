"""Training plots on pyqtgraph: one module per family on a shared base (``base.PlotPanel``: title, exact
values on hover, PNG/CSV export, log-y toggle, divergence marks). Each plot's ``show_data(...)`` takes
plain arrays."""
