"""pomgate benchmarks: side-by-side timings of whole commands (not part of the test suite)."""
