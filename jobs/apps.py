from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        # The admin's import and rollback hand large files to a job through hooks of their
        # own: the customers app may not import this one (the layers, pyproject.toml).
        from customers.admin_import import register_background_import
        from customers.rollback_background import register_background_rollback

        from .admin import import_in_background, rollback_in_background

        register_background_import(import_in_background)
        register_background_rollback(rollback_in_background)
