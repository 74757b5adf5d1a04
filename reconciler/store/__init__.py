"""Where the stored state lives: one small interface, backends chosen by URL."""
