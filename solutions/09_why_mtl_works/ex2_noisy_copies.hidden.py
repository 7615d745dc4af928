# points: 2
import numpy as np
_clean = np.linspace(-1.0, 1.0, 3000)
_copies = np.asarray(fixed_noisy_copies(_clean.copy(), 3, 0.5, 7), dtype=float)
assert _copies.shape == (3, 3000), "fixed_noisy_copies(clean, 3, ...) should return shape (3, n)"
_noise = _copies - _clean
assert np.all(np.abs(_noise.std(axis=1) - 0.5) < 0.05), "each task's noise should have std `noise` (0.5)"
assert np.all(np.abs(np.corrcoef(_noise)[np.triu_indices(3, 1)]) < 0.1), "the tasks' noises should be independent"
assert np.array_equal(np.asarray(fixed_noisy_copies(_clean.copy(), 3, 0.5, 7), dtype=float), _copies), \
    "the same seed should give the same targets"
