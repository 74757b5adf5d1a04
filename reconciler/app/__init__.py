"""The application layer: the use cases behind every face of mailctl.

One module per command family. A use case takes typed options (a frozen dataclass),
opens what it needs (the store, the network, an output folder) and returns a result
value with its status; it never prints and never imports click, so the command line
and any other front end (an HTTP service) call the same code. The caller picks a view
of the result and maps its status to an exit code with :mod:`reconciler.plan.status`.
Expected failures are raised as :class:`~reconciler.errors.MailctlError`, which each
face shows in its own way.
"""
