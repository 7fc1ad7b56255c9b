-- Manual operations look their request id up in the audit log to replay
-- the first answer (invariant 2): index it.
CREATE INDEX audit_request ON audit_log (request_id);
