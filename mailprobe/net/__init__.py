"""Network primitives: DNS, HTTP fetches and TCP/TLS connections, each with timeouts."""
