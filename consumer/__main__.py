"""`python -m consumer`: land the events topic as rotated, immutable files, exactly once."""

import os

# Arrow picks its allocator once, at its first allocation, from this variable: so before
# pyarrow loads. Its default (mimalloc) keeps a heap per thread, and pyiceberg writes files
# on worker threads, so freed batches stayed resident (some 50 MB over a million events);
# the system allocator hands them back. A value the user set wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

from consumer.service import main

if __name__ == "__main__":
    main()
