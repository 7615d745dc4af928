# points: 1
assert str(gradnorm_weights_answer()).strip().strip("()").strip().lower() == "c", "exercise 2: not the right option"
