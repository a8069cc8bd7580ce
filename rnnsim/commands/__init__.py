"""The subcommands of ``rnnsim``: each module has ``register(subparsers)`` and a ``run(args, out)``."""
