"""The engine (lesson 01): `autodiff` (Tensor, reverse-mode autodiff, the functional `grad`, the
read-only graph view) and `functional` (activations and losses as differentiable ops).

The bottom layer: it imports nothing from the rest of the package.
"""
