"""Operands -> row chunks: literal vectors, stdin and @files, one reader."""
