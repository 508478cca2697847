"""Apache Airflow provider for Hugging Face Hub Jobs and Spaces."""

# The one place the version is written: pyproject.toml (dynamic version) and get_provider_info read it.
__version__ = "0.1.0"
