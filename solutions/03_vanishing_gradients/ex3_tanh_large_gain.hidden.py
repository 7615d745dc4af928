# points: 1
assert str(tanh_large_gain_answer()).strip().strip("()").strip().lower() == "c", "exercise 3: not the right option"
