"""The use cases: one module per command family, typed options in, result values out.

A use case never prints and never imports click, so the command line and any other
front end (an HTTP service) call the same code. It opens the store itself (or uses
the one it is given) and does the network I/O; the caller picks a view of the result
and maps its status to an exit code with :mod:`reconciler.plan.status`.
"""
