# points: 1
assert str(one_shared_layer_answer()).strip().strip("()").strip().lower() == "a", "exercise 3: not the right option"
