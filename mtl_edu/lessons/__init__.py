"""One module per lesson: `lessonNN` holds the experiments of notebooks/NN_*.ipynb, its explorers (update
function and widget factory, registered in `mtl_edu.teaching.explorers`) and its exercise checkers.

    lesson00  00_start_here                      the sigmoid and its slope; checking the set-up
    lesson01  01_autodiff_from_scratch           a neuron's computation graph; finite differences
    lesson02  02_mlps_and_training               a small network learns a 2-D boundary; initialisation
    lesson03  03_vanishing_gradients             the gradient-flow explorer
    lesson04  04_exploding_gradients_and_fixes   exploding gradients and the remedies for both failures
    lesson05  05_multitask_learning              what sharing a network between tasks buys
    lesson06  06_task_weights                    task weights, the trade-off they trace, loss scales
    lesson07  07_balancing_methods               can the weights set themselves? the balancing lab
    lesson08  08_gradients_meet_tasks            does multi-task learning cure vanishing gradients?
    lesson09  09_why_mtl_works                   why does MTL help at all? Caruana's mechanisms
    lesson10  10_capstone                        three penguin tasks, balancers, Δm% and gradient conflict

A notebook imports what it uses from its own lesson: `from mtl_edu.lessons.lesson03 import ...`.
Importing this package registers every lesson's explorers, in lesson order. Lessons build on the
layers below (teaching tools, instruments, balancing, nets, engine, data); a later lesson may reuse an
earlier one's experiment (lesson09 trains lesson05's sharing networks).
"""
from . import lesson00, lesson01, lesson02, lesson03, lesson04, lesson05, lesson06, lesson07, lesson08, lesson09, lesson10

__all__ = ["lesson00", "lesson01", "lesson02", "lesson03", "lesson04", "lesson05", "lesson06", "lesson07",
           "lesson08", "lesson09", "lesson10"]
