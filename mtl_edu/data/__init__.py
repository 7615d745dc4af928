"""Data: `datasets` (the synthetic tasks the lessons study and the penguins table, `penguins.csv`,
read with importlib.resources). Imports nothing from the rest of the package.
"""
