"""Exit codes: part of mailctl's interface, documented in the README."""

EXIT_OK = 0  # success, no changes
EXIT_ERROR = 1  # error in input or usage (or an internal error, reported as such)
EXIT_CHANGES = 2  # changes present (plan --detailed-exitcode)
EXIT_CHECK_FAILED = 3  # a live connection check failed
EXIT_BLOCKED = 4  # blocked by a gate
