-- The CAB's queue lists the changes waiting for the CAB, highest risk first, then oldest
-- (`ListOrder::RiskFirst` with a state): read in that order from this index and stopped
-- at the page, instead of sorting every change in the state (24,000 waiting took 48 ms a
-- page; bench/RESULTS.md).
CREATE INDEX changes_state_risk ON changes (state, risk_score DESC, id);
