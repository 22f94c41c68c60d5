"""The math: NumPy and the standard library only.

Never imports typer or rich and never names a command-line flag; errors are
:class:`nncalc.errors.NncalcValueError` worded for Python callers.
"""
