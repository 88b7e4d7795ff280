"""Load benchmark: forge a data set, serve it with gunicorn, measure pages against a floor."""

FLOOR_PATH = "/_bench/floor"
