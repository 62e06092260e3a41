"""The package version, in a module of its own so that low layers can name it cheaply."""

__version__ = "0.1.0"
