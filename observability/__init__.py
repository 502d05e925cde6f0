"""Request ids, logging and Prometheus metrics of the service (issue 5)."""
