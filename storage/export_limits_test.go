package storage

// CounterKey is the key of person's counter name in s.
func CounterKey(s *Store, person, name string) string { return s.keys.counter(person, name) }

// ThrottleKey is the key of person's throttle name in s.
func ThrottleKey(s *Store, person, name string) string { return s.keys.throttle(person, name) }
