# points: 1
assert str(tanh_large_gain_answer()).strip().strip("()").strip().lower() == "b", "exercise 3: not the right option"
