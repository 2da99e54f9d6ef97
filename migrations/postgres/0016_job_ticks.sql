-- PostgreSQL dialect of ../0016_job_ticks.sql: BIGINT for SQLite's INTEGER.
-- The ticks of scheduled jobs a node of a cluster claimed (jobs/tick.rs): the first node to insert
-- (job, tick) runs that tick, the others skip it, so a tick runs once across the cluster. `tick`
-- is the scheduled time in Unix seconds; old rows are removed as ticks are claimed.
CREATE TABLE job_ticks (
    job  TEXT NOT NULL,
    tick BIGINT NOT NULL,
    PRIMARY KEY (job, tick)
);
