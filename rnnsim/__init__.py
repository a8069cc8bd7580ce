"""rnnsim — an exact, fast recurrent-network engine (numpy + numba) behind a learning app.

    import rnnsim
    model = rnnsim.load_model("m.npz")
    y = model.predict(x)                          # x (batch, T, input_size)
    loss, grads = model.loss_and_grads(x, target)

Importing rnnsim never imports Qt.
"""
from .errors import (ConfigError, DataError, InputError, LessonError, ModelFileError, RnnsimError, SpecError)
from .model import Model, load_model
from .spec import ModelSpec

__all__ = ["Model", "ModelSpec", "load_model", "RnnsimError", "SpecError", "ModelFileError",
           "InputError", "DataError", "ConfigError", "LessonError"]
__version__ = "0.1.0"
