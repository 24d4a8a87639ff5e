"""`adapter.dispatch` for linting: the project's duckdb__ or default__ implementation."""

import jinja2


@jinja2.pass_context
def dispatch(context, macro_name, macro_namespace=None):
    return context.get(f"duckdb__{macro_name}") or context[f"default__{macro_name}"]


def quote(identifier):
    return f'"{identifier}"'
