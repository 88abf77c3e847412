"""The resident worker behind `pomgate hook --daemon`: later hook runs are answered from memory.

A hook run costs mostly what does not change between commits: starting Python, importing pomgate,
listing and stat-ing every file of the repository, loading the scan cache. With ``--daemon`` the
first run starts a worker for the current directory (one per user, directory and pomgate code); the
next runs hand their command line to it over a Unix socket, and it runs the very same command in
its warm process and sends back the output and exit status. It exits after 15 idle minutes or on
`pomgate worker stop`; when pomgate's code changes, a new worker serves the new code (the old one
is no longer asked and idles out).
"""
