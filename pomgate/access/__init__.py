"""Access tests: expectations of who may open which URL, kept in the repository and run by check, diff and hook."""
