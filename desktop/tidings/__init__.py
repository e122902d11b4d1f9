"""Tidings: a desktop news reader. Clean articles, offline, yours."""

__version__ = "0.1.0"
APP_ID = "io.github.tidings.Tidings"
APP_NAME = "Tidings"
