# Two commands on a fresh machine: `make lab` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Lessons are NN_name.ipynb; scratch notebooks (anything else) are neither run nor tested.
LESSONS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
# Strict nbval (never the lax mode). `tests` is on the same command line as the notebooks so that
# tests/conftest.py gives the nbval kernels the environment tools/run_notebooks.py used.
NBVAL   := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 120

# `make test` runs on two workers (pytest-xdist): about 7 minutes of work in under 5 on two cores.
# --dist loadscope keeps each notebook (one kernel, cells in order), each test module (its fixtures
# computed once) and each test class on one worker; tests/test_browser.py puts the lessons in two
# classes, one per worker. JOBS=1 runs everything in one process.
JOBS     ?= 2
PARALLEL := $(if $(filter-out 1,$(JOBS)),-n $(JOBS) --dist loadscope)

.PHONY: lab test test-package test-notebooks test-browser test-matrix notebooks bench venv clean
.PHONY: teacher-venv student grade test-classroom site site-venv test-site

# The teacher edition (classroom/, tools/classroom.py) has its own environment: nbgrader 0.9.6 pins
# JupyterLab below 5 and adds its extensions, and the learner's .venv (make lab) must not change.
TEACHER_VENV  := .venv-teacher
TPY           := $(TEACHER_VENV)/bin/python
TEACHER_STAMP := $(TEACHER_VENV)/.installed

venv: $(STAMP)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The same for the teacher's environment: nbgrader and the course package.
$(TEACHER_STAMP): pyproject.toml
	test -x $(TPY) || $(PYTHON) -m venv $(TEACHER_VENV)
	$(TPY) -m pip install --quiet --upgrade pip
	$(TPY) -m pip install --quiet "nbgrader==0.9.6" -e .
	touch $(TEACHER_STAMP)

teacher-venv: $(TEACHER_STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $(LAB_ARGS)

# Execute every lesson (or NB=notebooks/03_....ipynb) top to bottom in a fresh kernel, in place.
notebooks: $(STAMP)
	$(PY) tools/run_notebooks.py $(NB)

# The whole suite: package tests, every lesson under strict nbval, the real-browser test.
test: $(STAMP)
	$(PY) -m pytest tests $(LESSONS) $(NBVAL) $(PARALLEL)

test-package: $(STAMP)
	$(PY) -m pytest tests --ignore=tests/test_browser.py -p no:nbval $(PARALLEL)

# One lesson: make test-notebooks LESSONS=notebooks/03_vanishing_gradients.ipynb
test-notebooks: $(STAMP)
	$(PY) -m pytest tests $(LESSONS) $(NBVAL) --ignore-glob='tests/test_*.py'

test-browser: $(STAMP)
	$(PY) -m pytest tests/test_browser.py -p no:nbval $(addprefix --browser-notebook=,$(NB))

# The reproducibility matrix: lessons under strict nbval plus the lesson tests, once per CPU level this
# machine can run (native, AVX2, AVX) and once with the runtime dependencies at their floors
# (.venv-floors). LEGS="avx floors" runs some of them. See tools/test_matrix.py.
test-matrix: $(STAMP)
	$(PY) tools/test_matrix.py --python $(PYTHON) $(if $(LEGS),--legs $(LEGS)) $(PARALLEL)

# The teacher edition (classroom/README.md): the student edition of every lesson whose exercises are in
# solutions/, in classroom/release/<lesson>/; then grading of classroom/submitted/<student>/<lesson>/
# into classroom/grades.csv (student,lesson,score,max_score,note).
student: $(TEACHER_STAMP)
	$(TPY) tools/classroom.py student

grade: student
	$(TPY) tools/classroom.py grade

# tests/test_classroom.py runs inside `make test` on lesson 00; this runs it on every converted lesson
# and also executes each student notebook top to bottom. The tests find nbgrader through this variable,
# and fail (rather than skip) when it names no interpreter.
test test-package test-classroom: export MTL_EDU_TEACHER_PYTHON = $(abspath $(TPY))
test test-package: $(TEACHER_STAMP)

test-classroom: $(STAMP) $(TEACHER_STAMP)
	MTL_EDU_CLASSROOM_ALL=1 $(PY) -m pytest tests/test_classroom.py -p no:nbval

# The website (README "The course on the web"): every lesson as a page with its stored outputs and static
# explorers, built by Jupyter Book 1 in its own environment (.venv-site; its Sphinx pins stay out of .venv)
# into _site/. The explorers' figures are drawn by the course's package and cached in .site-cache/.
SITE_VENV  := .venv-site
SITE_STAMP := $(SITE_VENV)/.installed

$(SITE_STAMP): website/requirements.txt
	test -x $(SITE_VENV)/bin/python || $(PYTHON) -m venv $(SITE_VENV)
	$(SITE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SITE_VENV)/bin/python -m pip install --quiet -r website/requirements.txt
	touch $(SITE_STAMP)

site-venv: $(SITE_STAMP)

site: $(STAMP) $(SITE_STAMP)
	$(PY) tools/build_site.py build --jupyter-book $(SITE_VENV)/bin/jupyter-book

# Builds the site, serves _site/ on 127.0.0.1 and checks every page in headless Chromium.
test-site: site
	MTL_EDU_SITE=$(abspath _site) $(PY) -m pytest tests/test_site.py -p no:nbval -p no:cacheprovider

bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_batched.py
	$(PY) benchmarks/bench_explorers.py

clean:
	rm -rf $(VENV) .venv-floors .pytest_cache .hypothesis
	rm -rf $(TEACHER_VENV) classroom/source classroom/release
	rm -rf $(SITE_VENV) .site-cache .site-build _site
