from tests.airflow_support import hub_connection

__all__ = ["hub_connection"]
