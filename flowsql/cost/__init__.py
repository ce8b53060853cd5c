"""Scanning less: estimates of what a window reads, and compaction of text flow logs into Parquet."""
