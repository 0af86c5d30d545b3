"""`python -m consumer`: land the events topic as rotated, immutable files, exactly once."""

import os

# Both are read once, so they are set before pyarrow and pyiceberg load; a value the user
# set wins. Arrow's default allocator (mimalloc) keeps a heap per thread, and pyiceberg
# writes files on worker threads: freed batches stayed resident (some 50 MB over a million
# events); the system allocator hands them back. The writer appends one data file per
# commit, so pyiceberg's pool of workers (six on two cores) buys no parallelism, while each
# worker keeps an allocator arena of its own (some 25 MB more): one worker.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
os.environ.setdefault("PYICEBERG_MAX_WORKERS", "1")

from consumer.service import main

if __name__ == "__main__":
    main()
