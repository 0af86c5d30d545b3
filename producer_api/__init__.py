"""Users API: writes users and their analytical events through a transactional outbox."""
