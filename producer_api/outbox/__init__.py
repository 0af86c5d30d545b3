"""The outbox: the table, and everything that reads or writes it.

- `write`: the INSERT that puts an event's row in the statement that makes the change;
- `claim`: the relay's bucket locks, claim and mark;
- `retention`: deleting sent rows past retention;
- `stats`: backlog and sent rows, for the metrics;
- `wakeup`: the API's NOTIFY after a commit and the relay's LISTEN;
- `table`: the table itself and the constants every part agrees on (buckets, lock keys,
  the wake-up channel).
"""
