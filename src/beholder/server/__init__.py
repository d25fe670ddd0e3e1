"""`beholder serve`: the agent that runs the collectors, keeps history and serves the HTTP API."""
