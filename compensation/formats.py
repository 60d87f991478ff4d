"""The output formats a run folder can hold, in one place that imports nothing: the command line checks
``--formats`` against them while it parses its arguments, before numpy or pandas are loaded (so that
``cli.main._single_thread_blas`` still finds numpy unloaded), and ``run.write_run`` writes them."""

FORMATS = ("csv", "xlsx", "parquet", "notice")  # what write_run can write ("notice": 分配情况表, notice.xlsx)
DEFAULT_FORMATS = ("csv", "xlsx", "parquet")
