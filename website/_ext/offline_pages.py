"""Sphinx extension of the course's website: no page carries Thebe's scripts.

Jupyter Book 1 always loads sphinx-thebe, which adds to every page an inline script naming Thebe's CDN
address (declared twice, a console error) and its loader. The site runs no code, so both go.
"""


def _is_thebe(script) -> bool:
    filename = getattr(script, "filename", None) or str(script)
    body = (getattr(script, "attributes", None) or {}).get("body", "")
    return "thebe" in filename.lower() or "THEBE_JS_URL" in body


def drop_thebe_scripts(app, pagename, templatename, context, doctree):
    if "script_files" in context:
        context["script_files"] = [script for script in context["script_files"] if not _is_thebe(script)]


def setup(app):
    app.connect("html-page-context", drop_thebe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
