"""What a lane's fork server imports before it forks any worker: the tables every worker needs, built once.

Importing it builds what reading a whole document needs (the fold's class
of changing characters, ~55 ms), so each forked worker starts with it rather
than building its own while its first document waits.
"""

from ..text import prepare

prepare()
