-- The service's own database role (docs/audit.md §5): it logs in, and `supervision migrate`
-- (run as the tables' owner, `supervision`) grants it only what the service needs — INSERT
-- and SELECT on the log, never the power to change it or to drop its triggers. The owner is
-- a member, so that migrations can hand it the read models' tables.
CREATE ROLE supervision_service LOGIN PASSWORD 'supervision_service';
GRANT supervision_service TO supervision;
