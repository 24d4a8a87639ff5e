"""dbt's `api.Relation` for linting: a relation renders as its schema-qualified name."""


class Relation:
    @staticmethod
    def create(database=None, schema=None, identifier=None, **_):
        return f"{schema or 'main'}.{identifier or 'relation'}"
