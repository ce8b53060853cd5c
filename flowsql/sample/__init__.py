"""Sample flow logs with planted incidents: the generator, the world it draws from, and the demo."""
