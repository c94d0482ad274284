# gunicorn reads this file from the folder it starts in (the image's /app, `make run`'s
# supervisord, the benchmarks): its access log leaves personal links out.
logger_class = "icsvoice.gunicorn_logging.Logger"
