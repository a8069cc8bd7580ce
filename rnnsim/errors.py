"""The engine's exception types: one per family, each with a message a learner understands."""


class RnnsimError(Exception):
    """Base of every error the engine raises on purpose."""


class SpecError(RnnsimError, ValueError):
    """A model specification is invalid (unknown cell, a size that is not a positive integer, ...)."""


class ModelFileError(RnnsimError, ValueError):
    """A model file cannot be read: not an .npz, pickled arrays, bad spec JSON, missing or wrong arrays."""


class InputError(RnnsimError, ValueError):
    """Input or target arrays do not fit the model (shape, dtype, NaN, class index out of range)."""


class DataError(RnnsimError, ValueError):
    """A data file or built-in task cannot be used (empty, ragged, non-numeric, NaN, ...)."""


class ConfigError(RnnsimError, ValueError):
    """A hyperparameter or option is out of its allowed range."""
