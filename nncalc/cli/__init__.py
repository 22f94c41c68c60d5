"""The command line: the Typer app, one file per command, the one pipeline.

Importing this package costs nothing: the console entry point
(:mod:`nncalc.cli.entry`) guards Ctrl-C before the app is imported.
"""
