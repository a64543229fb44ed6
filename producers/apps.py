from django.apps import AppConfig


class ProducersConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'producers'
