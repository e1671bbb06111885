"""`sitegen deploy`: built trees copied to where they are served, as releases switched atomically, and proxy configs."""
