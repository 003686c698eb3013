DROP INDEX changes_state_risk;
