"""The System Health page's pieces: views (derived, cached), sections (drawn, replayed), chart specs."""
