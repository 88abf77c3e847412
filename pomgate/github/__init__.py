"""GitHub: the pull-request comment, the Actions environment, and safe Markdown for untrusted text."""
