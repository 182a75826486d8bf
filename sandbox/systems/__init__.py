"""Each source system's view of the true population, in its contract's exact format, and its writer.

One module per system (sat, anagrafe, polis, volontariato, contabilita), each a ``System``
subclass (``base.py``) that decides who appears in it, types records through its ``Clerk``,
writes them to the system's storage and links them in the ground truth.
"""
