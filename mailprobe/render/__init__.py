"""Turn reports into text for people (tables) and machines (JSON)."""
