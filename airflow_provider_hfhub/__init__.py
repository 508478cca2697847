"""Apache Airflow provider for Hugging Face Hub Jobs and Spaces."""

__version__ = "0.1.0"
