"""Multi-task balancing methods (lessons 06 to 10): `aggregators` (MGDA, PCGrad, CAGrad, IMTL-G,
Nash-MTL, Aligned-MTL, GradDrop: one update direction from the task gradients), `balancers` (task
weights that set themselves: uncertainty weighting, DWA, GradNorm, RLW, FAMO, or a gradient
aggregator inside a training step) and `toys` (the two-parameter problems the papers study them on).

Imports from the engine and from nets.
"""
