"""What both HTTP apps (platform and execution service) share: error answers and the body cap."""
