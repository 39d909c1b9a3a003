"""Errors of the simulation package: a Chinese message naming the file, column or option and the rule."""


class ExtractError(ValueError):
    """An episode extract (database, Parquet, CSV) the engine cannot read."""


class SimulationError(ValueError):
    """A simulation that cannot run as asked (no scheme, a bad assumption)."""
