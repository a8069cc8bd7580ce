"""The training dashboard: train in the background and watch it learn.

- :mod:`.controller` — ``TrainingController``: data, model and Trainer; the run in a worker process; signals.
- :mod:`.dashboard` — ``TrainingDashboard``: Train / Pause / Stop / Reset, the divergence banner, the plots.
- :mod:`.history` — ``PlotHistory``: snapshots accumulated into arrays the plots draw.
- :mod:`.divergence` — the message shown when training diverges (the debugging advice of the from-scratch XOR article).
- :mod:`.files` — session save/open dialogs, recent files, the unsaved-changes prompt.

The panels that go with it are ``ui.panels.data.DataPanel``, ``ui.panels.hyperparameters.HyperparametersPanel``
and ``ui.panels.predict.PredictPanel``; the engine side of session files is :mod:`rnnsim.session_file`.
"""
