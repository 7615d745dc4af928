# points: 2
import numpy as np
from mtl_edu import multitask as _multitask
_net = _multitask.DeepSupervisionNet(2, 4, 5, n_outputs=2, attach_depths=(2,), activation="sigmoid", rng=3, gain=2.0)
_X = np.linspace(-1, 1, 12).reshape(6, 2)
_y = np.array([0, 1, 1, 0, 1, 0])
_net.zero_grad()
_loss = fixed_joint_loss(_net.trunk, _net.main_head, _net.aux_heads[0], _X, _y, 2, 0.5)
assert abs(float(np.asarray(_loss.data).reshape(())) - 1.5796052668531482) < 1e-7, "the joint loss has the wrong value"
_loss.backward()
_grad = _net.trunk.layers[0].weight.grad
assert _grad is not None and abs(float(np.linalg.norm(_grad)) - 0.006728205476006229) < 1e-9, \
    "layer 1 does not get the gradient of both heads (0.00265 would be the main head's alone)"
assert _net.aux_heads[0].weight.grad is not None and np.any(_net.aux_heads[0].weight.grad), \
    "the auxiliary head's own weights get no gradient"
