-- 0007_retention_defaults — the default retention policies (DESIGN §4,
-- vigil-retain). Operators change keep_interval or enabled with an UPDATE;
-- a later migration never overwrites their choice.
SET LOCAL lock_timeout = '5s';
SET LOCAL ROLE vigil_owner;

INSERT INTO vigil.retention_policies (table_name, time_column, keep_interval) VALUES
	('audit_trails', 'timestamp', interval '7 days'),
	('verification_tokens', 'expires_at', interval '90 days'),
	('notification_outbox', 'delivered_at', interval '30 days')
ON CONFLICT (table_name) DO NOTHING;
