"""GitHub: the API client, the sticky pull-request comment and its Markdown structure, the Actions environment."""
