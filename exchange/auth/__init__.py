"""OAuth 2.0: the exchange is its own authorization server (client credentials) and resource server."""
