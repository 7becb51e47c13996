"""bunri's stream side: contracts, the generic binding, the stages and their wiring."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bunri")
except PackageNotFoundError:  # a source tree that was never installed (pip install -e .)
    __version__ = "0+unknown"

__all__ = ["__version__"]
