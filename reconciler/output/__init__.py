"""One managed output folder: the files mailctl writes for other tools to use.

``folder`` opens every name below the folder without following links (``walk`` is its
descriptor walk, ``batch`` its atomic batch writer); ``atomic`` writes single files
atomically; ``lock`` opens lock files that change nothing else; ``managed``
is the one writer of a folder mailctl manages (manifest, lock, atomic batch, ownership)
that the allowlists and the autoconfig export both use.
"""
