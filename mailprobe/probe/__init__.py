"""Live, credential-free handshakes with IMAP, POP3 and SMTP endpoints."""
