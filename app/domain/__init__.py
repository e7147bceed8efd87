"""The pure core: commands, events, incident state, and the rules that decide between them."""
