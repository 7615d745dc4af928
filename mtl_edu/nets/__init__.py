"""Networks and training (lessons 02 to 06): `init` (weight initialisers), `nn` (layers, MLPs),
`optim` (SGD, Adam, clipping), `batched` (many small networks trained as one), `multitask` (shared
trunks, task heads, weighted joint losses, per-task gradients) and `train` (the training loops).

Imports only from the engine.
"""
