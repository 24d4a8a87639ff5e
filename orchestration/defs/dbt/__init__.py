"""The dbt project as Dagster assets: models and seeds as assets, dbt tests as asset checks."""
