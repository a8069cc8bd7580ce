"""A session's set-up by flat names: which of them choose the data, the network, the training settings
or the probe, and how a sequence length T becomes a task's own option.

The app (a lesson's set-up, a test's window) says ``task="bitcount", steps=6, cell="lstm", lr=0.01``;
:func:`split_changes` sorts such names into the four parts a session applies in order::

    data, network, config, probe = split_changes({"task": "bitcount", "steps": 6, "lr": 0.01}, source, net)
    # data == {"name": "bitcount", "seed": 0, "options": {"steps": 6}}, config == {"lr": 0.01}
"""
from __future__ import annotations

from dataclasses import fields

from ..errors import ConfigError
from ..config import TrainConfig

#: the network options a session keeps beside the data (a new network means new weights)
NETWORK_KEYS = ("cell", "hidden_size", "num_layers", "bidirectional", "init", "forget_bias")
#: which sequence the debugger steps through
PROBE_KEYS = ("probe_index", "probe_text", "target_text")
#: the data: a built-in task, its seed, its length T, its other options, and the sizes of "custom" data
CUSTOM_KEYS = ("input_size", "output_size", "output", "loss")
DATA_KEYS = ("task", "seed", "steps", "options") + CUSTOM_KEYS
CONFIG_KEYS = tuple(f.name for f in fields(TrainConfig))

#: the task option that sets the sequence length T, and T → option value
LENGTH_OPTIONS = {"temporal-xor": ("steps", 0), "bitcount": ("steps", 0), "long-memory": ("delay", -1),
                  "sine": ("window", 0), "custom": ("steps", 0)}


def length_option(task: str, steps: int) -> dict:
    """The task option that makes its sequences ``steps`` long ({} when the task's length is fixed)."""
    if task not in LENGTH_OPTIONS:
        return {}
    name, offset = LENGTH_OPTIONS[task]
    return {name: max(int(steps) + offset, 0)}


def sequence_length(task: str, options: dict) -> int | None:
    """The inverse of :func:`length_option`: T for these options (None when the option is not set)."""
    if task not in LENGTH_OPTIONS:
        return None
    name, offset = LENGTH_OPTIONS[task]
    return None if options.get(name) is None else int(options[name]) - offset


def split_changes(changes: dict, source: dict, network: dict):
    """(data, network, config, probe) for flat ``changes``, against the session's current data ``source``
    ({"kind": "task", "name", "seed", "options"}) and ``network``.

    ``data`` is None when the data stay as they are, else {"name", "seed", "options"} (a task not named
    keeps the current one with its options; "steps" and the custom sizes become task options); the other
    three are dicts holding only what differs from now. Unknown names raise ConfigError."""
    unknown = set(changes) - set(DATA_KEYS) - set(NETWORK_KEYS) - set(CONFIG_KEYS) - set(PROBE_KEYS)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    data = None
    if any(k in changes for k in DATA_KEYS):
        same_task = source.get("kind") == "task" and changes.get("task", source.get("name")) == source.get("name")
        name = changes.get("task", source.get("name") if source.get("kind") == "task" else None)
        if name is None:
            raise ConfigError("name a task: the data in use is a file")
        options = dict(source.get("options") or {}) if same_task else {}
        options.update(changes.get("options") or {})
        if "steps" in changes:
            options.update(length_option(name, changes["steps"]))
        if name == "custom":
            options.update({k: changes[k] for k in CUSTOM_KEYS if k in changes})
        elif name == "temporal-xor" and "output" in changes:
            options["target"] = "end" if changes["output"] == "last" else "step"
        seed = int(changes.get("seed", source.get("seed", 0) if same_task else 0))
        data = {"name": name, "seed": seed, "options": options}
        if same_task and seed == source.get("seed", 0) and options == (source.get("options") or {}):
            data = None
    # after new data the task's suggested network is in force: every network name given applies
    net = {k: changes[k] for k in NETWORK_KEYS
           if k in changes and (data is not None or changes[k] != network.get(k))}
    config = {k: changes[k] for k in CONFIG_KEYS if k in changes}
    probe = {k: changes[k] for k in PROBE_KEYS if k in changes}
    return data, net, config, probe
